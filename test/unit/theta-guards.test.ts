// The parts of `theta optimize` that need no model: the guards against overfitting, the budget,
// the plan and user splits, the Pareto front, and the held-out acceptance rule.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Pair } from '../../src/core/data/pair';
import type { PairVerdict } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { buildGuardContext, checkCandidate, MAX_THETA_CHARS, topicWords } from '../../src/core/theta/guards';
import { BudgetMeter, BudgetExceeded, parseBudget, LIGHT_BUDGET, MEDIUM_BUDGET } from '../../src/core/theta/budget';
import { planSearch } from '../../src/core/theta/plan';
import { assignRoles, scoringPairs, type ThetaUserData } from '../../src/core/theta/user-splits';
import { bestCandidate, drawParent, paretoFront, type Candidate } from '../../src/core/theta/pool';
import { heldOutCheck } from '../../src/core/theta/acceptance';
import type { Episode } from '../../src/core/theta/episode';
import { readRewrite } from '../../src/core/theta/reflection-prompt';
import { createRng } from '../../src/core/random';
import { simulatedPanel } from '../support/simulated-users';
import { samplePair } from '../support/pair-fixture';

const THETA = DEFAULT_PROMPTS['persona-synthesis'];

function pairsOfPanel(): Pair[] {
  return simulatedPanel(1).flatMap((u) =>
    u.records.map((r, i) => ({
      userId: r.user_id,
      pairId: r.pair_id,
      context: r.context,
      chosen: { role: 'assistant', content: r.chosen },
      rejected: { role: 'assistant', content: r.rejected },
      source: { file: `${u.id}.prefs.jsonl`, line: i + 1, column: 1, endLine: i + 1, endColumn: 1 },
    })),
  );
}

describe('guards against overfitting', () => {
  const pairs = pairsOfPanel();
  const ctx = buildGuardContext(pairs, [THETA]);

  test('the current Θ and a general rewrite pass', () => {
    assert.deepEqual(checkCandidate(THETA, ctx), { ok: true });
    const rewrite = `${THETA}\n\nState the deciding quality of the choices in plain words, and say what the user seems indifferent to.`;
    assert.deepEqual(checkCandidate(rewrite, ctx), { ok: true });
  });

  test("a candidate that copies five consecutive words of a user's data is rejected", () => {
    const response = pairs[3]!.chosen.content;
    // Five words of the response, taken from a run with content words in it.
    const words = response.split(/\s+/).filter((w) => /^[A-Za-z]+[,.]?$/.test(w));
    let copied = '';
    for (let i = 0; i + 5 <= words.length && !copied; i++) {
      const run = words.slice(i, i + 5).join(' ');
      const v = checkCandidate(`${THETA}\n\nRemember: ${run}.`, ctx);
      if (!v.ok && v.guard === 'copy') copied = run;
    }
    assert.ok(copied, 'no five-word run of the response was caught');
    const v = checkCandidate(`${THETA}\n\nRemember: ${copied}.`, ctx);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.guard, 'copy');
    // Four of the same words are not a copy.
    const four = copied.split(' ').slice(0, 4).join(' ');
    const v4 = checkCandidate(`${THETA}\n\nRemember: ${four} and so on.`, ctx);
    assert.ok(v4.ok || v4.guard !== 'copy', JSON.stringify(v4));
  });

  test("a candidate that names the users' topics is rejected, and the topics are the conversations' frequent words", () => {
    const topics = topicWords(ctx);
    console.log(`topic words of the simulated panel: ${topics.join(', ')}`);
    assert.ok(topics.length >= 10, topics.join(', '));
    // Style vocabulary is never a topic.
    for (const w of ['concise', 'list', 'sources', 'emoji', 'formal', 'code', 'answer', 'user'])
      assert.ok(!topics.includes(w), `${w} counted as a topic`);
    const topic = topics[0]!;
    const v = checkCandidate(`${THETA}\n\nUsers who ask about ${topic} want more detail.`, ctx);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.guard, 'topic', JSON.stringify(v));
  });

  test('an over-long candidate is rejected; the cap follows a longer current Θ', () => {
    const long = `${THETA}\n\n${'Weigh every choice carefully against the others before writing. '.repeat(40)}`;
    assert.ok(long.length > MAX_THETA_CHARS);
    const v = checkCandidate(long, ctx);
    assert.equal(!v.ok && v.guard, 'length', JSON.stringify(v));
    const generous = buildGuardContext(pairs, [long]);
    assert.notEqual((checkCandidate(long, generous) as { guard?: string }).guard, 'length');
  });

  test('an output format, a role-play or an empty answer is rejected', () => {
    const format = checkCandidate(`${THETA}\n\nReturn JSON with a "persona" field.`, ctx);
    assert.equal(!format.ok && format.guard, 'format');
    const staged = checkCandidate(`Imagine you are a world-class psychologist. ${THETA}`, ctx);
    assert.equal(!staged.ok && staged.guard, 'role-play');
    const stakes = checkCandidate(`${THETA}\n\nThis is high-stakes: your job depends on it.`, ctx);
    assert.equal(!stakes.ok && stakes.guard, 'role-play');
    const empty = checkCandidate('  ', ctx);
    assert.equal(!empty.ok && empty.guard, 'empty');
  });

  test('the rewrite is read from the instructions field, without fences or a label', () => {
    assert.equal(
      readRewrite({ instructions: '```\nInstructions: Do this.\n```', diagnosis: 'x' }, '').instructions,
      'Do this.',
    );
    assert.equal(readRewrite(undefined, 'Plain text answer.').instructions, 'Plain text answer.');
    assert.equal(readRewrite({ other: 1 }, '{"other": 1}').instructions, '');
  });
});

describe('the budget', () => {
  test('light, medium and numbers; anything else is a usage error', () => {
    assert.equal(parseBudget('light'), LIGHT_BUDGET);
    assert.equal(parseBudget('MEDIUM'), MEDIUM_BUDGET);
    assert.equal(parseBudget('100'), 100);
    for (const bad of ['0', '-5', '1.5', 'heavy', ''])
      assert.throws(
        () => parseBudget(bad),
        (e: Error & { exitCode?: number }) => e.exitCode === 2,
        bad,
      );
  });

  test('the meter refuses the call past the budget and counts cache hits as calls', async () => {
    const seen: number[] = [];
    const meter = new BudgetMeter(3, (c) => seen.push(c.used));
    let n = 0;
    const m = meter.wrap({
      provider: 'ollama',
      model: 'm',
      chat: async () => ({
        text: '',
        usage: { promptTokens: 0, completionTokens: 0 },
        latencyMs: 0,
        cached: n++ % 2 === 0,
        model: 'm',
      }),
    });
    const req = { messages: [], temperature: 0 };
    await Promise.all([m.chat(req), m.chat(req), m.chat(req)]);
    await assert.rejects(m.chat(req), BudgetExceeded);
    assert.deepEqual(meter.snapshot(), { used: 3, server: 1, cached: 2, requests: 1 });
    assert.deepEqual(seen, [1, 2, 3]);
  });
});

function user(id: string, context: number, validation: number, test: number): ThetaUserData {
  let line = 0;
  const mk = (n: number) => Array.from({ length: n }, () => samplePair({ userId: id, pairId: `${id}-${++line}` }));
  return { id, context: mk(context), validation: mk(validation), test: mk(test) };
}

describe('users and the plan', () => {
  test('roles: about 40% held out, small users only held out, every role filled', () => {
    const r = assignRoles(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, role: 'search' as const })))!;
    assert.deepEqual([r.heldOut.length, r.selection.length, r.reflection.length], [2, 2, 2]);
    const small = assignRoles([
      { id: 'a', role: 'search' },
      { id: 'b', role: 'search' },
      { id: 'c', role: 'held-out' },
    ])!;
    assert.deepEqual(small, { heldOut: ['c'], selection: ['a'], reflection: ['b'] });
    assert.equal(
      assignRoles([
        { id: 'a', role: 'search' },
        { id: 'b', role: 'held-out' },
        { id: 'c', role: 'held-out' },
      ]),
      undefined,
    );
  });

  test('test pairs are scored first, up to the cap', () => {
    const u = user('u', 4, 3, 5);
    const s = scoringPairs(u, 6);
    assert.deepEqual(
      s.map((p) => p.pairId),
      ['u-8', 'u-9', 'u-10', 'u-11', 'u-12', 'u-5'],
    );
  });

  test('the plan fits the budget, shrinks with it, and refuses a budget too small', () => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => user(id, 10, 4, 6));
    users.push(user('tiny', 1, 0, 1), user('none', 0, 2, 2));
    const big = planSearch(users, { budget: 5000, k: 2, seed: 0 });
    assert.equal(big.users.length, 8);
    assert.equal(big.pairsPerUser, 10);
    assert.ok(big.roles.heldOut.includes('tiny'));
    assert.deepEqual(big.unused, [{ user: 'none', reason: 'no context pairs: no persona can be synthesized' }]);
    const total = (p: typeof big) => p.cost.firstStageBound + p.cost.baselines + p.cost.finalCheck + p.cost.step;
    const small = planSearch(users, { budget: 300, k: 2, seed: 0 });
    assert.ok(small.users.length < big.users.length || small.pairsPerUser < big.pairsPerUser);
    assert.ok(total(small) <= 300);
    assert.ok(small.unused.some((u) => u.reason === 'left out to fit the budget'));
    assert.throws(() => planSearch(users, { budget: 40, k: 2, seed: 0 }), /--budget 40 is too small/);
    // The same inputs, the same plan (resumption depends on it).
    assert.deepEqual(planSearch(users, { budget: 300, k: 2, seed: 0 }), small);
    assert.throws(
      () => planSearch([user('a', 10, 4, 6), user('b', 1, 1, 1)], { budget: 5000, k: 2, seed: 0 }),
      /at least three users/,
    );
  });
});

function candidate(id: number, scores: Record<string, number>, parents: number[] = []): Candidate {
  return {
    id,
    text: `t${id}`,
    hash: `h${id}`,
    parents,
    origin: id ? 'reflection' : 'current',
    step: id,
    status: 'pool',
    scores: new Map(Object.entries(scores).map(([u, c]) => [u, { correct: c, samples: 10, persona: '' }])),
    episodes: new Map(),
  };
}

describe('the Pareto front', () => {
  test('per-user winners, dominated candidates dropped, parents drawn by wins', () => {
    const users = ['u1', 'u2', 'u3'];
    const pool = [
      candidate(0, { u1: 5, u2: 5, u3: 5 }),
      candidate(1, { u1: 9, u2: 4, u3: 5 }),
      candidate(2, { u1: 4, u2: 9, u3: 5 }),
      candidate(3, { u1: 9, u2: 4, u3: 4 }),
    ];
    // #0 is best on u3 (tied with #1 and #2); #3 ties #1 on u1 but is dominated by it.
    assert.deepEqual(paretoFront(pool, users), [
      { id: 0, wins: 1 },
      { id: 1, wins: 2 },
      { id: 2, wins: 2 },
    ]);
    const rng = createRng(1);
    const drawn = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const id = drawParent(paretoFront(pool, users), rng);
      drawn.set(id, (drawn.get(id) ?? 0) + 1);
    }
    assert.ok(!drawn.has(3));
    assert.ok(drawn.get(1)! > 1.5 * drawn.get(0)!, JSON.stringify([...drawn]));
    // The best on average; a tie goes to the earlier candidate.
    assert.equal(bestCandidate(pool, users).id, 1);
    assert.equal(bestCandidate([candidate(0, { u1: 5 }), candidate(1, { u1: 5 })], ['u1']).id, 0);
  });
});

function episodes(user: string, rows: [boolean, boolean][]): Episode {
  const verdicts: PairVerdict[] = rows.map(([a, b], i) => ({
    userId: user,
    pairId: `${user}-${i}`,
    file: 'f',
    line: i + 1,
    orders: [
      { order: 'AB', preference: a ? 'A' : 'B', correct: a, reasoning: '' },
      { order: 'BA', preference: b ? 'B' : 'A', correct: b, reasoning: '' },
    ],
  }));
  const correct = rows.flat().filter(Boolean).length;
  return { userId: user, persona: '', verdicts, correct, samples: 2 * rows.length };
}

describe('acceptance on held-out users', () => {
  const rows = (n: number, right: number): [boolean, boolean][] =>
    Array.from({ length: n }, (_, i) => (i < right ? [true, true] : [false, false]));

  test('a clear improvement on every held-out user is adopted: significant over users, interval and p', () => {
    const ids = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
    const base = ids.map((u) => episodes(u, rows(10, 4)));
    const best = ids.map((u) => episodes(u, rows(10, 9)));
    const c = heldOutCheck(base, best, 0);
    assert.equal(c.accepted, true, c.sentence);
    assert.ok(c.comparison.ci95[0] > 0);
    assert.match(c.sentence, /^adopted: \+50\.0 points on 60 held-out pairs of 6 user\(s\)/);
  });

  test('the same clear improvement on 3 held-out users is not adopted: the test over users cannot reach 0.05', () => {
    const ids = ['h1', 'h2', 'h3'];
    const c = heldOutCheck(
      ids.map((u) => episodes(u, rows(10, 4))),
      ids.map((u) => episodes(u, rows(10, 9))),
      0,
    );
    assert.equal(c.accepted, false, c.sentence);
    assert.match(
      c.sentence,
      /^not adopted: \+50\.0 points on 30 held-out pairs of 3 user\(s\) .*; (p ≥ 0\.05 \(with 3 held-out user\(s\) the test over users cannot go lower than 0\.25\)|the interval does not exclude 0)$/,
    );
  });

  test('no difference, or a difference whose interval includes 0, is not adopted, with the figures', () => {
    const base = ['h1', 'h2'].map((u) => episodes(u, rows(8, 4)));
    assert.equal(heldOutCheck(base, base, 0).accepted, false);
    const mixed = [episodes('h1', rows(8, 7)), episodes('h2', rows(8, 1))];
    const c = heldOutCheck(base, mixed, 0);
    assert.equal(c.accepted, false);
    assert.ok(c.comparison.ci95[0] <= 0 && c.comparison.ci95[1] >= 0, JSON.stringify(c.comparison.ci95));
    assert.match(c.sentence, /^not adopted: .* \(95% CI .* p = .*\); the interval does not exclude 0$/);
  });
});
