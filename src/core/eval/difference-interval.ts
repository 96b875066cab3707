// The interval of a paired difference of two runs on the same pairs (METHOD.md section 4), and the
// small-sample interval of one run's accuracy over pairs. Deterministic: no resampling.
//
// Difference. The estimate is the pooled ratio sum(D) / sum(M) over clusters, D a cluster's
// difference in correct order-samples (B minus A) and M its order-samples. The clusters are the
// users when there are several, else the pairs (one user: the claim is about that user's pairs).
// Decision: a cluster-robust (CR1) standard error with Student's t on (clusters - 1) degrees of
// freedom, the small-cluster correction of Cameron and Miller (2015), plus the variance of two
// pseudo-pairs, one each way (the adjustment of Bonett and Price's 2012 interval for paired
// proportions), so that the variance is never 0: 3 identical pairs give -100 to +100 points, not
// "0.0 to 0.0". Why users only, and not users then pairs: a user's difference already carries its
// pairs' noise, so resampling pairs again inside users counted that noise twice (98-99% coverage
// where 95% was meant, and "significant" at a true +5 points over 1,300 pairs in 60.7% of
// experiments). `npm run bench -- stats` measures this interval at 94-96% coverage on 1,300 pairs
// (about 40 users), with gains shared by every user or spread +/- 10 points across them; on one
// user it is conservative at a handful of pairs (the pseudo-pairs dominate) and near 95% from
// about 60 pairs.

import { tCritical } from './t-distribution';

export interface DifferenceInterval {
  low: number;
  high: number;
  /** Clusters: users, or pairs when there is one user. */
  clusters: number;
}

/**
 * @param nums per pair, correct(B) - correct(A) in order-samples
 * @param dens per pair, its order-samples (> 0)
 * @param cluster per pair, the index of its cluster (its user), or undefined to make each pair its own cluster
 */
export function differenceInterval(
  nums: Float64Array,
  dens: Float64Array,
  cluster: readonly number[] | undefined,
  level: number,
): DifferenceInterval {
  const pairs = nums.length;
  const totals = new Map<number, [number, number]>();
  let sumNum = 0;
  let sumDen = 0;
  for (let i = 0; i < pairs; i++) {
    const key = cluster ? cluster[i]! : i;
    const t = totals.get(key) ?? [0, 0];
    t[0] += nums[i]!;
    t[1] += dens[i]!;
    totals.set(key, t);
    sumNum += nums[i]!;
    sumDen += dens[i]!;
  }
  const theta = sumNum / sumDen;
  const u = totals.size;
  let ss = 0;
  for (const [d, m] of totals.values()) ss += (d - theta * m) ** 2;
  const robust = u > 1 ? ((u / (u - 1)) * ss) / (sumDen * sumDen) : 0;
  // Two pseudo-pairs, one each way: a difference of +1 and -1 (in the scale of a pair's difference).
  const pseudo = 2 / ((pairs + 2) * (pairs + 2));
  const half = tCritical(level, Math.max(1, u - 1)) * Math.sqrt(robust + pseudo);
  return { low: Math.max(-1, theta - half), high: Math.min(1, theta + half), clusters: u };
}
