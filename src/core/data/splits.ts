// Per-user context/validation/test splits: explicit splits are kept; every other pair's split follows
// from the seed, its user id and its own pair id alone (a hash), so adding, collecting or importing
// pairs never moves an existing pair between splits. A temporal split (file order) is the exception:
// its boundaries move as pairs are added. legacySplitUser is the earlier rule (a seeded shuffle of a
// user's free pairs, apportioned to the ratios), kept for workspaces fitted under it (split-record.ts).

import { createHash } from 'node:crypto';
import type { Pair, Split } from './pair';
import { SPLITS } from './pair';
import { createRng, shuffled } from '../random';

export interface SplitOptions {
  /** Relative weights for context, validation, test. */
  ratios: [number, number, number];
  seed: number;
  /** Keep file order instead of hashing: the earliest pairs become context. */
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

/**
 * Which rule splits the pairs that have no explicit split: by their id (hash); the earlier shuffle (legacy:
 * a workspace fitted under it whose splits are not pinned yet); or a pinned record (split-record.ts), whose
 * pairs keep their recorded split while pairs it does not hold are split by their id.
 */
export type SplitBasis =
  { rule: 'hash' } | { rule: 'legacy' } | { rule: 'record'; users: ReadonlyMap<string, ReadonlyMap<string, Split>> };

export const HASH_BASIS: SplitBasis = { rule: 'hash' };

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

/** A uniform number in [0, 1) from the seed, the user and the pair alone: the first 48 bits of a sha256. */
export function pairUnit(seed: number, userId: string, pairId: string): number {
  return createHash('sha256').update(`${seed}:${userId}:${pairId}`).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** A free pair's split by its id: its unit number against the cumulative ratios. */
export function hashSplit(seed: number, userId: string, pairId: string, ratios: readonly number[]): Split {
  const total = ratios.reduce((a, b) => a + b, 0);
  const u = pairUnit(seed, userId, pairId);
  if (total <= 0) return 'test';
  if (u < ratios[0]! / total) return 'context';
  if (u < (ratios[0]! + ratios[1]!) / total) return 'validation';
  return 'test';
}

/**
 * A user's splits. Explicit splits win; then a pinned split (a record's); every other pair is split by its
 * id (hashSplit), so its split never depends on the other pairs. Temporal splits stay in file order.
 */
export function splitUser(
  userId: string,
  pairs: readonly Pair[],
  options: SplitOptions,
  pinned?: ReadonlyMap<string, Split>,
): UserSplit {
  if (options.temporal) return legacySplitUser(userId, pairs, options);
  const assignment = new Map<string, Split>();
  const counts: Record<Split, number> = { context: 0, validation: 0, test: 0 };
  const tooSmall = pairs.length < options.minPairs;
  for (const p of pairs) {
    const s =
      p.split ??
      (tooSmall ? undefined : (pinned?.get(p.pairId) ?? hashSplit(options.seed, userId, p.pairId, options.ratios)));
    if (!s) continue;
    assignment.set(p.pairId, s);
    counts[s]++;
  }
  return { userId, assignment, counts, tooSmall };
}

/** A user's splits under the given basis (see SplitBasis). */
export function splitUserOn(
  basis: SplitBasis,
  userId: string,
  pairs: readonly Pair[],
  options: SplitOptions,
): UserSplit {
  if (basis.rule === 'legacy') return legacySplitUser(userId, pairs, options);
  return splitUser(userId, pairs, options, basis.rule === 'record' ? basis.users.get(userId) : undefined);
}

/**
 * The earlier rule: a seeded shuffle of the user's free pairs, apportioned to the ratios (or file order,
 * temporal). Adding a pair re-shuffles the others, so it only serves workspaces fitted under it.
 */
export function legacySplitUser(userId: string, pairs: readonly Pair[], options: SplitOptions): UserSplit {
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

/** What an empty split means for a user that was split (one line each, for the user's problems). */
export function emptySplitNotes(split: UserSplit, options: SplitOptions): string[] {
  if (split.tooSmall) return [];
  const why: Record<Split, string> = {
    context: 'no persona can be fitted from it',
    validation: 'selection falls back to the first candidate',
    test: 'an evaluation on test skips the user',
  };
  return SPLITS.filter((s, i) => options.ratios[i]! > 0 && split.counts[s] === 0).map(
    (s) =>
      `user "${split.userId}" has no ${s} pairs (each pair's split follows its id): ${why[s]}; give some pairs "split": "${s}" to choose`,
  );
}
