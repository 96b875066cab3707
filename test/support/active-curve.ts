// Learning curves for the `collect` benchmark (active vs random choice of the next pair to ask):
// accuracy by number of collected pairs, averaged over seeds within a user and then over users, with a
// 95% Student-t interval across users, and the first size at which a curve reaches a target. Pure
// functions, no engine code, so that test/unit/active-curve.test.ts can check them on known numbers.

/** One learning curve of one user under one seed: accuracy[i] is measured with sizes[i] collected pairs. */
export interface CurveRun {
  user: string;
  accuracy: readonly number[];
}

export interface CurvePoint {
  size: number;
  /** Mean over users of each user's mean over its runs (seeds). */
  mean: number;
  /** 95% interval of that mean across users (Student t); NaN with fewer than two users. */
  low: number;
  high: number;
  users: number;
}

/** Two-sided 95% critical values of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (table to 30, then z + (z^3 + z) / 4df). */
export function tCritical95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df);
}

/** Mean and 95% t-interval of a sample of accuracies, clamped to [0, 1]; NaN bounds for fewer than two values. */
export function meanInterval(values: readonly number[]): { mean: number; low: number; high: number } {
  if (!values.length) throw new RangeError('no values to average');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, low: NaN, high: NaN };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const half = tCritical95(n - 1) * Math.sqrt(variance / n);
  return { mean, low: Math.max(0, mean - half), high: Math.min(1, mean + half) };
}

/**
 * The average curve: at each size, each user's runs are averaged first (seeds are repetitions within a
 * user), then the users' means are averaged with an interval across users (users are the units).
 */
export function averageCurve(sizes: readonly number[], runs: readonly CurveRun[]): CurvePoint[] {
  if (!runs.length) throw new RangeError('no runs to average');
  for (const r of runs)
    if (r.accuracy.length !== sizes.length)
      throw new RangeError(`run of ${r.user} has ${r.accuracy.length} points for ${sizes.length} sizes`);
  const byUser = new Map<string, CurveRun[]>();
  for (const r of runs) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r]);
  return sizes.map((size, i) => {
    const perUser = [...byUser.values()].map((rs) => rs.reduce((s, r) => s + r.accuracy[i]!, 0) / rs.length);
    return { size, ...meanInterval(perUser), users: perUser.length };
  });
}

/** The first size at which the curve's mean reaches `target` (>=), or null when it never does. */
export function firstReaching(curve: readonly Pick<CurvePoint, 'size' | 'mean'>[], target: number): number | null {
  for (const p of curve) if (p.mean >= target) return p.size;
  return null;
}
