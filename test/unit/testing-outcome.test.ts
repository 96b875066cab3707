// The Testing panel's rule (src/extension/testing/test-outcome.ts): an item fails on a significant drop only, is
// skipped when too few pairs can tell, and passes otherwise; the verdict is the engine's field, agreeing with its sentence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDifference, differenceVerdict } from '../../src/core/eval/statistics';
import { compareVerdicts } from '../../src/core/eval/compare';
import type { PairVerdict } from '../../src/core/method/judge';
import { comparisonOutcome, type ComparedRuns } from '../../src/extension/testing/test-outcome';

/** `n` pairs of one user, each judged right in both orders (`right`) or in one order only. */
function verdicts(n: number, right: boolean): Map<string, PairVerdict> {
  const out = new Map<string, PairVerdict>();
  for (let i = 0; i < n; i++) {
    const orders = [
      { order: 'AB', preference: 'A', correct: true, reasoning: '' },
      { order: 'BA', preference: 'A', correct: right, reasoning: '' },
    ];
    out.set(`u\u0000p${i}`, { userId: 'u', pairId: `p${i}`, orders } as unknown as PairVerdict);
  }
  return out;
}

function compared(before: boolean, after: boolean, n: number): ComparedRuns {
  const c = compareVerdicts(verdicts(n, before), verdicts(n, after));
  return {
    verdict: c.verdict,
    difference: c.difference,
    sentence: c.sentence,
    pairs: c.pairs,
    users: c.perUser.length,
    split: 'validation',
    before: { name: 'previous', accuracy: c.accuracyA, ci95: c.ci95A },
    after: { name: 'current', accuracy: c.accuracyB, ci95: c.ci95B },
    runs: ['a.run.jsonl', 'b.run.jsonl'],
  };
}

test('differenceVerdict is the verdict describeDifference writes', () => {
  const cases: [number, number, number, number][] = [
    [0.2, 0.1, 0.3, 0.001],
    [0.05, -0.01, 0.1, 0.3],
    [0.05, -0.01, 0.1, 0.01],
    [0.05, 0.01, 0.1, 0.2],
  ];
  for (const [d, lo, hi, p] of cases) {
    const v = differenceVerdict(lo, hi, p);
    assert.ok(
      describeDifference(d, lo, hi, p).endsWith(`: ${v}`) || v === 'borderline',
      `${v} ${describeDifference(d, lo, hi, p)}`,
    );
    assert.equal(describeDifference(d, lo, hi, p).includes('borderline'), v === 'borderline');
  }
  assert.equal(differenceVerdict(Number.NaN, 1, 0.5), 'none');
});

test('a significant drop fails, with the sentence and both intervals in the message', () => {
  const o = comparisonOutcome(compared(true, false, 20));
  assert.equal(o.state, 'failed', o.text);
  assert.match(o.text, /-50\.0 points \(95% CI .*\): significant$/);
  assert.match(o.text, /current 50\.0% \(95% CI [\d.]+ to [\d.]+\) vs previous 100\.0%/);
  assert.deepEqual(o.runs, ['a.run.jsonl', 'b.run.jsonl']);
});

test('a significant gain and no change pass', () => {
  assert.equal(comparisonOutcome(compared(false, true, 20)).state, 'passed');
  assert.equal(comparisonOutcome(compared(true, true, 20)).state, 'passed');
});

test('too few pairs to tell is skipped with the reason', () => {
  const o = comparisonOutcome(compared(true, false, 4));
  assert.equal(o.state, 'skipped');
  assert.match(
    o.text,
    /^too few pairs to tell \(4 of at least 10; with 4 validation pair\(s\) no difference can be significant/,
  );
});
