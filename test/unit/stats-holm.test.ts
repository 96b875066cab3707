// Several methods against default in one benchmark run are several claims (issue "statistics",
// point 3): Holm's correction, and the results table saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holmAdjust } from '../../src/core/eval/multiple-comparisons';
import { benchRunMarkdown, type BenchRunResult } from '../../src/core/bench/run';

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
}

test('holmAdjust: known values (R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm"))', () => {
  const r = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((x, i) => close(r[i]!, x));
  // Monotone in the sorted order, capped at 1, a single p unchanged.
  assert.deepEqual(holmAdjust([0.5, 0.6, 0.01]), [1, 1, 0.03]);
  assert.deepEqual(holmAdjust([0.02]), [0.02]);
  assert.deepEqual(holmAdjust([]), []);
  // NaN is no comparison: left out of m.
  const withNaN = holmAdjust([0.01, Number.NaN, 0.02]);
  assert.ok(Number.isNaN(withNaN[1]!));
  close(withNaN[0]!, 0.02);
  close(withNaN[2]!, 0.02);
  assert.throws(() => holmAdjust([1.2]), RangeError);
});

test("holmAdjust: never below the raw p, and rejections at 0.05 are exactly Holm's step-down", () => {
  const ps = [0.001, 0.012, 0.013, 0.02, 0.2, 0.011];
  const adj = holmAdjust(ps);
  ps.forEach((p, i) => assert.ok(adj[i]! >= p));
  // Step-down by hand: sorted 0.001 (x6 = 0.006), 0.011 (x5 = 0.055) -> stop: only the first rejects.
  assert.deepEqual(
    adj.map((x) => x < 0.05),
    [true, false, false, false, false, false],
  );
});

test('benchRunMarkdown: a Holm column and a line saying how many comparisons were corrected', () => {
  const cmp = (method: 'memory' | 'persona+demos', p: number, pHolm: number) => ({
    model: 'm1',
    method,
    baseline: 'default' as const,
    difference: 0.04,
    ci95: [0.01, 0.07] as [number, number],
    p,
    pHolm,
    pairs: 300,
    sentence: '',
  });
  const r: BenchRunResult = {
    cells: [],
    comparisons: [cmp('memory', 0.03, 0.06), cmp('persona+demos', 0.01, 0.03)],
    fits: [],
  };
  const md = benchRunMarkdown(r);
  assert.match(md, /^\| method \| vs \| model \| difference \(95% CI\) \| p \| p \(Holm\) \| pairs \|$/m);
  assert.match(md, /^\| memory \| default \| m1 \| 4\.00 points \[1\.00, 7\.00\] \| 0\.0300 \| 0\.0600 \| 300 \|$/m);
  assert.match(md, /^p-values Holm-corrected for 2 comparisons/m);
});
