// The learning-curve arithmetic of the `collect` benchmark (test/support/active-curve.ts): seeds are
// averaged within a user before users are averaged, the interval is Student's t across users, and the
// size needed for a target is the first one whose mean reaches it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageCurve, firstReaching, meanInterval, tCritical95 } from '../support/active-curve';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('t critical values: the table, and the large-df approximation close to the normal', () => {
  close(tCritical95(1), 12.706);
  close(tCritical95(5), 2.571);
  close(tCritical95(30), 2.042);
  // t(60) = 2.000, t(120) = 1.980
  close(tCritical95(60), 2.0, 0.002);
  close(tCritical95(120), 1.98, 0.002);
  assert.ok(tCritical95(31) < tCritical95(30) && tCritical95(31) > 1.96);
  assert.throws(() => tCritical95(0), RangeError);
  assert.throws(() => tCritical95(2.5), RangeError);
});

test('meanInterval: mean and t-interval on known values, clamped to [0, 1]', () => {
  // 0.5, 0.6, 0.7: mean 0.6, sd 0.1, half-width t(2) * 0.1 / sqrt(3)
  const m = meanInterval([0.5, 0.6, 0.7]);
  close(m.mean, 0.6);
  close(m.high - m.mean, (4.303 * 0.1) / Math.sqrt(3));
  close(m.mean - m.low, (4.303 * 0.1) / Math.sqrt(3));
  const c = meanInterval([0.9, 1, 1]);
  assert.equal(c.high, 1);
  assert.ok(c.low < c.mean);
  const same = meanInterval([0.7, 0.7]);
  close(same.low, 0.7);
  close(same.high, 0.7);
  const one = meanInterval([0.4]);
  close(one.mean, 0.4);
  assert.ok(Number.isNaN(one.low) && Number.isNaN(one.high));
  assert.throws(() => meanInterval([]), RangeError);
});

test('averageCurve averages seeds within a user first: a user with more runs does not weigh more', () => {
  const sizes = [2, 3];
  const curve = averageCurve(sizes, [
    { user: 'a', accuracy: [0.5, 0.6] },
    { user: 'a', accuracy: [0.7, 0.8] },
    { user: 'a', accuracy: [0.6, 0.7] },
    { user: 'b', accuracy: [0.4, 1.0] },
    { user: 'c', accuracy: [0.5, 0.85] },
  ]);
  assert.deepEqual(
    curve.map((p) => p.size),
    sizes,
  );
  // Users' means: a 0.6 and 0.7, b 0.4 and 1.0, c 0.5 and 0.85. A mean pooled over runs would give 0.54 and 0.79.
  close(curve[0]!.mean, 0.5);
  close(curve[1]!.mean, 0.85);
  assert.equal(curve[0]!.users, 3);
  // The interval is across the three users' means (sd 0.1, t with 2 df), not across the five runs.
  close(curve[0]!.high - curve[0]!.mean, (4.303 * 0.1) / Math.sqrt(3));
  close(curve[0]!.mean - curve[0]!.low, (4.303 * 0.1) / Math.sqrt(3));
  // Two users only: t(1) = 12.7 makes the interval cover everything, clamped to [0, 1].
  const two = averageCurve(
    [2],
    [
      { user: 'a', accuracy: [0.6] },
      { user: 'b', accuracy: [0.4] },
    ],
  );
  assert.deepEqual([two[0]!.low, two[0]!.high], [0, 1]);
  assert.throws(() => averageCurve(sizes, [{ user: 'a', accuracy: [0.5] }]), RangeError);
  assert.throws(() => averageCurve(sizes, []), RangeError);
});

test('firstReaching: the first size whose mean reaches the target (inclusive), null when none does', () => {
  const curve = [
    { size: 2, mean: 0.55 },
    { size: 3, mean: 0.71 },
    { size: 4, mean: 0.68 },
    { size: 5, mean: 0.8 },
  ];
  assert.equal(firstReaching(curve, 0.5), 2);
  assert.equal(firstReaching(curve, 0.7), 3);
  assert.equal(firstReaching(curve, 0.8), 5);
  assert.equal(firstReaching(curve, 0.81), null);
  assert.equal(firstReaching([], 0.5), null);
});
