// Holm's step-down correction for a family of p-values (Holm 1979).
//
// A benchmark run compares every method with `default` (for every model): with m comparisons and
// no correction, the chance that at least one "significant" line is noise grows to about
// 1 - 0.95^m. Holm controls that family-wise error at alpha, like Bonferroni, but is uniformly
// more powerful and needs no assumption about how the tests depend on each other (they do depend:
// they share the `default` run).

/**
 * Holm-adjusted p-values, in the input order: sort ascending, multiply the i-th smallest
 * (0-based) by (m - i), carry the running maximum so adjusted values stay monotone, cap at 1.
 * Rejecting where the adjusted value is below alpha is exactly Holm's procedure at level alpha.
 * NaN inputs stay NaN and do not count towards m.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const out = pValues.map(() => Number.NaN);
  const order = pValues
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => {
      if (Number.isNaN(p)) return false;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`holmAdjust: p-values must be in [0, 1], got ${p}`);
      return true;
    })
    .sort((x, y) => x.p - y.p || x.i - y.i);
  const m = order.length;
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
