// Intervals clustered by user (issue "statistics", point 3): an accuracy resamples users, then pairs
// within users; a difference is clustered by user (difference-interval.ts); one user: pairs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hierarchicalBootstrap, pairBootstrap, type RatioCluster } from '../../src/core/eval/hierarchical-bootstrap';
import { accuracyWithInterval, pairedBootstrap } from '../../src/core/eval/statistics';
import { createRng } from '../../src/core/random';

/** `users` users with `perUser` pairs each; user u is right with probability accuracies[u % length], orders agreeing. */
function clustered(
  users: number,
  perUser: number,
  accuracies: number[],
  seed: string,
): { pairs: boolean[][]; ids: string[] } {
  const rng = createRng(seed);
  const pairs: boolean[][] = [];
  const ids: string[] = [];
  for (let u = 0; u < users; u++) {
    const p = accuracies[u % accuracies.length]!;
    for (let i = 0; i < perUser; i++) {
      const first = rng() < p;
      pairs.push([first, rng() < 0.7 ? first : rng() < p]);
      ids.push(`user-${u}`);
    }
  }
  return { pairs, ids };
}

test('users who differ: the user-clustered accuracy interval is much wider than the pair-level one', () => {
  // Ten users, 30 pairs each, half of them right 90% of the time and half 30%: 300 pairs but
  // really ten people.
  const { pairs, ids } = clustered(10, 30, [0.9, 0.3], 'differ');
  const flat = accuracyWithInterval(pairs, { seed: 1 });
  const byUser = accuracyWithInterval(pairs, { seed: 1, users: ids });
  assert.equal(flat.resampling, 'pairs');
  assert.equal(byUser.resampling, 'users, then pairs');
  assert.equal(byUser.users, 10);
  assert.equal(byUser.accuracy, flat.accuracy);
  const ratio = (byUser.high - byUser.low) / (flat.high - flat.low);
  assert.ok(ratio > 2, `width ratio ${ratio}`);
  assert.ok(byUser.low <= byUser.accuracy && byUser.accuracy <= byUser.high);
});

test('users who do not differ: about the same width as the pair-level interval (no spurious widening beyond the second stage)', () => {
  const { pairs, ids } = clustered(20, 20, [0.6], 'alike');
  const flat = accuracyWithInterval(pairs, { seed: 2 });
  const byUser = accuracyWithInterval(pairs, { seed: 2, users: ids });
  assert.equal(byUser.resampling, 'users, then pairs');
  assert.equal(byUser.users, 20);
  const ratio = (byUser.high - byUser.low) / (flat.high - flat.low);
  // Two resampling stages add the within-user variance twice: at most about sqrt(2) wider.
  assert.ok(ratio > 0.9 && ratio < 1.6, `width ratio ${ratio}`);
});

test('one user (or no users given) falls back to the pair-level bootstrap, number for number', () => {
  const { pairs } = clustered(1, 40, [0.6], 'single');
  const ids = pairs.map(() => 'ada');
  assert.deepEqual(
    (({ accuracy, low, high }) => ({ accuracy, low, high }))(accuracyWithInterval(pairs, { seed: 5, users: ids })),
    (({ accuracy, low, high }) => ({ accuracy, low, high }))(accuracyWithInterval(pairs, { seed: 5 })),
  );
  assert.equal(accuracyWithInterval(pairs, { seed: 5, users: ids }).resampling, 'pairs');
  const nums = Float64Array.from([1, 2, 0, 2, 1]);
  const dens = Float64Array.from([2, 2, 2, 2, 2]);
  const opts = { iterations: 300, seed: 3, level: 0.95 };
  assert.deepEqual(
    hierarchicalBootstrap(
      [
        { numerators: nums, denominators: dens },
        { numerators: new Float64Array(0), denominators: new Float64Array(0) },
      ],
      opts,
    ),
    pairBootstrap(nums, dens, opts),
  );
  assert.throws(() => hierarchicalBootstrap([], opts), RangeError);
});

test('deterministic from the seed, and the paired difference is clustered the same way', () => {
  const { pairs: a, ids } = clustered(8, 15, [0.8, 0.4, 0.6], 'paired-a');
  // B fixes user 0's and user 3's mistakes only: a gain concentrated in two users.
  const b = a.map((p, i) => (ids[i] === 'user-0' || ids[i] === 'user-3' ? [true, true] : p.slice()));
  const r1 = pairedBootstrap(a, b, { seed: 'x', users: ids });
  assert.deepEqual(pairedBootstrap(a, b, { seed: 'x', users: ids }), r1);
  // The difference's interval resamples nothing (difference-interval.ts): no seed moves it.
  assert.deepEqual(pairedBootstrap(a, b, { seed: 'y', users: ids }), r1);
  const flat = pairedBootstrap(a, b, { seed: 'x' });
  assert.equal(r1.difference, flat.difference);
  assert.equal(r1.resampling, 'users');
  assert.equal(r1.users, 8);
  // Clustering by user sees that the whole gain sits in two of eight users: for users in general it
  // may be 0 (the interval reaches below 0 although B never loses a sample on these pairs).
  assert.ok(
    r1.high - r1.low > 1.5 * (flat.high - flat.low),
    `clustered ${r1.low}..${r1.high} vs pairs ${flat.low}..${flat.high}`,
  );
  assert.ok(flat.low > 0, 'over these pairs, B is better');
});

test('users must be parallel to the pairs', () => {
  assert.throws(
    () =>
      accuracyWithInterval(
        [
          [true, true],
          [false, true],
        ],
        { users: ['a'] },
      ),
    RangeError,
  );
  assert.throws(() => pairedBootstrap([[true, true]], [[true, false]], { users: ['a', 'b'] }), RangeError);
});

test("hierarchicalBootstrap: resampling users only keeps each drawn user's pairs whole", () => {
  // Two users whose pairs are all alike: with users only, every resample is a mix of whole users,
  // so the statistic takes only the values (k * 1 + (2 - k) * 0) / 2.
  const clusters: RatioCluster[] = [
    { numerators: Float64Array.from([2, 2, 2]), denominators: Float64Array.from([2, 2, 2]) },
    { numerators: Float64Array.from([0, 0, 0]), denominators: Float64Array.from([2, 2, 2]) },
  ];
  const [low, high] = hierarchicalBootstrap(clusters, { iterations: 400, seed: 1, level: 0.95, resamplePairs: false });
  assert.equal(low, 0);
  assert.equal(high, 1);
});
