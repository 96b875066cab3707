// The `rubric` and `rubric+persona` methods (issue 24, item 1): weighted criteria and 1-10 scores per reply, the
// weighted sums decide. Counted as the paper counts them: a tie and an unreadable answer are answers counted wrong,
// each reported apart; a failed call is no answer and the run resumes it. End to end through the CLI against both
// loopback protocols with the simulated brain (a simulation of a competent model, not a measurement of one).

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { BrainRequest, LoopbackServer } from '../support/loopback-llm';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli, workspace } from './revalidate-fixture';
import { readRubric, rubricSums } from '../../src/core/method/rubric';
import { readRun } from '../../src/core/eval/run-file';
import { listRuns } from '../../src/core/eval/runs-list';
import { workspaceLayout } from '../../src/core/workspace/layout';
import { cellHover } from '../../src/core/eval/grid-cell-text';

const MODEL = 'llama3.1:8b';

describe('rubric sums and readable answers', () => {
  test('weights are normalised by their sum; the higher weighted sum wins; equal sums are a tie', () => {
    const criteria = [
      { name: 'brevity', weight: 3 },
      { name: 'warmth', weight: 1 },
    ];
    const r = rubricSums({ criteria, scores: { A: [9, 2], B: [4, 10] } });
    assert.equal(r.sumA, (3 * 9 + 1 * 2) / 4);
    assert.equal(r.sumB, (3 * 4 + 1 * 10) / 4);
    assert.equal(r.outcome, 'A');
    // Doubling every weight changes nothing.
    const doubled = rubricSums({
      criteria: criteria.map((c) => ({ ...c, weight: 2 * c.weight })),
      scores: { A: [9, 2], B: [4, 10] },
    });
    assert.deepEqual(doubled, r);
    assert.equal(rubricSums({ criteria, scores: { A: [5, 5], B: [5, 5] } }).outcome, 'tie');
    // 3*6+1*3 = 3*5+1*6: equal sums from different scores are a tie too.
    assert.equal(rubricSums({ criteria, scores: { A: [6, 3], B: [5, 6] } }).outcome, 'tie');
  });

  test('an answer that is no rubric is unreadable, and says why', () => {
    const ok = { criteria: [{ name: 'brevity', weight: 1 }], scores: { A: [7], B: [3] } };
    assert.equal(readRubric(ok, true).ok, true);
    const why = (o: Record<string, unknown> | undefined) => {
      const r = readRubric(o, false);
      assert.equal(r.ok, false, JSON.stringify(o));
      return r.ok ? '' : r.why;
    };
    assert.match(why(undefined), /not a JSON object/);
    assert.match(why({ ...ok, scores: { A: [11], B: [3] } }), /A has a score of 11/);
    assert.match(why({ ...ok, scores: { A: [0], B: [3] } }), /score of 0/);
    assert.match(why({ ...ok, scores: { A: [7.5], B: [3] } }), /whole number from 1 to 10/);
    assert.match(why({ ...ok, scores: { A: [7, 8], B: [3] } }), /1 criteria but 2 score\(s\) for A/);
    assert.match(why({ ...ok, scores: { A: [7] } }), /no scores for B/);
    assert.match(why({ criteria: [{ name: 'x', weight: 0 }], scores: { A: [7], B: [3] } }), /every weight is 0/);
    assert.match(why({ criteria: [{ name: 'x', weight: -1 }], scores: { A: [7], B: [3] } }), /non-negative weight/);
    assert.match(why({ criteria: [], scores: { A: [], B: [] } }), /no criteria/);
  });

  test('the grid hover of a rubric order names the two weighted sums', () => {
    const text = cellHover([
      { order: 'AB', preference: 'A', correct: true, rubric: { sums: [7.4, 5.1] } },
      { order: 'BA', preference: null, correct: false, noDecision: 'tie', rubric: { sums: [6, 6] } },
    ]);
    assert.match(text, /order \(A,B\): chose A, right \(sums A 7\.40, B 5\.10\)/);
    assert.match(text, /order \(B,A\): a tie, wrong \(sums A 6\.00, B 6\.00\)/);
  });
});

type Usage = { calls: number; promptTokens: number; completionTokens: number };

/** calls and tokens per judged pair of one method, from a fresh run's usage (--no-cache, its own label). */
function perPair(j: Record<string, unknown>): string {
  const u = { ...(j.usage as Usage), pairs: j.pairs as number };
  const per = (x: number) => (x / u.pairs).toFixed(1);
  return `${per(u.calls)} calls, ${per(u.promptTokens)} prompt + ${per(u.completionTokens)} completion tokens per pair`;
}

for (const protocol of ['ollama', 'openai'] as const) {
  describe(`rubric end to end on simulated users (${protocol})`, () => {
    let server: LoopbackServer;
    const sim = simulatedWorkspace(1);
    const brain = simulatedBrain();
    const opts = () => [
      '--all',
      '--base-url',
      server.url,
      '--model',
      MODEL,
      ...(protocol === 'openai' ? ['--provider', 'openai'] : []),
    ];

    before(async () => {
      const start = protocol === 'ollama' ? startLoopbackOllama : startLoopbackOpenAI;
      server = await start({ brain: adaptBrain(brain), models: [MODEL] });
      const c = cli(sim.dir);
      assert.equal(await c.run('fit', 'ws', ...opts()), 0, c.err());
    });
    after(() => server?.close());

    test('eval --method rubric,persona+demos --table prints both rows, ties and unreadable answers said apart', async () => {
      const c = cli(sim.dir);
      assert.equal(await c.run('eval', 'ws', '--method', 'rubric,persona+demos', '--table', ...opts()), 0, c.err());
      const rows = c
        .out()
        .split('\n')
        .filter((l) => /^\| (rubric|persona\+demos) \|/.test(l));
      assert.equal(rows.length, 2, c.out());
      assert.match(rows[0]!, /^\| rubric \| .*\d+ tie\(s\), \d+ unreadable\)/);
      assert.doesNotMatch(rows[1]!, /tie/);
      // The simulated judge reads the context pairs it is given: rubric must beat chance clearly.
      const j = cli(sim.dir);
      assert.equal(await j.run('eval', 'ws', '--method', 'rubric', '--json', ...opts()), 0, j.err());
      const r = j.json() as { accuracy: number; pairs: number; ties: number; unreadable: number; complete: boolean };
      assert.equal(r.complete, true);
      assert.equal(r.unreadable, 0, 'the simulated brain answers every rubric prompt readably');
      assert.ok(r.accuracy > 0.6, `rubric accuracy ${r.accuracy} on ${r.pairs} pairs (simulation)`);
      assert.equal(brain.stats().confused['not-personal'], 0);
    });

    test('calls and tokens per judged pair: rubric against persona+demos (loopback usage; simulation)', async () => {
      const figures: string[] = [];
      const acc: string[] = [];
      for (const method of ['rubric', 'persona+demos']) {
        const c = cli(sim.dir);
        const code = await c.run(
          'eval',
          'ws',
          '--method',
          method,
          '--json',
          '--no-cache',
          '--label',
          'usage',
          ...opts(),
        );
        assert.equal(code, 0, c.err());
        const j = c.json();
        assert.ok((j.calls as number) > 0);
        figures.push(`${method}: ${perPair(j)}`);
        acc.push(`${method} ${(100 * (j.accuracy as number)).toFixed(1)}% over ${j.pairs as number} pairs`);
      }
      console.log(`[${protocol}] ${figures.join('; ')}`);
      console.log(`[${protocol}] simulated accuracy: ${acc.join(', ')}`);
    });

    test("rubric+persona puts the persona file's persona in the prompt, and asks for no persona of its own", async () => {
      server.reset();
      const c = cli(sim.dir);
      assert.equal(await c.run('eval', 'ws', '--method', 'rubric+persona', '--json', ...opts()), 0, c.err());
      const user = sim.users[0]!.id;
      const persona = readFileSync(join(sim.ws, 'personas', `${user}.persona.yaml`), 'utf8');
      const firstLine = /persona: \|-?\n\s+(.+)/.exec(persona)?.[1]?.trim() ?? '';
      assert.ok(firstLine.length > 10, persona);
      const mine = server.chats.filter((ch) => ch.request.messages[0]!.content.includes(firstLine));
      assert.ok(mine.length > 0, "a rubric+persona call carries the persona file's text");
      for (const ch of server.chats) {
        const props = (ch.request.schema?.properties ?? {}) as Record<string, unknown>;
        assert.ok('criteria' in props && !('persona' in props), 'the schema asks for criteria and scores only');
        assert.match(ch.request.messages[0]!.content, /<user_persona>/);
      }
    });
  });
}

/** The fixture's pairs: `Reply ada-7: short and to the point` is chosen. The pair's index from the reply shown as A. */
const indexOf = (req: BrainRequest) => Number(/Reply \w+-(\d+):/.exec(req.messages.at(-1)!.content)?.[1] ?? -1);
const chosenIsA = (req: BrainRequest) =>
  (/<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(req.messages.at(-1)!.content)?.[1] ?? '').includes('short and to');
const isRubric = (req: BrainRequest) => 'criteria' in ((req.schema?.properties ?? {}) as object);

/** Planted answers by the pair's index mod 5: out of range, wrong length, not JSON, a tie, a right rubric. */
function plantedBrain(req: BrainRequest): string {
  if (!isRubric(req))
    return JSON.stringify({ reasoning: 'r', preference: 'A', persona: 'Likes short replies.', facts: [] });
  const criteria = [
    { name: 'brevity', weight: 2 },
    { name: 'clarity', weight: 1 },
  ];
  const hi = chosenIsA(req) ? 'A' : 'B';
  const lo = hi === 'A' ? 'B' : 'A';
  switch (indexOf(req) % 5) {
    case 0:
      return JSON.stringify({ persona: 'p', criteria, scores: { A: [11, 3], B: [2, 3] } });
    case 1:
      return JSON.stringify({ persona: 'p', criteria, scores: { A: [8], B: [2, 3] } });
    case 2:
      return 'Reply A reads better to me overall, I would say.';
    case 3:
      return JSON.stringify({ persona: 'p', criteria, scores: { A: [5, 7], B: [6, 5] } });
    default:
      return JSON.stringify({ persona: 'Wants it short.', criteria, scores: { [hi]: [9, 8], [lo]: [3, 6] } });
  }
}

describe('rubric answers that decide nothing, and calls that fail', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({ brain: plantedBrain, models: [MODEL] });
  });
  after(() => server?.close());
  const args = (...extra: string[]) => [
    'eval',
    'ws',
    '--method',
    'rubric',
    '--all',
    '--json',
    '--base-url',
    server.url,
    '--model',
    MODEL,
    ...extra,
  ];

  test('unreadable scores (out of range, wrong length, not JSON) count as unreadable and a tie as a tie, not failed; the run file keeps criteria and scores', async () => {
    const { dir } = workspace();
    const c = cli(dir);
    assert.equal(await c.run(...args()), 0, c.err());
    const j = c.json() as Record<string, number> & { complete: boolean; run: string; failed: { calls: number } };
    const run = await readRun(join(dir, j.run as unknown as string));
    const kinds = [...run.verdicts.values()].map((v) => Number(v.pairId.split('-')[1]) % 5);
    const count = (...k: number[]) => 2 * kinds.filter((x) => k.includes(x)).length;
    assert.ok(count(0) && count(1) && count(2) && count(3) && count(4), `every kind among the test pairs: ${kinds}`);
    assert.equal(j.complete, true);
    assert.equal(j.failed.calls, 0);
    assert.equal(j.unreadable, count(0, 1, 2));
    assert.equal(j.ties, count(3));
    assert.equal(j.samples, count(0, 1, 2, 3, 4));
    assert.equal(j.accuracy, count(4) / j.samples);
    assert.equal(run.summary?.ties, count(3));
    assert.equal(run.summary?.unreadable, count(0, 1, 2));
    assert.equal(run.header?.rubricContext, 6);
    assert.match(run.header?.inputs.rubric ?? '', /^sha256:/);
    assert.equal(run.header?.inputs.judge, undefined, 'the judge prompt does not shape a rubric run');
    for (const v of run.verdicts.values()) {
      const kind = Number(v.pairId.split('-')[1]) % 5;
      for (const o of v.orders) {
        if (kind <= 2) {
          assert.equal(o.noDecision, 'unreadable');
          assert.match(o.error ?? '', /^unreadable rubric: /);
          assert.equal(o.rubric, undefined);
        } else {
          assert.deepEqual(o.rubric?.criteria, [
            { name: 'brevity', weight: 2 },
            { name: 'clarity', weight: 1 },
          ]);
          assert.equal(o.rubric?.scores.A.length, 2);
          assert.equal(o.noDecision, kind === 3 ? 'tie' : undefined);
          assert.equal(o.correct, kind === 4);
          const win = Math.round((26 / 3) * 1e4) / 1e4;
          if (kind === 4) assert.deepEqual(o.rubric?.sums, o.order === 'AB' ? [win, 4] : [4, win]);
        }
      }
    }
    // The plain output says the kinds apart too.
    const t = cli(dir);
    assert.equal(await t.run(...args().filter((a) => a !== '--json')), 0, t.err());
    assert.match(t.out(), new RegExp(`${count(3)} tie\\(s\\), ${count(0, 1, 2)} unreadable`));
  });

  test('a failed call (server 500) is a failed call: the run is incomplete, and the same command resumes it', async () => {
    const { dir } = workspace();
    server.options.faultFor = (req) =>
      isRubric(req) && indexOf(req) % 5 === 4 ? { type: 'server-error', status: 500 } : undefined;
    try {
      const c = cli(dir);
      assert.equal(await c.run(...args()), 1, 'an incomplete run fails the command');
      const j = c.json() as { complete: boolean; failed: { calls: number; pairs: number }; unreadable: number };
      assert.equal(j.complete, false);
      assert.ok(j.failed.pairs > 0);
      assert.ok(j.unreadable > 0, 'the other pairs were judged');
      assert.match(c.err(), /call\(s\) failed/);
    } finally {
      delete server.options.faultFor;
    }
    const again = cli(dir);
    assert.equal(await again.run(...args()), 0, again.err());
    const j = again.json() as { complete: boolean; failed: { calls: number } };
    assert.equal(j.complete, true);
    assert.equal(j.failed.calls, 0);
  });

  test('--rubric-context N: N context pairs in the prompt, recorded; an edited rubric prompt makes the run stale', async () => {
    const { dir, ws } = workspace();
    server.reset();
    const c = cli(dir);
    assert.equal(await c.run(...args('--rubric-context', '2')), 0, c.err());
    const system = server.chats.find((ch) => isRubric(ch.request))!.request.messages[0]!.content;
    assert.equal(system.match(/<example number=/g)?.length, 2);
    const run = await readRun(join(dir, c.json().run as string));
    assert.equal(run.header?.rubricContext, 2);
    // Test pairs never reach the prompt: every example is a context pair of the user.
    const testIds = new Set([...run.verdicts.values()].map((v) => v.pairId));
    for (const ch of server.chats.filter((x) => isRubric(x.request))) {
      const examples = /<examples>([\s\S]*?)<\/examples>/.exec(ch.request.messages[0]!.content)?.[1] ?? '';
      for (const m of examples.matchAll(/Reply (\w+-\d+):/g)) assert.ok(!testIds.has(m[1]!), `${m[1]} is a test pair`);
    }
    const layout = workspaceLayout(ws, {});
    assert.equal((await listRuns(layout)).find((r) => r.method === 'rubric')?.stale, false);
    mkdirSync(join(ws, 'prompts'), { recursive: true });
    writeFileSync(join(ws, 'prompts', 'rubric.prompt.md'), 'Score the replies for this user.\n');
    const listed = (await listRuns(layout)).find((r) => r.method === 'rubric');
    assert.deepEqual(listed?.staleBecause, ['rubric prompt changed']);
  });

  test('rubric+persona without a persona skips the user, like the other persona methods', async () => {
    const { dir } = workspace();
    const c = cli(dir);
    const code = await c.run(
      'eval',
      'ws',
      '--method',
      'rubric+persona',
      '--all',
      '--base-url',
      server.url,
      '--model',
      MODEL,
    );
    assert.equal(code, 2, c.err());
    assert.match(c.err(), /no persona yet/);
  });
});
