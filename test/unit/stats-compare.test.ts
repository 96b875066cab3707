// Comparing two runs (issue "statistics", points 2 and 3): the test and its counts are over pairs,
// the intervals are clustered by user when there are several users, and the CLI reports who
// improved and who was hurt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVerdicts } from '../../src/core/eval/compare';
import { pairedBootstrap } from '../../src/core/eval/statistics';
import { verdictKey } from '../../src/core/eval/run-file';
import type { PairVerdict } from '../../src/core/method/judge';
import { sampleVerdict } from '../support/pair-fixture';
import { cli } from './revalidate-fixture';

const verdict = sampleVerdict;

type Row = { user: string; a: [boolean, boolean]; b: [boolean, boolean] };

function maps(rows: Row[]): [Map<string, PairVerdict>, Map<string, PairVerdict>] {
  const a = new Map<string, PairVerdict>();
  const b = new Map<string, PairVerdict>();
  rows.forEach((r, i) => {
    const id = `p${String(i).padStart(4, '0')}`;
    a.set(verdictKey(r.user, id), verdict(r.user, id, r.a));
    b.set(verdictKey(r.user, id), verdict(r.user, id, r.b));
  });
  return [a, b];
}

function rows(user: string, bWins: number, aWins: number, same: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < bWins; i++) out.push({ user, a: [false, false], b: [true, true] });
  for (let i = 0; i < aWins; i++) out.push({ user, a: [true, true], b: [false, false] });
  for (let i = 0; i < same; i++) out.push({ user, a: [i % 2 === 0, true], b: [i % 2 === 0, true] });
  return out;
}

test("the issue's case through compareVerdicts: 25 discordant pairs, p = 0.108, and a sentence that agrees with itself", () => {
  const [a, b] = maps(rows('ada', 17, 8, 75));
  const c = compareVerdicts(a, b, 0);
  assert.equal(c.pairs, 100);
  assert.equal(c.samples, 200);
  assert.deepEqual(c.mcnemar, { b01: 17, b10: 8, discordant: 25, p: c.pairedTest.p });
  assert.ok(Math.abs(c.pairedTest.p - 0.1078) < 5e-5, `p = ${c.pairedTest.p}`);
  assert.equal(c.pairedTest.method, 'exact');
  assert.equal(c.resampling, 'pairs');
  assert.match(c.sentence, /^\+9\.0 points \(95% CI .*, p = 0\.11\): /);
  assert.doesNotMatch(c.sentence, /: significant$/);
  if (c.ci95[0] <= 0) assert.match(c.sentence, /: not yet significant$/);
  else assert.match(c.sentence, /: borderline: the interval excludes 0 but p ≥ 0\.05$/);
});

test('half-discordant pairs count as discordant pairs, once', () => {
  const [a, b] = maps([
    { user: 'ada', a: [false, true], b: [true, true] },
    { user: 'ada', a: [false, false], b: [true, false] },
    { user: 'ada', a: [true, true], b: [false, true] },
    { user: 'ada', a: [true, false], b: [true, false] },
  ]);
  const c = compareVerdicts(a, b);
  assert.deepEqual(
    { ...c.pairedTest, p: undefined },
    { b01: 2, b10: 1, discordant: 3, halfDiscordant: 3, method: 'exact', p: undefined, unit: 'pairs' },
  );
  // +0.5 +0.5 -0.5: every one of the 8 sign assignments reaches |0.5|.
  assert.equal(c.pairedTest.p, 1);
});

test('several users: users resampled, then pairs; users improved / hurt / unchanged and a per-user table', () => {
  const all = [
    ...rows('ada', 9, 0, 6),
    ...rows('bruno', 0, 4, 10),
    ...rows('chen', 1, 1, 12),
    ...rows('dana', 6, 1, 5),
  ];
  const [a, b] = maps(all);
  const c = compareVerdicts(a, b, 3);
  assert.deepEqual(c.users, { improved: 2, hurt: 1, unchanged: 1 });
  assert.deepEqual(
    c.perUser.map((u) => [u.user, u.pairs]),
    [
      ['ada', 15],
      ['bruno', 14],
      ['chen', 14],
      ['dana', 12],
    ],
  );
  const ada = c.perUser[0]!;
  assert.equal(ada.difference, 9 / 15);
  assert.equal(c.perUser[2]!.difference, 0);
  assert.equal(c.resampling, 'users');
  // The interval is the user-clustered one, and wider than resampling pairs alone.
  const flat = pairedBootstrap(
    all.map((r) => r.a),
    all.map((r) => r.b),
    { seed: 3 },
  );
  assert.ok(c.ci95[1] - c.ci95[0] > flat.high - flat.low, `${c.ci95} vs ${flat.low}..${flat.high}`);
  assert.ok(c.ci95A[0] <= c.accuracyA && c.accuracyA <= c.ci95A[1]);
  assert.ok(c.ci95B[0] <= c.accuracyB && c.accuracyB <= c.ci95B[1]);
});

test('CLI compare: --json has users and perUser; the text shows a per-user table when there are several users', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-stats-compare-'));
  const all = [...rows('ada', 5, 0, 3), ...rows('bruno', 0, 2, 4)];
  const [a, b] = maps(all);
  const header = (method: string) => ({
    type: 'header',
    version: 1,
    id: method,
    method,
    split: 'test',
    provider: 'ollama',
    model: 'm',
    seed: 0,
    temperature: 0,
    users: ['ada', 'bruno'],
    created: '2025-01-01T00:00:00Z',
    inputs: {},
  });
  for (const [name, m, method] of [
    ['a.run.jsonl', a, 'default'],
    ['b.run.jsonl', b, 'persona+demos'],
  ] as const) {
    writeFileSync(
      join(dir, name),
      [header(method), ...[...m.values()].map((v) => ({ type: 'verdict', ...v }))]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
  }
  const j = cli(dir);
  assert.equal(await j.call('compare', 'a.run.jsonl', 'b.run.jsonl', '--json'), 0, j.err());
  const r = JSON.parse(j.out());
  assert.deepEqual(r.users, { improved: 1, hurt: 1, unchanged: 0 });
  assert.deepEqual(r.perUser, [
    { user: 'ada', pairs: 8, accuracyA: 5 / 16, accuracyB: 15 / 16, difference: 10 / 16 },
    { user: 'bruno', pairs: 6, accuracyA: 10 / 12, accuracyB: 6 / 12, difference: -4 / 12 },
  ]);
  assert.equal(r.mcnemar.discordant, 7);
  assert.equal(r.pairedTest.discordant, 7);
  assert.equal(r.resampling, 'users');
  assert.equal(r.a.run, 'a.run.jsonl');
  const t = cli(dir);
  assert.equal(await t.call('compare', 'a.run.jsonl', 'b.run.jsonl'), 0, t.err());
  const text = t.out();
  assert.match(text, /discordant pairs: 5 B better, 2 A better/);
  assert.match(text, /users: 1 improved, 1 hurt, 0 unchanged/);
  assert.match(text, /^\| user \| pairs \| A \| B \| B - A \(points\) \|$/m);
  assert.match(text, /^\| ada \| 8 \| 31\.25% \| 93\.75% \| \+62\.5 \|$/m);
  assert.match(text, /^\| bruno \| 6 \| 83\.33% \| 50\.00% \| -33\.3 \|$/m);
  // One user: no table.
  const [a1, b1] = maps(rows('ada', 5, 0, 3));
  for (const [name, m, method] of [
    ['a1.run.jsonl', a1, 'default'],
    ['b1.run.jsonl', b1, 'persona+demos'],
  ] as const) {
    writeFileSync(
      join(dir, name),
      [header(method), ...[...m.values()].map((v) => ({ type: 'verdict', ...v }))]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
  }
  const one = cli(dir);
  assert.equal(await one.call('compare', 'a1.run.jsonl', 'b1.run.jsonl'), 0, one.err());
  assert.doesNotMatch(one.out(), /\| user \|/);
});
