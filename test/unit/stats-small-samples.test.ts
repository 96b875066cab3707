// Statistics that hold their level at every size (issue 22, points 1 and 2): no interval of zero width
// at any size, a headline that says "too few to tell" under 10 pairs, a p-value over users when the
// pairs belong to several. The stats bench's `--json` line is checked where every bench runs (bench-smoke.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figures } from '../../src/core/eval/evaluate';
import { compareVerdicts } from '../../src/core/eval/compare';
import { accuracyWithInterval, pairedBootstrap } from '../../src/core/eval/statistics';
import { pairedTest } from '../../src/core/eval/paired-test';
import { accuracyHeadline, comparisonPowerNote } from '../../src/core/eval/sample-size';
import { verdictKey } from '../../src/core/eval/run-file';
import type { PairVerdict } from '../../src/core/method/judge';
import { sampleVerdict } from '../support/pair-fixture';

const verdict = sampleVerdict;

const byKey = (vs: PairVerdict[]) => new Map(vs.map((v) => [verdictKey(v.userId, v.pairId), v]));

test('3 identical pairs, all right: no interval of zero width in the figures every view reads, and a headline that says so', () => {
  for (const users of [
    ['ada', 'ada', 'ada'],
    ['ada', 'bob', 'cy'],
  ]) {
    const vs = users.map((u, i) => verdict(u, `p${i}`, [true, true]));
    // figures() is what every run summary, the inspector, the grid and the notifications show.
    const f = figures(vs, 0);
    assert.equal(f.accuracy, 1);
    assert.ok(f.ci95[1] - f.ci95[0] > 0.3, `accuracy interval ${f.ci95} (users ${users})`);
    assert.equal(f.ci95[1], 1);
    // The same pairs judged twice: the difference is 0, its interval is not a point.
    const c = compareVerdicts(byKey(vs), byKey(vs.map((v) => ({ ...v }))), 0);
    assert.equal(c.difference, 0);
    assert.ok(c.ci95[0] < 0 && c.ci95[1] > 0, `difference interval ${c.ci95}`);
    assert.ok(c.ci95A[1] - c.ci95A[0] > 0.3 && c.ci95B[1] - c.ci95B[0] > 0.3, `${c.ci95A} ${c.ci95B}`);
    assert.match(c.sentence, /not yet significant/);
    // The headline puts the interval first, after the words that say what it is worth.
    const headline = accuracyHeadline(f.accuracy, f.ci95, f.pairs);
    assert.match(headline, /^3 pairs, too few to tell: 95% CI \d+\.\d to 100\.0 \(100\.0%\)$/);
    assert.doesNotMatch(headline, /100\.0 to 100\.0/);
  }
  // All wrong, and a single pair: never a point either.
  for (const pairs of [
    [[false, false]],
    [
      [false, false],
      [false, false],
    ],
    [[true, true]],
  ]) {
    const r = accuracyWithInterval(pairs);
    assert.ok(r.high - r.low > 0.3, JSON.stringify(r));
  }
});

test('a figure stored without an interval, or over enough pairs, reads as before', () => {
  assert.equal(accuracyHeadline(0.713, [0.65, 0.771], 120), '71.3% (95% CI 65.0 to 77.1)');
  // A fit's validation figure has only its count: the Wilson interval is shown with it.
  assert.match(accuracyHeadline(1, undefined, 3), /^3 pairs, too few to tell: 95% CI 43\.9 to 100\.0 \(100\.0%\)$/);
  assert.equal(accuracyHeadline(1, undefined, 1), '1 pair, too few to tell: 95% CI 20.7 to 100.0 (100.0%)');
  assert.equal(accuracyHeadline(Number.NaN, [0, 1], 0), 'n/a');
});

test('several users: the printed p is over users, so gains concentrated in a few users are not "significant" for users in general', () => {
  // 3 users gain on 20 pairs each, 2 users lose on 2 pairs each: over pairs 60 against 4 (p < 1e-10),
  // over users 3 against 2, and 5 users can never give p < 0.05 (2 / 2^5 = 0.0625).
  const a: PairVerdict[] = [];
  const b: PairVerdict[] = [];
  ['u1', 'u2', 'u3'].forEach((u) => {
    for (let i = 0; i < 20; i++) {
      a.push(verdict(u, `${u}-g${i}`, [false, false]));
      b.push(verdict(u, `${u}-g${i}`, [true, true]));
    }
  });
  ['u4', 'u5'].forEach((u) => {
    for (let i = 0; i < 2; i++) {
      a.push(verdict(u, `${u}-h${i}`, [true, true]));
      b.push(verdict(u, `${u}-h${i}`, [false, false]));
    }
  });
  const pa = a.map((v) => v.orders.map((o) => o.correct));
  const pb = b.map((v) => v.orders.map((o) => o.correct));
  const users = a.map((v) => v.userId);
  assert.ok(pairedTest(pa, pb).pValue < 1e-10);
  const t = pairedTest(pa, pb, { users });
  assert.equal(t.unit, 'users');
  assert.ok(t.pValue >= 0.05, `p over users ${t.pValue}`);
  assert.equal(t.discordant, 64, 'the counts stay pairs');
  const c = compareVerdicts(byKey(a), byKey(b), 0);
  assert.equal(c.pairedTest.p, t.pValue);
  assert.equal(c.mcnemar.p, t.pValue);
  assert.equal(c.pairedTest.unit, 'users');
  assert.doesNotMatch(c.sentence, /: significant$/);
  assert.match(comparisonPowerNote(c.pairs, 'test', 5), /with 5 users no difference can be significant/);
  // One user: the pair is the unit, and the same gain is significant.
  const one = pairedBootstrap(pa, pb, { users: users.map(() => 'solo') });
  assert.equal(one.resampling, 'pairs');
  assert.equal(pairedTest(pa, pb, { users: users.map(() => 'solo') }).unit, 'pairs');
});

test('user-level sign-flip p is exact: 6 users all one way give 2 / 2^6', () => {
  const pa: boolean[][] = [];
  const pb: boolean[][] = [];
  const users: string[] = [];
  for (let u = 0; u < 6; u++) {
    pa.push([false, false]);
    pb.push([true, u % 2 === 0]);
    users.push(`u${u}`);
  }
  assert.equal(pairedTest(pa, pb, { users }).pValue, 2 / 64);
});
