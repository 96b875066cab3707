// Percentile bootstraps of a pooled ratio sum(numerators) / sum(denominators): over pairs, and
// over users then pairs within users. The studio uses the two-level one for one thing only: the
// interval of one run's accuracy over several users (statistics.ts), floored by the pair-level
// Wilson interval so that identical outcomes never give a point.
//
// Why users at all. The pairs of one user share that user: a persona that fits Ada well fits all
// of Ada's pairs well. Resampling pairs alone treats one user's 25 pairs as 25 independent people:
// in `npm run bench -- stats` the pair-level 95% interval of accuracy covers the true accuracy in
// only about 62% of experiments; users-then-pairs covers it in about 95% (1,300 pairs, about 40
// users, and 300 pairs, about 10), where users only covers 91% at 10 users (it sees U clusters and
// its variance is (U - 1) / U of the truth; the second stage happens to make up for that when users
// differ much).
//
// Decision (issue 22): NOT for differences. The within-user noise enters twice (once through each
// drawn user's mean, once through the second stage). For an accuracy, where users differ by far
// more than their pairs' noise, that is harmless; for the difference of two runs, whose gain is
// often the same for every user, it made the interval cover 98-99% where 95% is meant, and
// "significant" at a true +5 points over 1,300 pairs fired in 60.7% of experiments. Differences
// use a cluster-robust interval with a small-cluster correction instead (difference-interval.ts:
// 94-96% coverage, "significant" 80% there). One user's accuracy uses a Wilson interval over pairs
// (statistics.ts pairWilsonInterval): a percentile bootstrap of 3 pairs covered 69% and printed
// "100.0 to 100.0" when they were all right.
//
// Everything is seeded: the same data and seed always give the same interval.

import { createRng, randomInt } from '../random';

/** One cluster's pairs: numerators[i] / denominators[i] is pair i's contribution (e.g. correct / orders). */
export interface RatioCluster {
  numerators: Float64Array;
  denominators: Float64Array;
}

export interface PercentileOptions {
  iterations: number;
  seed: number | string;
  level: number;
}

/** Quantile of an ascending array with linear interpolation between order statistics (R type 7). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

function percentiles(stats: Float64Array, level: number): [number, number] {
  stats.sort(); // Float64Array sorts numerically.
  const alpha = 1 - level;
  return [quantileSorted(stats, alpha / 2), quantileSorted(stats, 1 - alpha / 2)];
}

/**
 * Percentile bootstrap of sum(numerators) / sum(denominators), resampling the entries (pairs)
 * with replacement. Resampling whole pairs rather than order-samples matters because the two
 * orders of a pair share the same texts and are strongly correlated. Callers guarantee at least
 * one entry and positive denominators.
 */
export function pairBootstrap(
  numerators: Float64Array,
  denominators: Float64Array,
  { iterations, seed, level }: PercentileOptions,
): [number, number] {
  const k = numerators.length;
  const rng = createRng(seed);
  const stats = new Float64Array(iterations);
  for (let it = 0; it < iterations; it++) {
    let num = 0;
    let den = 0;
    for (let j = 0; j < k; j++) {
      const idx = randomInt(rng, k);
      num += numerators[idx]!;
      den += denominators[idx]!;
    }
    stats[it] = num / den;
  }
  return percentiles(stats, level);
}

export interface HierarchicalOptions extends PercentileOptions {
  /**
   * Resample pairs within each drawn user (default true: the studio's scheme). false resamples
   * users only and keeps each drawn user's pairs as they are (the "cluster bootstrap"); the header
   * says where the studio uses which.
   */
  resamplePairs?: boolean;
}

/**
 * Hierarchical percentile bootstrap: users with replacement, then pairs with replacement within
 * each drawn user; the statistic is pooled over everything drawn (the same estimator as the point
 * value: order-samples weighted equally, so users with more pairs weigh more, as in the reported
 * accuracy). Empty clusters are ignored. With a single (non-empty) cluster there is no between-user
 * variation to sample and the result is exactly pairBootstrap over that cluster's pairs (same seed,
 * same numbers), which is what a single-user comparison always reported.
 */
export function hierarchicalBootstrap(clusters: readonly RatioCluster[], opts: HierarchicalOptions): [number, number] {
  const used = clusters.filter((c) => c.numerators.length > 0);
  if (used.length === 0) throw new RangeError('hierarchicalBootstrap: no pairs');
  if (used.length === 1) return pairBootstrap(used[0]!.numerators, used[0]!.denominators, opts);
  const rng = createRng(opts.seed);
  const u = used.length;
  const stats = new Float64Array(opts.iterations);
  if (opts.resamplePairs === false) {
    const sumNum = Float64Array.from(used, (c) => c.numerators.reduce((s, x) => s + x, 0));
    const sumDen = Float64Array.from(used, (c) => c.denominators.reduce((s, x) => s + x, 0));
    for (let it = 0; it < opts.iterations; it++) {
      let num = 0;
      let den = 0;
      for (let j = 0; j < u; j++) {
        const idx = randomInt(rng, u);
        num += sumNum[idx]!;
        den += sumDen[idx]!;
      }
      stats[it] = num / den;
    }
    return percentiles(stats, opts.level);
  }
  for (let it = 0; it < opts.iterations; it++) {
    let num = 0;
    let den = 0;
    for (let j = 0; j < u; j++) {
      const c = used[randomInt(rng, u)]!;
      const m = c.numerators.length;
      for (let i = 0; i < m; i++) {
        const idx = randomInt(rng, m);
        num += c.numerators[idx]!;
        den += c.denominators[idx]!;
      }
    }
    stats[it] = num / den;
  }
  return percentiles(stats, opts.level);
}
