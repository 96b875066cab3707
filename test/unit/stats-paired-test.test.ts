// The paired test at the level of pairs (issue "statistics", point 2): the two orders of a pair
// are one observation, not two. Known values, agreement with brute-force enumeration, the
// Monte Carlo fallback, and numerical stability.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairDifferences, pairedSignFlipTest, pairedTest } from '../../src/core/eval/paired-test';
import { mcnemarExact } from '../../src/core/eval/statistics';
import { createRng, randomInt } from '../../src/core/random';

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} +/- ${tol}, got ${actual}`);
}

/** Exact two-sided sign-test p for k successes of n, by BigInt arithmetic. */
function signTestExact(k: number, n: number): number {
  const lo = Math.min(k, n - k);
  let c = 1n;
  let sum = 0n;
  for (let i = 0; i <= lo; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    sum += c;
  }
  return Math.min(1, (2 * Number(sum)) / 2 ** n);
}

/** The sign-flip p-value by enumerating all 2^n sign assignments (small n only). */
function bruteForce(diffs: number[]): number {
  const nz = diffs.filter((d) => d !== 0);
  const observed = Math.abs(nz.reduce((s, d) => s + d, 0));
  let hits = 0;
  const total = 2 ** nz.length;
  for (let mask = 0; mask < total; mask++) {
    let s = 0;
    for (let i = 0; i < nz.length; i++) s += mask & (1 << i) ? nz[i]! : -nz[i]!;
    if (Math.abs(s) >= observed - 1e-9) hits++;
  }
  return hits / total;
}

/** Pairs where B beats A in both orders (b01), A beats B in both (b10), then concordant filler. */
function wholePairs(b01: number, b10: number, concordant: number): { a: boolean[][]; b: boolean[][] } {
  const a: boolean[][] = [];
  const b: boolean[][] = [];
  for (let i = 0; i < b01; i++) {
    a.push([false, false]);
    b.push([true, true]);
  }
  for (let i = 0; i < b10; i++) {
    a.push([true, true]);
    b.push([false, false]);
  }
  for (let i = 0; i < concordant; i++) {
    const v = i % 3 !== 0;
    a.push([v, !v]);
    b.push([v, !v]);
  }
  return { a, b };
}

test("the issue's case: 25 discordant pairs (17 vs 8) give p = 0.108 and 25 discordant, not 50 and 0.015", () => {
  const { a, b } = wholePairs(17, 8, 75);
  const r = pairedTest(a, b);
  assert.equal(r.discordant, 25);
  assert.equal(r.b01, 17);
  assert.equal(r.b10, 8);
  assert.equal(r.halfDiscordant, 0);
  assert.equal(r.method, 'exact');
  close(r.pValue, signTestExact(8, 25), 1e-12, 'pair-level p');
  close(r.pValue, 0.1078, 5e-5, 'pair-level p');
  // What the flattened order-samples said (and why they must not be used): twice the count, a far smaller p.
  const flat = mcnemarExact(a.flat(), b.flat());
  assert.equal(flat.discordant, 50);
  close(flat.pValue, 0.0153, 5e-5, 'sample-level p');
});

test("with whole-pair outcomes it is McNemar's exact test over pairs", () => {
  for (const [b01, b10] of [
    [0, 0],
    [1, 0],
    [5, 0],
    [10, 2],
    [3, 3],
    [40, 25],
    [120, 80],
    [300, 1],
  ] as const) {
    const { a, b } = wholePairs(b01, b10, 10);
    const r = pairedTest(a, b);
    const perPair = mcnemarExact(
      a.map((p) => p[0]!),
      b.map((p) => p[0]!),
    );
    assert.equal(r.discordant, b01 + b10);
    close(r.pValue, perPair.pValue, 1e-12 * Math.max(1, perPair.pValue), `b01=${b01} b10=${b10}`);
  }
});

test('half-discordant pairs weigh half: exact result equals enumeration of all sign flips', () => {
  const rng = createRng('half-grid');
  const values = [-1, -0.5, 0, 0.5, 1];
  for (let trial = 0; trial < 60; trial++) {
    const n = 1 + randomInt(rng, 16);
    const diffs = Array.from({ length: n }, () => values[randomInt(rng, values.length)]!);
    const r = pairedSignFlipTest(diffs);
    assert.equal(r.method, 'exact');
    close(r.pValue, bruteForce(diffs), 1e-12, `trial ${trial}: ${diffs.join(',')}`);
    assert.equal(r.halfDiscordant, diffs.filter((d) => Math.abs(d) === 0.5).length);
  }
  // One pair better in one order only, nothing else: as weak as it gets.
  assert.equal(pairedSignFlipTest([0.5]).pValue, 1);
  // Six half-wins: 2 / 64, like six whole wins.
  close(pairedSignFlipTest([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]).pValue, 2 / 64, 1e-15);
  // Half and whole mixed: +1 +1 +1 +0.5 has 2 of 16 assignments reaching |3.5|.
  close(pairedSignFlipTest([1, 1, 1, 0.5]).pValue, 2 / 16, 1e-15);
});

test('pairs from verdicts: the difference of a pair is the mean over its orders; counts are pairs', () => {
  const a = [
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ];
  const b = [
    [true, true],
    [true, true],
    [true, false],
    [false, true],
  ];
  assert.deepEqual(pairDifferences(a, b), [0.5, 1, -0.5, 0]);
  const r = pairedTest(a, b);
  assert.deepEqual(
    { b01: r.b01, b10: r.b10, discordant: r.discordant, halfDiscordant: r.halfDiscordant },
    { b01: 2, b10: 1, discordant: 3, halfDiscordant: 2 },
  );
  // A pair judged in one order only: its difference is -1, 0 or 1.
  assert.deepEqual(pairDifferences([[true]], [[false]]), [-1]);
  assert.throws(() => pairDifferences([[true, true]], [[true]]), RangeError);
  assert.throws(() => pairDifferences([[true]], []), RangeError);
  assert.throws(() => pairDifferences([[]], [[]]), RangeError);
});

test('off the half-point grid: a seeded Monte Carlo close to the exact enumeration', () => {
  // Three orders per pair: differences in thirds.
  const diffs = [1, 2 / 3, 1 / 3, 1 / 3, 2 / 3, -1 / 3, 1, 2 / 3, -2 / 3, 1 / 3, 1 / 3, 1];
  const r = pairedSignFlipTest(diffs, { seed: 7 });
  assert.equal(r.method, 'monte-carlo');
  assert.equal(r.flips, 20000);
  close(r.pValue, bruteForce(diffs), 0.006, 'Monte Carlo vs exact');
  assert.deepEqual(pairedSignFlipTest(diffs, { seed: 7 }), r);
  assert.ok(r.pValue > 0, 'never 0: (1 + hits) / (1 + flips)');
  assert.throws(() => pairedSignFlipTest(diffs, { flips: 0 }), RangeError);
});

test('no information gives p = 1; out-of-range differences are rejected', () => {
  assert.equal(pairedSignFlipTest([]).pValue, 1);
  assert.equal(pairedSignFlipTest([0, 0, 0]).pValue, 1);
  assert.equal(pairedSignFlipTest([1, -1, 0.5, -0.5]).pValue, 1);
  assert.throws(() => pairedSignFlipTest([1.5]), RangeError);
  assert.throws(() => pairedSignFlipTest([Number.NaN]), RangeError);
});

test('stable at large n: 100,000 pairs, no overflow, p matches the normal approximation', () => {
  const diffs: number[] = [];
  for (let i = 0; i < 100000; i++) diffs.push(i % 4 === 0 ? 0.5 : i % 4 === 1 ? -0.5 : i % 4 === 2 ? 1 : -1);
  // Balanced: p = 1.
  close(pairedSignFlipTest(diffs).pValue, 1, 1e-9, 'balanced');
  // Tilt by 300 whole wins: z = 300 / sqrt(n1 * 0.25 + n2 * 1 + 300) in pair units.
  const tilted = [...diffs, ...Array<number>(300).fill(1)];
  const n1 = 50000;
  const n2 = 50300;
  const z = 300 / Math.sqrt(n1 * 0.25 + n2);
  // Two-sided normal tail (Abramowitz-Stegun 7.1.26 is plenty at this precision).
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-(z * z) / 2);
  const p = pairedSignFlipTest(tilted).pValue;
  assert.ok(Number.isFinite(p) && p > 0 && p < 1);
  close(p, erfc, 0.1 * erfc, 'normal approximation');
});
