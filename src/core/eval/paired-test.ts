// The paired test of a before/after comparison, at the level of pairs (METHOD.md section 4).
//
// A pair is judged in both orders, and the two orders are not independent observations: they
// share the conversation, the two responses and the user. Counting them as two samples doubles
// the apparent evidence: 25 pairs on which B beat A in both orders (17 against 8) gave "50
// discordant samples, p = 0.015" where the honest answer is 25 discordant pairs, p = 0.108.
//
// Decision: an exact sign-flip (randomization) test on the pair differences.
// - A pair's score is the mean of its orders (0, 0.5 or 1) and its difference d = score(B) -
//   score(A) is one of -1, -0.5, 0, 0.5, 1. The statistic is the sum of d (proportional to the
//   reported accuracy difference when every pair has both orders).
// - Null hypothesis: on every pair, the two runs are exchangeable, i.e. the labels "A" and "B"
//   could be swapped pair by pair without changing anything. Then each non-zero d is equally
//   likely to have either sign, independently across pairs, and the p-value is the share of the
//   2^n sign assignments whose |sum| reaches the observed one. Zeros carry no information and drop
//   out, as in McNemar's test.
// - Why this test and not McNemar or a sign test: those need each pair to have a whole outcome
//   (B better or A better). Here a pair can be half-discordant (B better in one order only); the
//   sign-flip test uses such pairs with half the weight instead of forcing a choice. With
//   whole-pair outcomes only (every d is -1, 0 or 1) it IS the exact sign test, i.e. McNemar's
//   exact test over pairs.
// - Exact, always, on the half-point grid: with n1 half-discordant and n2 fully discordant pairs
//   the statistic in half-points is (2 K1 - n1) + 2 (2 K2 - n2) with K1 ~ Bin(n1, 1/2) and
//   K2 ~ Bin(n2, 1/2) independent, so the p-value is one sum over K2 of binomial tails of K1:
//   O(n1 + n2) work, no enumeration of 2^n assignments, exact to rounding at any size.
// - Differences off that grid (pairs with three or more orders, or callers passing arbitrary
//   differences) fall back to a seeded Monte Carlo of 20,000 random sign flips, with the usual
//   (1 + hits) / (1 + flips) so that p is never 0; with 20,000 flips its standard error at
//   p = 0.05 is 0.0015.
// That is the test for ONE user, whose pairs are the unit.
//
// Several users: the unit is the user (userSignFlipTest, which pairedTest uses whenever the pairs
// belong to two or more users). When users' gains differ (some improved, others hurt) exchangeability
// holds per user, not per pair, and the pair-level test overstated the evidence for "users in
// general": with a true difference of 0 on average but users spread +/- 10 points, it gave p < 0.05
// in 14.6% of experiments (`npm run bench -- stats`, 1,300 pairs, about 40 users). The user-level
// test flips the sign of each user's total difference (B's correct order-samples minus A's), the
// same weights as the reported difference (users weigh by their order-samples); it holds its level
// when users differ (4.8%) and loses little power when they do not (80.8% against 83.8% at a true
// +5 points). Exact: the totals are integers, so the distribution of the flipped sum is one
// convolution over users, O(users x sum of |totals|). Its price is that few users can show little:
// with U users the smallest p is 2 / 2^U, so fewer than 6 users can never reach p < 0.05
// (sample-size.ts says so next to the comparison).

import { createRng } from '../random';
import { logFactorial, type PairSamples } from './statistics';

export interface PairedTestOptions {
  /** The user of each pair: with two or more distinct users, pairedTest's unit is the user (userSignFlipTest). */
  users?: readonly string[];
  /** Seed of the Monte Carlo fallback (unused by the exact path). */
  seed?: number | string;
  /** Random sign flips of the Monte Carlo fallback. */
  flips?: number;
}

export interface PairedTestResult {
  /** Pairs on which B scored higher than A (B right in more of the pair's orders). */
  b01: number;
  /** Pairs on which A scored higher than B. */
  b10: number;
  /** b01 + b10: the pairs that carry information about which run is better. */
  discordant: number;
  /** Discordant pairs that differ in one order only (|d| = 0.5); they weigh half. */
  halfDiscordant: number;
  /** Two-sided p-value; 1 when no pair is discordant. */
  pValue: number;
  /** 'exact' on the half-point grid (always, for pairs judged in one or two orders); else 'monte-carlo'. */
  method: 'exact' | 'monte-carlo';
  /** Random sign flips used (0 for the exact test). */
  flips: number;
  /** What the test treats as independent: the pairs (one user) or the users. */
  unit?: 'pairs' | 'users';
}

/** Per-pair differences score(b) - score(a), a pair's score being the mean of its orders. */
export function pairDifferences(a: readonly PairSamples[], b: readonly PairSamples[]): number[] {
  if (a.length !== b.length)
    throw new RangeError(`pairDifferences: a has ${a.length} pairs but b has ${b.length}; they must be the same pairs`);
  return a.map((ra, i) => {
    const rb = b[i]!;
    if (ra.length !== rb.length)
      throw new RangeError(`pairDifferences: pair ${i} has ${ra.length} samples in a but ${rb.length} in b`);
    if (ra.length === 0) throw new RangeError(`pairDifferences: pair ${i} has no samples`);
    let diff = 0;
    for (let j = 0; j < ra.length; j++) diff += Number(rb[j]!) - Number(ra[j]!);
    return diff / ra.length;
  });
}

/** P(K <= k) for K ~ Binomial(n, 1/2), k = 0..n, summed from the small end so that small tails keep their precision. */
function lowerTailsHalf(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  const base = logFactorial(n) - n * Math.LN2;
  let acc = 0;
  for (let k = 0; k <= n; k++) {
    acc += Math.exp(base - logFactorial(k) - logFactorial(n - k));
    out[k] = Math.min(1, acc);
  }
  return out;
}

function pmfHalf(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  const base = logFactorial(n) - n * Math.LN2;
  for (let k = 0; k <= n; k++) out[k] = Math.exp(base - logFactorial(k) - logFactorial(n - k));
  return out;
}

/**
 * Exact two-sided p of the sign-flip test for n1 differences of magnitude 1 and n2 of magnitude 2
 * (in half-points) and an observed |sum| of t half-points (t > 0).
 */
function exactHalfGrid(n1: number, n2: number, t: number): number {
  const lower = lowerTailsHalf(n1);
  // P(S1 >= x) and P(S1 <= y) for S1 = 2 K1 - n1.
  const atLeast = (x: number): number => {
    const j = Math.ceil((x + n1) / 2);
    if (j <= 0) return 1;
    if (j > n1) return 0;
    return lower[n1 - j]!; // P(K1 >= j) = P(K1 <= n1 - j) by symmetry.
  };
  const atMost = (y: number): number => {
    const j = Math.floor((y + n1) / 2);
    if (j < 0) return 0;
    if (j >= n1) return 1;
    return lower[j]!;
  };
  const pmf2 = pmfHalf(n2);
  let p = 0;
  for (let k2 = 0; k2 <= n2; k2++) {
    const w = pmf2[k2]!;
    if (w === 0) continue;
    const s2 = 2 * (2 * k2 - n2);
    // |S1 + s2| >= t: the two events are disjoint because t > 0.
    p += w * (atLeast(t - s2) + atMost(-t - s2));
  }
  return Math.min(1, p);
}

/**
 * The pair-level paired test on differences d in [-1, 1] (pairDifferences). See the header for
 * the decision; the result counts pairs, never order-samples.
 */
export function pairedSignFlipTest(differences: readonly number[], opts: PairedTestOptions = {}): PairedTestResult {
  let b01 = 0;
  let b10 = 0;
  let halfDiscordant = 0;
  let onGrid = true;
  let n1 = 0;
  let n2 = 0;
  let units = 0; // observed sum in half-points, when on the grid
  const nonZero: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    const d = differences[i]!;
    if (!Number.isFinite(d) || d < -1 || d > 1)
      throw new RangeError(`pairedSignFlipTest: difference ${i} must be in [-1, 1], got ${d}`);
    if (d === 0) continue;
    nonZero.push(d);
    if (d > 0) b01++;
    else b10++;
    const u = Math.round(2 * d);
    if (Math.abs(2 * d - u) > 1e-9 || u === 0) {
      onGrid = false;
      continue;
    }
    units += u;
    if (Math.abs(u) === 1) {
      n1++;
      halfDiscordant++;
    } else n2++;
  }
  const discordant = b01 + b10;
  if (discordant === 0) return { b01, b10, discordant, halfDiscordant, pValue: 1, method: 'exact', flips: 0 };
  if (onGrid) {
    const t = Math.abs(units);
    return {
      b01,
      b10,
      discordant,
      halfDiscordant,
      pValue: t === 0 ? 1 : exactHalfGrid(n1, n2, t),
      method: 'exact',
      flips: 0,
    };
  }
  const flips = opts.flips ?? 20000;
  if (!Number.isInteger(flips) || flips < 1)
    throw new RangeError(`pairedSignFlipTest: flips must be a positive integer, got ${flips}`);
  const rng = createRng(opts.seed ?? 0);
  const observed = Math.abs(nonZero.reduce((s, d) => s + d, 0));
  const scale = nonZero.reduce((s, d) => s + Math.abs(d), 0);
  // Sums that equal the observed one up to rounding must count as reaching it.
  const threshold = observed - 1e-9 * scale;
  let hits = 0;
  for (let f = 0; f < flips; f++) {
    let sum = 0;
    for (const d of nonZero) sum += rng() < 0.5 ? d : -d;
    if (Math.abs(sum) >= threshold) hits++;
  }
  return { b01, b10, discordant, halfDiscordant, pValue: (1 + hits) / (1 + flips), method: 'monte-carlo', flips };
}

/**
 * The exact two-sided sign-flip test over users: `totals` holds each user's total difference (in
 * order-samples, integers); under the null each total is as likely to have either sign. p is the
 * share of the 2^U sign assignments whose |sum| reaches the observed one, computed exactly by
 * convolution; totals off the integers fall back to a seeded Monte Carlo of `flips` assignments.
 */
export function userSignFlipTest(
  totals: readonly number[],
  opts: PairedTestOptions = {},
): { pValue: number; method: 'exact' | 'monte-carlo'; flips: number } {
  const nonZero = totals.filter((t) => {
    if (!Number.isFinite(t)) throw new RangeError(`userSignFlipTest: totals must be finite, got ${t}`);
    return t !== 0;
  });
  const observed = Math.abs(nonZero.reduce((s, t) => s + t, 0));
  if (nonZero.length === 0 || observed === 0) return { pValue: 1, method: 'exact', flips: 0 };
  if (nonZero.every(Number.isInteger)) {
    const span = nonZero.reduce((s, t) => s + Math.abs(t), 0);
    let dist = new Float64Array(2 * span + 1);
    dist[span] = 1;
    for (const t of nonZero) {
      const next = new Float64Array(2 * span + 1);
      for (let k = 0; k <= 2 * span; k++) {
        const w = dist[k]!;
        if (w === 0) continue;
        next[k + t] += w / 2;
        next[k - t] += w / 2;
      }
      dist = next;
    }
    let p = 0;
    for (let k = 0; k <= 2 * span; k++) if (Math.abs(k - span) >= observed) p += dist[k]!;
    return { pValue: Math.min(1, p), method: 'exact', flips: 0 };
  }
  const flips = opts.flips ?? 20000;
  const rng = createRng(opts.seed ?? 0);
  const threshold = observed - 1e-9 * nonZero.reduce((s, t) => s + Math.abs(t), 0);
  let hits = 0;
  for (let f = 0; f < flips; f++) {
    let sum = 0;
    for (const t of nonZero) sum += rng() < 0.5 ? t : -t;
    if (Math.abs(sum) >= threshold) hits++;
  }
  return { pValue: (1 + hits) / (1 + flips), method: 'monte-carlo', flips };
}

/**
 * The test of b against a on the same pairs and orders: over pairs for one user (or no users given),
 * over users when `opts.users` names two or more (the header says why). The counts (b01, b10,
 * discordant) are pairs either way.
 */
export function pairedTest(
  a: readonly PairSamples[],
  b: readonly PairSamples[],
  opts: PairedTestOptions = {},
): PairedTestResult {
  const pairLevel = pairedSignFlipTest(pairDifferences(a, b), opts);
  const users = opts.users;
  if (users === undefined || new Set(users).size < 2) return { ...pairLevel, unit: 'pairs' };
  if (users.length !== a.length)
    throw new RangeError(`pairedTest: users has ${users.length} entries but there are ${a.length} pairs`);
  const totals = new Map<string, number>();
  users.forEach((u, i) => {
    let d = 0;
    for (let j = 0; j < a[i]!.length; j++) d += Number(b[i]![j]!) - Number(a[i]![j]!);
    totals.set(u, (totals.get(u) ?? 0) + d);
  });
  const byUser = userSignFlipTest([...totals.values()], opts);
  return { ...pairLevel, pValue: byUser.pValue, method: byUser.method, flips: byUser.flips, unit: 'users' };
}
