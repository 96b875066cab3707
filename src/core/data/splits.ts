// Per-user context/validation/test splits: explicit splits are kept, the rest are assigned
// deterministically from a seed (or in file order, for a temporal split).

import type { Pair, Split } from './pair';
import { SPLITS } from './pair';
import { createRng, shuffled } from '../random';

export interface SplitOptions {
  /** Relative weights for context, validation, test. */
  ratios: [number, number, number];
  seed: number;
  /** Keep file order instead of shuffling: the earliest pairs become context. */
  temporal: boolean;
  /** Users with fewer pairs are reported as too small and get no automatic split. */
  minPairs: number;
}

export const DEFAULT_SPLIT_OPTIONS: SplitOptions = { ratios: [50, 20, 30], seed: 0, temporal: false, minPairs: 5 };

export interface UserSplit {
  userId: string;
  /** Pair id -> split; pairs of a too-small user without an explicit split are absent. */
  assignment: Map<string, Split>;
  counts: Record<Split, number>;
  tooSmall: boolean;
}

/** Largest-remainder apportionment of n items to the ratios, every split non-empty when n allows. */
export function apportion(n: number, ratios: readonly number[]): number[] {
  const total = ratios.reduce((a, b) => a + b, 0);
  if (n <= 0 || total <= 0) return ratios.map(() => 0);
  const exact = ratios.map((r) => (n * r) / total);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rem: e - Math.floor(e) })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  // A split with a positive ratio should not be empty when there are enough pairs to go round.
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0 && ratios[i]! > 0) {
      const donor = counts.indexOf(Math.max(...counts));
      if (counts[donor]! > 1) {
        counts[donor]!--;
        counts[i]!++;
      }
    }
  }
  return counts;
}

export function splitUser(userId: string, pairs: readonly Pair[], options: SplitOptions): UserSplit {
  const assignment = new Map<string, Split>();
  const counts: Record<Split, number> = { context: 0, validation: 0, test: 0 };
  const free: Pair[] = [];
  for (const p of pairs) {
    if (p.split) {
      assignment.set(p.pairId, p.split);
      counts[p.split]++;
    } else free.push(p);
  }
  const tooSmall = pairs.length < options.minPairs;
  if (!tooSmall && free.length) {
    // Targets are for the whole user; explicit splits already used part of them.
    const target = apportion(pairs.length, options.ratios);
    const need = SPLITS.map((s, i) => Math.max(0, target[i]! - counts[s]));
    const quota = apportion(free.length, need.some((x) => x > 0) ? need : options.ratios);
    const ordered = options.temporal ? free : shuffled(free, createRng(`${options.seed}:${userId}`));
    let k = 0;
    SPLITS.forEach((s, i) => {
      for (let j = 0; j < quota[i]!; j++) {
        assignment.set(ordered[k++]!.pairId, s);
        counts[s]++;
      }
    });
  }
  return { userId, assignment, counts, tooSmall };
}
