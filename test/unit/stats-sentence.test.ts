// The comparison sentence cannot contradict itself (issue "statistics", point 2): it never says
// "significant" next to an interval that includes 0, nor "not yet significant" next to p < 0.05,
// judged on the numbers as printed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeDifference } from '../../src/core/eval/statistics';

const SENTENCE =
  /^([+-]?\d+\.\d) points \((\d+(?:\.\d+)?)% CI (-?\d+\.\d+) to (-?\d+\.\d+), (p|Holm p) (=|<) ([\d.e-]+)\): (.+)$/;

function check(diff: number, low: number, high: number, p: number, level = 0.95): string {
  const s = describeDifference(diff, low, high, p, level);
  const m = SENTENCE.exec(s);
  assert.ok(m, `unexpected shape: ${s}`);
  const [, , , lo, hi, , op, pv, verdict] = m;
  const alpha = Number((1 - level).toPrecision(6));
  const printedLow = Number(lo);
  const printedHigh = Number(hi);
  const excludes0 = printedLow > 0 || printedHigh < 0;
  const pBelow = op === '<' ? Number(pv) <= alpha : Number(pv) < alpha;
  if (verdict === 'significant') {
    assert.ok(excludes0, `"significant" with a printed interval that includes 0: ${s}`);
    assert.ok(pBelow, `"significant" with a printed p not below ${alpha}: ${s}`);
  } else if (verdict === 'not yet significant') {
    assert.ok(!excludes0, `"not yet significant" with a printed interval that excludes 0: ${s}`);
    assert.ok(!pBelow, `"not yet significant" with a printed p below ${alpha}: ${s}`);
  } else {
    assert.match(verdict!, /^borderline: /, s);
    assert.doesNotMatch(verdict!, /significant/, s);
    assert.notEqual(excludes0, pBelow, `borderline only when the two disagree: ${s}`);
  }
  return s;
}

test('the issue\'s contradiction: p = 0.015 with an interval including 0 is no longer "not yet significant"', () => {
  const s = check(0.09, -0.004, 0.19, 0.015);
  assert.equal(s, '+9.0 points (95% CI -0.4 to 19.0, p = 0.015): borderline: p < 0.05 but the interval includes 0');
  assert.equal(
    describeDifference(0.05, 0.001, 0.1, 0.07),
    '+5.0 points (95% CI 0.1 to 10.0, p = 0.07): borderline: the interval excludes 0 but p ≥ 0.05',
  );
});

test('sweep: every combination of interval position and p is stated consistently', () => {
  const bounds = [-0.2, -0.05, -0.0006, -0.00004, 0, 0.00004, 0.0004, 0.0006, 0.02, 0.2];
  const ps = [
    0, 1e-9, 0.0009, 0.001, 0.0049, 0.01, 0.0449, 0.0495, 0.04999, 0.05, 0.050001, 0.0504, 0.06, 0.0999, 0.1, 0.5, 1,
  ];
  let n = 0;
  const verdicts = new Set<string>();
  for (const level of [0.95, 0.9]) {
    for (const low of bounds) {
      for (const high of bounds) {
        if (high < low) continue;
        for (const p of ps) {
          const s = check((low + high) / 2, low, high, p, level);
          verdicts.add(s.slice(s.lastIndexOf('): ') + 3).split(':')[0]!);
          n++;
        }
      }
    }
  }
  assert.ok(n > 1500);
  assert.deepEqual([...verdicts].sort(), ['borderline', 'not yet significant', 'significant']);
});

test('a bound that is not zero never prints as 0.0', () => {
  assert.equal(describeDifference(0.03, 0.0004, 0.06, 0.01), '+3.0 points (95% CI 0.04 to 6.0, p = 0.01): significant');
  assert.equal(
    describeDifference(-0.03, -0.06, -0.00004, 0.01),
    '-3.0 points (95% CI -6.0 to -0.004, p = 0.01): significant',
  );
  assert.equal(describeDifference(0, 0, 0, 1), '0.0 points (95% CI 0.0 to 0.0, p = 1): not yet significant');
});

test('an adjusted p is named as such', () => {
  assert.equal(
    describeDifference(0.04, 0.01, 0.07, 0.09, 0.95, { pLabel: 'Holm p' }),
    '+4.0 points (95% CI 1.0 to 7.0, Holm p = 0.09): borderline: the interval excludes 0 but Holm p ≥ 0.05',
  );
  assert.equal(
    describeDifference(0.04, 0.01, 0.07, 0.0001, 0.95, { pLabel: 'Holm p' }),
    '+4.0 points (95% CI 1.0 to 7.0, Holm p < 0.001): significant',
  );
});
