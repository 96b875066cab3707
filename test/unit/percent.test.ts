// The one percent formatter (src/core/percent.ts): the same text the copies it replaced wrote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percent, percentPlusMinus, percentPoints, signedPoints } from '../../src/core/percent';

test('percent: one decimal by default, as many as asked, the way toFixed rounds', () => {
  assert.equal(percent(0.625), '62.5%');
  assert.equal(percent(1), '100.0%');
  assert.equal(percent(0), '0.0%');
  assert.equal(percent(0.7134, 0), '71%');
  assert.equal(percent(0.71346, 2), '71.35%');
  for (const x of [0, 0.05, 1 / 3, 0.6666, 0.999, 1]) assert.equal(percent(x), `${(100 * x).toFixed(1)}%`);
});

test('percentPoints: the figure without the sign, for interval ends', () => {
  assert.equal(percentPoints(0.4375), '43.8');
  assert.equal(percentPoints(0.4375, 2), '43.75');
});

test('signedPoints: a plus for a gain, a minus for a loss, no sign for no change', () => {
  assert.equal(signedPoints(0.025), '+2.5');
  assert.equal(signedPoints(-0.01), '-1.0');
  assert.equal(signedPoints(0), '0.0');
});

test('percentPlusMinus: the larger half of the interval, two decimals; n/a without a figure', () => {
  assert.equal(percentPlusMinus(0.713, [0.65, 0.7712]), '71.30% ± 6.30');
  assert.equal(percentPlusMinus(0.5, [0.45, 0.6]), '50.00% ± 10.00');
  assert.equal(percentPlusMinus(Number.NaN, [0, 1]), 'n/a');
});
