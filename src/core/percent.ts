// How a share (0 to 1) is written for people: the one percent formatter of the CLI, the extension, the
// engine's reports and the webviews. Pure (no Node API): the webview bundles import it too.
// For an accuracy with its interval, use accuracyHeadline (eval/sample-size.ts), which is built on these.

/** A share in percent: 0.625 → "62.5%". */
export function percent(share: number, digits = 1): string {
  return `${percentPoints(share, digits)}%`;
}

/** The same figure without the sign, for interval ends and sizes in points: 0.625 → "62.5". */
export function percentPoints(share: number, digits = 1): string {
  return (100 * share).toFixed(digits);
}

/** A difference in points with its direction: +2.5, -1.0, and 0.0 (no sign) when nothing changed. */
export function signedPoints(difference: number, digits = 1): string {
  return `${difference > 0 ? '+' : ''}${percentPoints(difference, digits)}`;
}

/** An accuracy with the larger half of its interval, for tables: "71.30% ± 4.12"; "n/a" when there is none. */
export function percentPlusMinus(share: number, ci: readonly [number, number], digits = 2): string {
  if (!Number.isFinite(share)) return 'n/a';
  const half = Math.max(share - ci[0], ci[1] - share);
  return `${percent(share, digits)} ± ${percentPoints(half, digits)}`;
}
