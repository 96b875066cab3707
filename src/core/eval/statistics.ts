// Confidence intervals and paired tests for judge accuracy (METHOD.md section 4).
//
// Every accuracy the studio shows carries a 95% interval, and every before/after comparison on the
// same pairs carries a paired interval plus an exact test (paired-test.ts; the sample-level
// mcnemarExact below is kept for callers that really have independent samples).
// - One run's accuracy: over one user's pairs (or with no users given), a Wilson interval over pairs
//   with the design effect of the two orders (pairWilsonInterval): never of zero width, and 94-96%
//   coverage from 3 to 60 pairs in `npm run bench -- stats`, where a percentile bootstrap of 3 pairs
//   covered 69% and printed "100.0 to 100.0". Over several users, users then pairs
//   (hierarchical-bootstrap.ts), never narrower than the pair-level Wilson interval.
// - A difference of two runs: a cluster-robust interval over users, or over pairs for one user
//   (difference-interval.ts says why).
// Everything here is a pure function: no I/O, no vscode, and all resampling goes through the seeded
// RNG so that a report rendered twice (or on another machine) shows the same numbers.
//
// Units: accuracies and differences are proportions in [0, 1] / [-1, 1]; only describeDifference
// converts to percentage points for display.

import { differenceInterval } from './difference-interval';
import { hierarchicalBootstrap, pairBootstrap, type RatioCluster } from './hierarchical-bootstrap';
import { tCritical } from './t-distribution';

/** One judged pair: one boolean per order asked ((A,B) then (B,A)); true = the judge picked the chosen response. */
export type PairSamples = readonly boolean[];

export type Winner = 'chosen' | 'rejected' | null;

export interface BootstrapOptions {
  /** Number of bootstrap resamples. 2000 keeps the 2.5% / 97.5% percentiles stable to ~0.1 points. */
  iterations?: number;
  /** Seed for the resampling RNG; the same seed and data always give the same interval. */
  seed?: number | string;
  /** Two-sided coverage of the interval. */
  level?: number;
}

/**
 * Bootstrap options for the accuracy and paired-difference intervals, which can be clustered by user.
 */
export interface ClusteredBootstrapOptions extends BootstrapOptions {
  /**
   * The user of each pair, parallel to the pairs. With two or more distinct users the intervals
   * are clustered by user (an accuracy: users, then pairs; a difference: users); with one user,
   * or without this option, the pair is the unit.
   */
  users?: readonly string[];
}

/**
 * What an interval treats as independent: 'pairs' (one user, or no users given), 'users, then
 * pairs' (an accuracy over several users: the two-level bootstrap) or 'users' (a difference over
 * several users: the cluster-robust interval).
 */
export type Resampling = 'pairs' | 'users, then pairs' | 'users';

export interface AccuracyWithInterval {
  /** Mean over all samples (both orders of every pair); NaN when there are no pairs. */
  accuracy: number;
  low: number;
  high: number;
  /** Number of 0/1 samples (normally 2 x pairs). */
  samples: number;
  pairs: number;
  /** Distinct users among the pairs (1 when no users were given and there are pairs). */
  users: number;
  resampling: Resampling;
}

export interface PairedDifference {
  /** accuracy(b) - accuracy(a); NaN when there are no pairs. */
  difference: number;
  low: number;
  high: number;
  accuracyA: number;
  accuracyB: number;
  samples: number;
  pairs: number;
  users: number;
  resampling: Resampling;
}

export interface McNemarResult {
  /** Samples where a was wrong and b was right. */
  b01: number;
  /** Samples where a was right and b was wrong. */
  b10: number;
  /** b01 + b10: only these samples carry information about which method is better. */
  discordant: number;
  /** Exact two-sided sign-test p-value; 1 when there are no discordant samples. */
  pValue: number;
}

const DEFAULT_Z = 1.959964;

// ---------------------------------------------------------------------------------------------
// Wilson score interval

/**
 * Wilson score interval for a binomial proportion. Preferred over the normal (Wald) interval
 * because it stays inside [0, 1] and does not collapse to zero width at 0/n or n/n, which is
 * exactly where small validation sets land.
 * Non-integer counts are accepted so callers can pass design-effect-adjusted effective sizes.
 */
export function wilsonInterval(successes: number, n: number, z: number = DEFAULT_Z): [number, number] {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`wilsonInterval: n must be a finite number >= 0, got ${n}`);
  if (!Number.isFinite(successes) || successes < 0 || successes > n) {
    throw new RangeError(`wilsonInterval: successes must be in [0, n=${n}], got ${successes}`);
  }
  if (!Number.isFinite(z) || z <= 0) throw new RangeError(`wilsonInterval: z must be a positive number, got ${z}`);
  // No data: the honest interval is "anything".
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At the boundaries the exact bound is 0 (resp. 1); floating point can land a hair off, so pin it.
  const low = successes === 0 ? 0 : Math.max(0, center - half);
  const high = successes === n ? 1 : Math.min(1, center + half);
  return [low, high];
}

// ---------------------------------------------------------------------------------------------
// Bootstrap options (the resamplers themselves are in hierarchical-bootstrap.ts)

interface ResolvedOptions {
  iterations: number;
  seed: number | string;
  level: number;
}

function resolveOptions(opts: BootstrapOptions | undefined, fn: string): ResolvedOptions {
  const iterations = opts?.iterations ?? 2000;
  const seed = opts?.seed ?? 0;
  const level = opts?.level ?? 0.95;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`${fn}: iterations must be a positive integer, got ${iterations}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`${fn}: level must be in (0, 1), got ${level}`);
  return { iterations, seed, level };
}

/**
 * Deterministic percentile bootstrap interval of the mean of independent samples (normally 0/1).
 * Empty input gives [0, 1], matching wilsonInterval's "no data" answer.
 * Note: percentile intervals collapse to a point when every sample is equal (all right or all
 * wrong); use wilsonInterval when that case matters.
 */
export function bootstrapInterval(samples: readonly number[], opts?: BootstrapOptions): [number, number] {
  const resolved = resolveOptions(opts, 'bootstrapInterval');
  if (samples.length === 0) return [0, 1];
  const nums = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`bootstrapInterval: sample ${i} is not a finite number (${v})`);
    nums[i] = v;
  }
  const dens = new Float64Array(samples.length).fill(1);
  return pairBootstrap(nums, dens, resolved);
}

/** Normal quantile of a two-sided interval at `level` (1.96 at 95%). */
function zOf(level: number): number {
  return level === 0.95 ? DEFAULT_Z : tCritical(level, 1e7);
}

/**
 * Wilson interval of sum(nums) / sum(dens) over pairs whose order-samples are correlated: the
 * Wilson interval at the effective number of samples, sum(dens) / design effect. The design effect
 * is estimated from the pairs (the variance of the ratio over pairs against the binomial one),
 * between 1 (orders independent) and sum(dens^2) / sum(dens) (both orders always agree; 2 for
 * pairs judged in both orders). When it cannot be estimated (fewer than 2 pairs, or every sample
 * right or every sample wrong) it takes the upper end: a Wilson interval over pairs, never of zero
 * width. The bench measures 94-96% coverage of one user's accuracy at 3, 5, 10, 20 and 60 pairs.
 */
export function pairWilsonInterval(nums: Float64Array, dens: Float64Array, level = 0.95): [number, number] {
  const k = nums.length;
  if (k === 0) return [0, 1];
  let sumNum = 0;
  let sumDen = 0;
  let sumDen2 = 0;
  for (let i = 0; i < k; i++) {
    sumNum += nums[i]!;
    sumDen += dens[i]!;
    sumDen2 += dens[i]! * dens[i]!;
  }
  const p = sumNum / sumDen;
  const maxDeff = sumDen2 / sumDen;
  let deff = maxDeff;
  if (k >= 2 && p > 0 && p < 1) {
    let ss = 0;
    for (let i = 0; i < k; i++) ss += (nums[i]! - p * dens[i]!) ** 2;
    const variance = ((k / (k - 1)) * ss) / (sumDen * sumDen);
    deff = Math.min(maxDeff, Math.max(1, variance / ((p * (1 - p)) / sumDen)));
  }
  const n = sumDen / deff;
  return wilsonInterval(Math.min(n, Math.max(0, p * n)), n, zOf(level));
}

/**
 * The interval of an accuracy sum(nums) / sum(dens) over pairs: one user (or no users given), the
 * pair-level Wilson interval; several users, users then pairs (hierarchical-bootstrap.ts), widened
 * to the pair-level Wilson interval where that is wider: between-user variation only adds
 * uncertainty, and a bootstrap of identical outcomes is a point.
 */
function ratioInterval(
  nums: Float64Array,
  dens: Float64Array,
  users: readonly string[] | undefined,
  resolved: ResolvedOptions,
  fn: string,
): { low: number; high: number; users: number; resampling: Resampling } {
  const floor = pairWilsonInterval(nums, dens, resolved.level);
  if (users === undefined) return { low: floor[0], high: floor[1], users: 1, resampling: 'pairs' };
  const byUser = groupByUser(users, nums.length, fn);
  if (byUser.size < 2) return { low: floor[0], high: floor[1], users: byUser.size, resampling: 'pairs' };
  // Clusters in first-appearance order, pairs in input order: deterministic for a given input.
  const clusters: RatioCluster[] = [...byUser.values()].map((idx) => ({
    numerators: Float64Array.from(idx, (i) => nums[i]!),
    denominators: Float64Array.from(idx, (i) => dens[i]!),
  }));
  const [low, high] = hierarchicalBootstrap(clusters, resolved);
  return {
    low: Math.min(low, floor[0]),
    high: Math.max(high, floor[1]),
    users: byUser.size,
    resampling: 'users, then pairs',
  };
}

/** The pairs of each user, users in first-appearance order. */
function groupByUser(users: readonly string[], pairs: number, fn: string): Map<string, number[]> {
  if (users.length !== pairs)
    throw new RangeError(`${fn}: users has ${users.length} entries but there are ${pairs} pairs`);
  const byUser = new Map<string, number[]>();
  users.forEach((u, i) => {
    const list = byUser.get(u);
    if (list) list.push(i);
    else byUser.set(u, [i]);
  });
  return byUser;
}

function countCorrect(samples: PairSamples): number {
  let c = 0;
  for (const s of samples) if (s) c++;
  return c;
}

/**
 * Accuracy over all samples (both orders of every pair) with its interval (ratioInterval): the
 * pair-level Wilson interval, or users then pairs when `opts.users` names several users. No pairs gives accuracy NaN
 * (0/0 has no value; a 0 would read as "always wrong") with the uninformative interval [0, 1].
 */
export function accuracyWithInterval(
  correct: readonly PairSamples[],
  opts?: ClusteredBootstrapOptions,
): AccuracyWithInterval {
  const resolved = resolveOptions(opts, 'accuracyWithInterval');
  const pairs = correct.length;
  const nums = new Float64Array(pairs);
  const dens = new Float64Array(pairs);
  let right = 0;
  let samples = 0;
  for (let i = 0; i < pairs; i++) {
    const orders = correct[i]!;
    // An empty pair would make some resamples 0/0; it is always a caller bug, so say so early.
    if (orders.length === 0) throw new RangeError(`accuracyWithInterval: pair ${i} has no samples`);
    nums[i] = countCorrect(orders);
    dens[i] = orders.length;
    right += nums[i]!;
    samples += orders.length;
  }
  if (pairs === 0)
    return { accuracy: Number.NaN, low: 0, high: 1, samples: 0, pairs: 0, users: 0, resampling: 'pairs' };
  const ci = ratioInterval(nums, dens, opts?.users, resolved, 'accuracyWithInterval');
  return {
    accuracy: right / samples,
    low: ci.low,
    high: ci.high,
    samples,
    pairs,
    users: ci.users,
    resampling: ci.resampling,
  };
}

/**
 * Paired comparison of two methods judged on the SAME pairs and orders: difference of accuracies
 * (b - a) with a cluster-robust interval on the per-pair differences (difference-interval.ts):
 * clustered by user when `opts.users` names several users, by pair otherwise. Pairing removes the
 * pair-difficulty variance shared by both methods, so the interval is much tighter than comparing
 * two independent intervals. The name is historical (it was a bootstrap); nothing is resampled and
 * `iterations` and `seed` are unused.
 */
export function pairedBootstrap(
  a: readonly PairSamples[],
  b: readonly PairSamples[],
  opts?: ClusteredBootstrapOptions,
): PairedDifference {
  const resolved = resolveOptions(opts, 'pairedBootstrap');
  if (a.length !== b.length) {
    throw new RangeError(`pairedBootstrap: a has ${a.length} pairs but b has ${b.length}; they must be the same pairs`);
  }
  const pairs = a.length;
  const nums = new Float64Array(pairs);
  const dens = new Float64Array(pairs);
  let rightA = 0;
  let rightB = 0;
  let samples = 0;
  for (let i = 0; i < pairs; i++) {
    const ra = a[i]!;
    const rb = b[i]!;
    if (ra.length !== rb.length) {
      throw new RangeError(`pairedBootstrap: pair ${i} has ${ra.length} samples in a but ${rb.length} in b`);
    }
    if (ra.length === 0) throw new RangeError(`pairedBootstrap: pair ${i} has no samples`);
    const ca = countCorrect(ra);
    const cb = countCorrect(rb);
    // Per-pair difference in correct counts: identical inputs give exactly 0 in every resample.
    nums[i] = cb - ca;
    dens[i] = ra.length;
    rightA += ca;
    rightB += cb;
    samples += ra.length;
  }
  if (pairs === 0) {
    return {
      difference: Number.NaN,
      low: -1,
      high: 1,
      accuracyA: Number.NaN,
      accuracyB: Number.NaN,
      samples: 0,
      pairs: 0,
      users: 0,
      resampling: 'pairs',
    };
  }
  const byUser = opts?.users ? groupByUser(opts.users, pairs, 'pairedBootstrap') : undefined;
  const clustered = byUser !== undefined && byUser.size > 1;
  let cluster: number[] | undefined;
  if (clustered) {
    cluster = new Array<number>(pairs);
    [...byUser.values()].forEach((idx, u) => idx.forEach((i) => (cluster![i] = u)));
  }
  const interval = differenceInterval(nums, dens, cluster, resolved.level);
  const ci = {
    low: interval.low,
    high: interval.high,
    users: byUser?.size ?? 1,
    resampling: (clustered ? 'users' : 'pairs') as Resampling,
  };
  return {
    difference: (rightB - rightA) / samples,
    low: ci.low,
    high: ci.high,
    accuracyA: rightA / samples,
    accuracyB: rightB / samples,
    samples,
    pairs,
    users: ci.users,
    resampling: ci.resampling,
  };
}

// ---------------------------------------------------------------------------------------------
// Position bias

/**
 * Share of pairs whose two orders picked the same response. A failed call or tie (null) in either
 * order counts as inconsistent: it is not evidence that the judge ignores position.
 * NaN for no pairs.
 */
export function consistencyRate(winners: ReadonlyArray<readonly [Winner, Winner]>): number {
  if (winners.length === 0) return Number.NaN;
  let same = 0;
  for (const [first, second] of winners) {
    if (first !== null && first === second) same++;
  }
  return same / winners.length;
}

// ---------------------------------------------------------------------------------------------
// Exact McNemar (sign) test

// ln(k!) for small k by direct summation (exact to rounding); Stirling's series above that, where
// its truncation error (< 1/(1680 k^7)) is far below double precision.
const LOG_FACTORIAL_TABLE_SIZE = 256;
let logFactorialTable: Float64Array | undefined;

/** ln(k!) for integer k >= 0 (shared with the pair-level test in paired-test.ts). */
export function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL_TABLE_SIZE) {
    if (!logFactorialTable) {
      logFactorialTable = new Float64Array(LOG_FACTORIAL_TABLE_SIZE);
      for (let i = 2; i < LOG_FACTORIAL_TABLE_SIZE; i++) logFactorialTable[i] = logFactorialTable[i - 1]! + Math.log(i);
    }
    return logFactorialTable[k]!;
  }
  const inv = 1 / k;
  const inv2 = inv * inv;
  return (
    k * Math.log(k) -
    k +
    0.5 * Math.log(2 * Math.PI * k) +
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
  );
}

/**
 * ln P(X <= k) for X ~ Binomial(n, 1/2), with 0 <= k <= n/2.
 * 2^-n underflows for n > 1074, so work in log space: start from the largest term in the tail,
 * pmf(k) (the pmf increases up to the mode n/2), and add the smaller terms below it relative to
 * it via the ratio pmf(i-1)/pmf(i) = i/(n-i+1). This is O(terms that matter), never overflows,
 * and needs no factorial of n.
 */
function logBinomialLowerTailHalf(k: number, n: number): number {
  const logPmfK = logFactorial(n) - logFactorial(k) - logFactorial(n - k) - n * Math.LN2;
  let sum = 1; // pmf(k) / pmf(k)
  let term = 1;
  for (let i = k; i > 0; i--) {
    term *= i / (n - i + 1);
    sum += term;
    if (term < sum * 1e-17) break; // remaining terms shrink at least geometrically; below rounding.
  }
  return logPmfK + Math.log(sum);
}

/**
 * Exact McNemar test over aligned 0/1 samples of two methods (same pairs, same orders, same
 * positions in both arrays). Only discordant samples matter; under the null hypothesis of equal
 * accuracy each is equally likely to favour either method, so the count is Binomial(n, 1/2) and
 * the two-sided p-value is min(1, 2 P(X <= min(b01, b10))). Exact rather than chi-square because
 * hand-edit comparisons often have only a handful of discordant samples.
 *
 * Do not feed it the flattened order-samples of judged pairs: the two orders of one pair are not
 * independent, so 25 discordant pairs would count as 50 discordant samples and p would come out
 * far too small (0.015 instead of 0.108). Comparisons of judged pairs use pairedSignFlipTest
 * (paired-test.ts), which works on pairs and equals this test on whole-pair outcomes.
 */
export function mcnemarExact(a: readonly boolean[], b: readonly boolean[]): McNemarResult {
  if (a.length !== b.length) {
    throw new RangeError(`mcnemarExact: a has ${a.length} samples but b has ${b.length}; they must be aligned`);
  }
  let b01 = 0;
  let b10 = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) b10++;
    else if (!a[i] && b[i]) b01++;
  }
  const n = b01 + b10;
  if (n === 0) return { b01, b10, discordant: 0, pValue: 1 };
  const k = Math.min(b01, b10);
  const pValue = Math.min(1, 2 * Math.exp(logBinomialLowerTailHalf(k, n)));
  return { b01, b10, discordant: n, pValue };
}

// ---------------------------------------------------------------------------------------------
// Presentation

function formatPoints(proportion: number, signed: boolean): string {
  const rounded = Math.round(proportion * 1000) / 10;
  // Avoid "-0.0" and "+0.0": a difference that rounds to nothing gets no sign.
  if (rounded === 0) return '0.0';
  const text = Math.abs(rounded).toFixed(1);
  if (rounded < 0) return `-${text}`;
  return signed ? `+${text}` : text;
}

/**
 * An interval bound in points. Like formatPoints, except that a bound which is not zero never
 * prints as "0.0": "CI 0.0 to 5.0: significant" would read as an interval touching 0 next to a
 * verdict that says it does not. Such a bound gets as many decimals as it needs ("0.04").
 */
function formatBound(proportion: number): string {
  const shown = formatPoints(proportion, false);
  if (shown !== '0.0' || proportion === 0) return shown;
  const points = proportion * 100;
  let digits = 2;
  while (digits < 12 && Number(points.toFixed(digits)) === 0) digits++;
  return points.toFixed(digits);
}

function formatP(p: number, alpha: number, label: string): string {
  if (p < 0.001) return `${label} < 0.001`;
  const shown = Number(p.toPrecision(2));
  // Rounding must not make a significant result look like it sits at or above the threshold
  // (p = 0.0497 would otherwise print as "p = 0.05 ... significant").
  if (p < alpha && shown >= alpha) return `${label} < ${alpha}`;
  return `${label} = ${shown}`;
}

export interface DescribeOptions {
  /** How the p-value is named in the sentence: 'p' (default), or e.g. 'Holm p' for an adjusted one. */
  pLabel?: string;
}

/** What a paired comparison's sentence concludes, as a value (the Testing panel fails on a significant drop). */
export type DifferenceVerdict = 'significant' | 'borderline' | 'not yet significant' | 'none';

// 1 - 0.95 is 0.050000000000000044 in floating point.
const alphaOf = (level: number) => Number((1 - level).toPrecision(6));

/**
 * The verdict describeDifference writes, for callers that act on it: "significant" only when the interval
 * excludes 0 and p < 1 - level, "not yet significant" when neither, "borderline" when only one; "none"
 * when there is nothing to compare (a bound or p that is not a number).
 */
export function differenceVerdict(low: number, high: number, p: number, level = 0.95): DifferenceVerdict {
  if (![low, high, p].every(Number.isFinite)) return 'none';
  const excludesZero = low > 0 || high < 0;
  const rejects = p < alphaOf(level);
  if (excludesZero && rejects) return 'significant';
  return !excludesZero && !rejects ? 'not yet significant' : 'borderline';
}

/**
 * One sentence for a paired comparison, e.g.
 * "+4.2 points (95% CI -1.0 to 9.5, p = 0.18): not yet significant".
 * diff, low and high are proportions (as returned by pairedBootstrap); p from the pair-level test
 * (pairedSignFlipTest in paired-test.ts).
 *
 * The verdict states the interval and the test together and can never contradict either:
 * - "significant" only when the interval excludes 0 AND p < 1 - level;
 * - "not yet significant" only when the interval includes 0 AND p >= 1 - level;
 * - otherwise "borderline: ..." saying which of the two is past the threshold. They can disagree
 *   because they answer slightly different questions (the exact test: could this be a relabelling
 *   of the same judge? the interval, which may resample users: how large is the gain for users in
 *   general?), and near the threshold either can tip first. The sentence used to print
 *   "p = 0.015: not yet significant"; it now says "borderline" instead.
 * Both are judged on the values as printed: p goes through formatP's rounding guard and a non-zero
 * bound never prints as 0.0 (formatBound). "not yet" because the usual remedy is more pairs.
 */
export function describeDifference(
  diff: number,
  low: number,
  high: number,
  p: number,
  level = 0.95,
  opts: DescribeOptions = {},
): string {
  if (![diff, low, high, p].every(Number.isFinite)) return 'no paired samples to compare';
  const alpha = alphaOf(level);
  const levelText = `${Number((level * 100).toPrecision(6))}%`;
  const label = opts.pLabel ?? 'p';
  const kind = differenceVerdict(low, high, p, level);
  const verdict =
    kind !== 'borderline'
      ? kind
      : p < alpha
        ? `borderline: ${label} < ${alpha} but the interval includes 0`
        : `borderline: the interval excludes 0 but ${label} ≥ ${alpha}`;
  return (
    `${formatPoints(diff, true)} points ` +
    `(${levelText} CI ${formatBound(low)} to ${formatBound(high)}, ${formatP(p, alpha, label)}): ${verdict}`
  );
}
