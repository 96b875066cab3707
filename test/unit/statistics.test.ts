// Statistics behind every accuracy cell and before/after comparison (METHOD.md section 4):
// known values, determinism, edge cases, and numerical stability at large n.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyWithInterval,
  bootstrapInterval,
  consistencyRate,
  describeDifference,
  mcnemarExact,
  pairedBootstrap,
  wilsonInterval,
  type Winner,
} from '../../src/core/eval/statistics';
import { createRng } from '../../src/core/random';

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} +/- ${tol}, got ${actual}`);
}

/** Aligned 0/1 samples with the given discordant counts (plus some concordant filler). */
function discordantSamples(b01: number, b10: number, concordant = 0): { a: boolean[]; b: boolean[] } {
  const a: boolean[] = [];
  const b: boolean[] = [];
  for (let i = 0; i < b01; i++) {
    a.push(false);
    b.push(true);
  }
  for (let i = 0; i < b10; i++) {
    a.push(true);
    b.push(false);
  }
  for (let i = 0; i < concordant; i++) {
    a.push(i % 2 === 0);
    b.push(i % 2 === 0);
  }
  return { a, b };
}

/** Exact two-sided sign-test p-value with BigInt, for cross-checking the log-space computation. */
function exactSignTestP(b01: number, b10: number): number {
  const n = b01 + b10;
  const k = Math.min(b01, b10);
  let c = 1n;
  let tail = 0n;
  for (let i = 0; i <= k; i++) {
    tail += c;
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  // 2 * tail / 2^n with 18 significant digits; fine for p-values that are not astronomically small.
  const scale = 10n ** 18n;
  const p = Number((2n * tail * scale) / 2n ** BigInt(n)) / 1e18;
  return Math.min(1, p);
}

/** Random per-pair, per-order correctness with a pair-level effect (orders correlated). */
function randomJudgements(pairs: number, seed: number, pRight = 0.7): boolean[][] {
  const rng = createRng(seed);
  const out: boolean[][] = [];
  for (let i = 0; i < pairs; i++) {
    const easy = rng() < pRight;
    out.push([easy ? rng() < 0.9 : rng() < 0.2, easy ? rng() < 0.9 : rng() < 0.2]);
  }
  return out;
}

// --- wilsonInterval ------------------------------------------------------------------------

test('wilsonInterval: 8/10 matches the textbook value [0.490, 0.943]', () => {
  const [low, high] = wilsonInterval(8, 10);
  close(low, 0.4902, 5e-4, 'low');
  close(high, 0.9433, 5e-4, 'high');
});

test('wilsonInterval: n = 0 gives the uninformative [0, 1]', () => {
  assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
});

test('wilsonInterval: 0/n and n/n are pinned to the boundary but keep width', () => {
  const [l0, h0] = wilsonInterval(0, 20);
  assert.equal(l0, 0);
  assert.ok(h0 > 0.1 && h0 < 0.2, `high for 0/20 was ${h0}`);
  const [l1, h1] = wilsonInterval(20, 20);
  assert.equal(h1, 1);
  close(l1, 1 - h0, 1e-12, 'symmetry of 20/20 and 0/20');
});

test('wilsonInterval: symmetric around 1/2, contains the estimate, narrows with n', () => {
  const [l, h] = wilsonInterval(50, 100);
  close(l + h, 1, 1e-12, 'symmetry');
  let prevWidth = Infinity;
  for (const n of [10, 100, 1000, 100000]) {
    const s = Math.round(0.73 * n);
    const [lo, hi] = wilsonInterval(s, n);
    assert.ok(lo <= s / n && s / n <= hi, `estimate outside interval at n=${n}`);
    assert.ok(hi - lo < prevWidth, `interval did not narrow at n=${n}`);
    prevWidth = hi - lo;
  }
});

test('wilsonInterval: z controls the width; invalid inputs are rejected', () => {
  const [l90, h90] = wilsonInterval(30, 50, 1.644854);
  const [l95, h95] = wilsonInterval(30, 50);
  assert.ok(h90 - l90 < h95 - l95);
  assert.throws(() => wilsonInterval(11, 10), RangeError);
  assert.throws(() => wilsonInterval(-1, 10), RangeError);
  assert.throws(() => wilsonInterval(1, Number.NaN), RangeError);
  assert.throws(() => wilsonInterval(1, 10, 0), RangeError);
});

// --- bootstrapInterval -----------------------------------------------------------------------

test('bootstrapInterval: deterministic for a seed, different for another seed', () => {
  const samples = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const first = bootstrapInterval(samples, { seed: 7 });
  assert.deepEqual(bootstrapInterval(samples, { seed: 7 }), first);
  assert.deepEqual(bootstrapInterval(samples, { seed: 'seven' }), bootstrapInterval(samples, { seed: 'seven' }));
  assert.notDeepEqual(bootstrapInterval(samples, { seed: 8 }), first);
  // Defaults are a fixed seed too.
  assert.deepEqual(bootstrapInterval(samples), bootstrapInterval(samples, { seed: 0, iterations: 2000, level: 0.95 }));
});

test('bootstrapInterval: contains the mean and agrees roughly with Wilson', () => {
  const samples = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 0 : 1)); // mean 0.75
  const [low, high] = bootstrapInterval(samples, { seed: 1 });
  assert.ok(low < 0.75 && 0.75 < high, `[${low}, ${high}]`);
  const [wl, wh] = wilsonInterval(150, 200);
  close(low, wl, 0.02, 'low vs Wilson');
  close(high, wh, 0.02, 'high vs Wilson');
});

test('bootstrapInterval: lower level gives a narrower interval', () => {
  const samples = Array.from({ length: 100 }, (_, i) => (i % 5 < 3 ? 1 : 0));
  const [l95, h95] = bootstrapInterval(samples, { seed: 3, level: 0.95 });
  const [l80, h80] = bootstrapInterval(samples, { seed: 3, level: 0.8 });
  assert.ok(h80 - l80 < h95 - l95);
});

test('bootstrapInterval: empty input, constant input, invalid options', () => {
  assert.deepEqual(bootstrapInterval([]), [0, 1]);
  assert.deepEqual(bootstrapInterval([1, 1, 1, 1]), [1, 1]);
  assert.throws(() => bootstrapInterval([1, 0], { iterations: 0 }), RangeError);
  assert.throws(() => bootstrapInterval([1, 0], { iterations: 1.5 }), RangeError);
  assert.throws(() => bootstrapInterval([1, 0], { level: 1 }), RangeError);
  assert.throws(() => bootstrapInterval([1, Number.NaN]), RangeError);
});

// --- accuracyWithInterval --------------------------------------------------------------------

test('accuracyWithInterval: accuracy is the mean over all 2N samples', () => {
  const r = accuracyWithInterval([
    [true, true],
    [true, false],
    [false, false],
    [true, true],
  ]);
  assert.equal(r.accuracy, 5 / 8);
  assert.equal(r.samples, 8);
  assert.equal(r.pairs, 4);
  assert.ok(r.low <= r.accuracy && r.accuracy <= r.high);
});

test('accuracyWithInterval: deterministic; for one user a Wilson interval over pairs, which no seed moves', () => {
  const data = randomJudgements(80, 11);
  const r1 = accuracyWithInterval(data, { seed: 42 });
  const r2 = accuracyWithInterval(data, { seed: 42 });
  assert.deepEqual(r1, r2);
  // One user: nothing is resampled (it used to be a seeded pair bootstrap, which 3 identical pairs made a point).
  assert.deepEqual(accuracyWithInterval(data, { seed: 43 }), r1);
});

test('accuracyWithInterval: interval contains the estimate over many data sets and seeds', () => {
  for (let s = 0; s < 30; s++) {
    const data = randomJudgements(20 + s * 5, 100 + s);
    const r = accuracyWithInterval(data, { seed: s, iterations: 500 });
    assert.ok(r.low <= r.accuracy && r.accuracy <= r.high, `seed ${s}: ${JSON.stringify(r)}`);
    assert.ok(r.low >= 0 && r.high <= 1);
  }
});

test('accuracyWithInterval: resampling pairs is wider than treating correlated orders as independent', () => {
  // Both orders always agree: 2N samples carry only N independent observations.
  const data: boolean[][] = Array.from({ length: 100 }, (_, i) => (i % 10 < 7 ? [true, true] : [false, false]));
  const clustered = accuracyWithInterval(data, { seed: 5 });
  const [il, ih] = bootstrapInterval(data.flat().map(Number), { seed: 5 });
  const ratio = (clustered.high - clustered.low) / (ih - il);
  // Design effect 2 -> width ratio about sqrt(2).
  assert.ok(ratio > 1.25 && ratio < 1.6, `width ratio ${ratio}`);
});

test('accuracyWithInterval: no pairs gives NaN accuracy and [0, 1]; empty pair is rejected', () => {
  const r = accuracyWithInterval([]);
  assert.ok(Number.isNaN(r.accuracy));
  assert.equal(r.low, 0);
  assert.equal(r.high, 1);
  assert.equal(r.samples, 0);
  assert.equal(r.pairs, 0);
  assert.throws(() => accuracyWithInterval([[true, false], []]), RangeError);
});

test('accuracyWithInterval: pairs with a single order are weighted by their sample count', () => {
  const r = accuracyWithInterval([[true], [false, false]]);
  assert.equal(r.accuracy, 1 / 3);
  assert.equal(r.samples, 3);
});

// --- consistencyRate -------------------------------------------------------------------------

test('consistencyRate: same winner in both orders counts; null counts as inconsistent', () => {
  const winners: Array<[Winner, Winner]> = [
    ['chosen', 'chosen'],
    ['rejected', 'rejected'],
    ['chosen', 'rejected'],
    ['chosen', null],
    [null, null],
  ];
  assert.equal(consistencyRate(winners), 2 / 5);
  assert.equal(consistencyRate([['chosen', 'chosen']]), 1);
  assert.equal(consistencyRate([[null, null]]), 0);
  assert.ok(Number.isNaN(consistencyRate([])));
});

// --- pairedBootstrap -------------------------------------------------------------------------

test('pairedBootstrap: identical inputs give exactly 0 difference and an interval around 0 that is never a point', () => {
  const data = randomJudgements(50, 3);
  const r = pairedBootstrap(
    data,
    data.map((p) => p.slice()),
    { seed: 9 },
  );
  assert.equal(r.difference, 0);
  // It used to be [0, 0]: 50 unchanged pairs do not prove that no edit could ever change anything.
  assert.ok(r.low < 0 && r.high > 0 && r.high - r.low < 0.2, `${r.low}..${r.high}`);
  assert.equal(r.low, -r.high);
  assert.equal(r.accuracyA, r.accuracyB);
  assert.equal(r.pairs, 50);
  assert.equal(r.samples, 100);
});

test('pairedBootstrap: difference is b - a, deterministic, and the interval contains it', () => {
  const a = randomJudgements(120, 21, 0.6);
  // b fixes a quarter of a's mistakes.
  const b = a.map((orders, i) => orders.map((ok, j) => ok || (i + j) % 4 === 0));
  const r = pairedBootstrap(a, b, { seed: 4 });
  const accA = a.flat().filter(Boolean).length / 240;
  const accB = b.flat().filter(Boolean).length / 240;
  close(r.difference, accB - accA, 1e-12, 'difference');
  close(r.accuracyA, accA, 1e-12);
  close(r.accuracyB, accB, 1e-12);
  assert.ok(r.difference > 0);
  assert.ok(r.low <= r.difference && r.difference <= r.high);
  // b never loses a sample, so no resample can show a decrease.
  assert.ok(r.low >= 0);
  assert.deepEqual(pairedBootstrap(a, b, { seed: 4 }), r);
  const swapped = pairedBootstrap(b, a, { seed: 4 });
  close(swapped.difference, -r.difference, 1e-12, 'antisymmetry');
  close(swapped.low, -r.high, 1e-12, 'antisymmetric interval');
});

test('pairedBootstrap: pairing gives a tighter interval than two independent intervals', () => {
  const a = randomJudgements(150, 77);
  const b = a.map((orders, i) => (i % 15 === 0 ? orders.map((x) => !x) : orders.slice()));
  const paired = pairedBootstrap(a, b, { seed: 1 });
  const ia = accuracyWithInterval(a, { seed: 1 });
  const ib = accuracyWithInterval(b, { seed: 2 });
  const independentHalfWidth = Math.hypot((ia.high - ia.low) / 2, (ib.high - ib.low) / 2);
  assert.ok((paired.high - paired.low) / 2 < independentHalfWidth / 2);
});

test('pairedBootstrap: rejects mismatched shapes; empty gives NaN difference', () => {
  assert.throws(() => pairedBootstrap([[true, true]], []), RangeError);
  assert.throws(() => pairedBootstrap([[true, true]], [[true]]), RangeError);
  const r = pairedBootstrap([], []);
  assert.ok(Number.isNaN(r.difference));
  assert.equal(r.low, -1);
  assert.equal(r.high, 1);
});

// --- mcnemarExact ----------------------------------------------------------------------------

test('mcnemarExact: b01 = 10, b10 = 2 gives p = 79/2048 = 0.0386', () => {
  const { a, b } = discordantSamples(10, 2, 30);
  const r = mcnemarExact(a, b);
  assert.equal(r.b01, 10);
  assert.equal(r.b10, 2);
  assert.equal(r.discordant, 12);
  close(r.pValue, 79 / 2048, 1e-12, 'p');
  // Direction does not matter for a two-sided test.
  close(mcnemarExact(b, a).pValue, r.pValue, 1e-15, 'swapped');
});

test('mcnemarExact: symmetric discordance gives p = 1; no discordance gives p = 1', () => {
  for (const k of [1, 5, 50, 5000]) {
    const { a, b } = discordantSamples(k, k);
    assert.equal(mcnemarExact(a, b).pValue, 1, `k=${k}`);
  }
  const same = [true, false, true, true];
  assert.deepEqual(mcnemarExact(same, same), { b01: 0, b10: 0, discordant: 0, pValue: 1 });
  assert.deepEqual(mcnemarExact([], []), { b01: 0, b10: 0, discordant: 0, pValue: 1 });
});

test('mcnemarExact: small known values', () => {
  // n = 1: P(X <= 0) = 1/2 -> p = 1.
  let s = discordantSamples(1, 0);
  assert.equal(mcnemarExact(s.a, s.b).pValue, 1);
  // 5 vs 0: 2 / 32.
  s = discordantSamples(5, 0);
  close(mcnemarExact(s.a, s.b).pValue, 2 / 32, 1e-15);
  // 6 vs 0: 2 / 64 = 0.03125.
  s = discordantSamples(0, 6);
  close(mcnemarExact(s.a, s.b).pValue, 0.03125, 1e-15);
});

test('mcnemarExact: matches exact BigInt arithmetic across the table/Stirling boundary', () => {
  for (const [b01, b10] of [
    [7, 3],
    [30, 15],
    [140, 110],
    [700, 800],
    [1500, 1390],
  ] as const) {
    const { a, b } = discordantSamples(b01, b10);
    const expected = exactSignTestP(b01, b10);
    const got = mcnemarExact(a, b).pValue;
    assert.ok(Math.abs(got - expected) <= 1e-9 * expected + 1e-15, `${b01}/${b10}: expected ${expected}, got ${got}`);
  }
});

test('mcnemarExact: stable for n up to 100,000 (no overflow, agrees with the normal approximation)', () => {
  const { a, b } = discordantSamples(50500, 49500);
  const r = mcnemarExact(a, b);
  assert.equal(r.discordant, 100000);
  // Normal approximation with continuity correction: z = (1000 - 1) / sqrt(100000).
  const z = 999 / Math.sqrt(100000);
  // Tabulated two-sided normal tail: 2 * (1 - Phi(3.159)) = 0.001583.
  assert.ok(Number.isFinite(r.pValue));
  close(r.pValue, 0.001583, 0.00003, `p at z=${z.toFixed(3)}`);

  const balanced = discordantSamples(50000, 50000);
  assert.equal(mcnemarExact(balanced.a, balanced.b).pValue, 1);

  const nearBalanced = discordantSamples(50050, 49950);
  const pNear = mcnemarExact(nearBalanced.a, nearBalanced.b).pValue;
  // z about 0.313 -> p about 0.754.
  close(pNear, 0.754, 0.005, 'near balanced');

  // Extremely lopsided: the true p (2^-99999) underflows; we must get 0, not NaN or Infinity.
  const lopsided = discordantSamples(100000, 0);
  assert.equal(mcnemarExact(lopsided.a, lopsided.b).pValue, 0);
  const veryLow = discordantSamples(60000, 40000);
  const pLow = mcnemarExact(veryLow.a, veryLow.b).pValue;
  assert.ok(pLow >= 0 && pLow < 1e-100, `p was ${pLow}`);
});

test('mcnemarExact: p is monotone in the imbalance at fixed n', () => {
  let prev = 1.0000001;
  for (let k = 500; k >= 0; k -= 25) {
    const { a, b } = discordantSamples(1000 - k, k);
    const p = mcnemarExact(a, b).pValue;
    assert.ok(p <= prev, `p increased at k=${k}`);
    prev = p;
  }
});

test('mcnemarExact: rejects unaligned inputs', () => {
  assert.throws(() => mcnemarExact([true], [true, false]), RangeError);
});

// --- describeDifference ----------------------------------------------------------------------

test('describeDifference: the example sentence', () => {
  assert.equal(
    describeDifference(0.042, -0.01, 0.095, 0.18),
    '+4.2 points (95% CI -1.0 to 9.5, p = 0.18): not yet significant',
  );
});

test('describeDifference: significant needs both the interval to exclude 0 and p < 0.05', () => {
  assert.equal(
    describeDifference(0.071, 0.02, 0.12, 0.0386),
    '+7.1 points (95% CI 2.0 to 12.0, p = 0.039): significant',
  );
  // Interval excludes 0 but the exact test does not agree: neither "significant" nor "not significant".
  assert.match(describeDifference(0.05, 0.001, 0.1, 0.07), /: borderline: the interval excludes 0 but p ≥ 0\.05$/);
  // Small p but the interval straddles 0: "not yet significant" next to p = 0.01 would contradict itself.
  assert.match(describeDifference(0.05, -0.001, 0.1, 0.01), /: borderline: p < 0\.05 but the interval includes 0$/);
});

test('describeDifference: negative differences, tiny p, zero, and rounding near the threshold', () => {
  assert.equal(
    describeDifference(-0.083, -0.13, -0.04, 0.00002),
    '-8.3 points (95% CI -13.0 to -4.0, p < 0.001): significant',
  );
  assert.equal(describeDifference(0, 0, 0, 1), '0.0 points (95% CI 0.0 to 0.0, p = 1): not yet significant');
  assert.equal(
    describeDifference(-0.0001, -0.02, 0.02, 0.9),
    '0.0 points (95% CI -2.0 to 2.0, p = 0.9): not yet significant',
  );
  // 0.0497 would print as 0.05 next to "significant"; say p < 0.05 instead.
  assert.equal(describeDifference(0.03, 0.005, 0.06, 0.0497), '+3.0 points (95% CI 0.5 to 6.0, p < 0.05): significant');
  assert.equal(describeDifference(0.03, 0.005, 0.06, 0.001), '+3.0 points (95% CI 0.5 to 6.0, p = 0.001): significant');
  assert.match(
    describeDifference(0.03, 0.01, 0.05, 0.02, 0.9),
    /^\+3\.0 points \(90% CI 1\.0 to 5\.0, p = 0\.02\): significant$/,
  );
  assert.equal(describeDifference(Number.NaN, -1, 1, 1), 'no paired samples to compare');
});

test('end to end: paired bootstrap + McNemar + sentence on a simulated hand edit', () => {
  const before = randomJudgements(200, 2024, 0.65);
  const after = before.map((orders, i) => orders.map((ok, j) => (i % 7 === 0 && j === 0 ? true : ok)));
  const diff = pairedBootstrap(before, after, { seed: 'edit-1' });
  const mc = mcnemarExact(before.flat(), after.flat());
  assert.equal(mc.b10, 0);
  assert.ok(mc.b01 > 0);
  close(diff.difference, mc.b01 / 400, 1e-12, 'difference equals b01 / samples when b never loses');
  const sentence = describeDifference(diff.difference, diff.low, diff.high, mc.pValue);
  assert.match(sentence, /^\+\d+\.\d points \(95% CI \d+\.\d to \d+\.\d, p (=|<) [\d.]+\): (not yet )?significant$/);
});
