// Where a long fit stands (issue 23): the fit job says "phase x of 5", the calls done against the estimate
// (which tightens as phases end), and an ETA once the server's speed is known; the CLI's fit prints it.
// The ETA arithmetic has one home, src/core/eta.ts.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { etaSeconds, etaText } from '../../src/core/eta';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { createLlm } from '../../src/core/llm/client';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace/open-workspace';
import { planFit, runFit } from '../../src/core/workspace/fit-job';
import { FitTracker, fitStatusText, type FitStatus } from '../../src/core/workspace/fit-status';
import { fitPhaseBounds, planFitRequests } from '../../src/core/method/fit-plan';
import { cli, markerBrain, workspace } from './revalidate-fixture';

const MODEL = 'llama3.1:8b';

describe('the ETA', () => {
  test('is unknown before a few server calls and a few seconds', () => {
    assert.equal(etaSeconds({ answered: 2, remaining: 100, elapsedMs: 60_000 }), undefined);
    assert.equal(etaSeconds({ answered: 50, remaining: 100, elapsedMs: 1000 }), undefined);
  });

  test('is the calls left at the speed measured so far', () => {
    // 10 calls in 20 s: 2 s a call, 30 left → 60 s.
    assert.equal(etaSeconds({ answered: 10, remaining: 30, elapsedMs: 20_000 }), 60);
    assert.equal(etaSeconds({ answered: 10, remaining: 0, elapsedMs: 20_000 }), 0);
    assert.equal(etaSeconds({ answered: 10, remaining: -3, elapsedMs: 20_000 }), 0);
  });

  test('reads as a person would say it', () => {
    assert.equal(etaText(3), 'about 5 s left');
    assert.equal(etaText(42), 'about 45 s left');
    assert.equal(etaText(200), 'about 3 min left');
    assert.equal(etaText(3900), 'about 1 h 5 min left');
    assert.equal(etaText(7200), 'about 2 h left');
  });
});

describe('the fit tracker', () => {
  test("a phase's bound gives way to the calls it used once a later phase starts", async () => {
    const seen: FitStatus[] = [];
    let t = 0;
    const tracker = new FitTracker(
      new Map([['ada', [4, 30, 1, 4, 36]]]),
      (s) => seen.push(s),
      () => t,
    );
    const model = tracker.model('ada', {
      provider: 'ollama',
      model: 'm',
      chat: async () => ({
        text: '{}',
        usage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 1,
        cached: false,
        model: 'm',
      }),
    });
    const call = (purpose: string) => ((t += 1000), model.chat({ messages: [], temperature: 0, purpose }));
    for (let i = 0; i < 4; i++) await call('bootstrap');
    assert.deepEqual(tracker.status().calls, { done: 4, estimate: 75 });
    for (let i = 0; i < 6; i++) await call('select'); // pruned early: 6 of at most 30
    assert.deepEqual(tracker.status().calls, { done: 10, estimate: 75 });
    await call('persona synthesis');
    // Selection is over: its 6 calls replace its bound of 30.
    assert.deepEqual(tracker.status().calls, { done: 11, estimate: 51 });
    tracker.phase('ada', { phase: 'persona', done: 1, total: 1 });
    const s = tracker.status();
    assert.deepEqual(s.last, { user: 'ada', progress: { phase: 'persona', done: 1, total: 1 }, step: 3, steps: 5 });
    // 11 calls in 11 s: 40 left → 40 s.
    assert.equal(s.etaSeconds, 40);
    assert.equal(
      fitStatusText(s, { oneUser: true }),
      'phase 3 of 5: writing the persona · 11 of at most 51 calls · about 40 s left',
    );
    tracker.finished('ada');
    assert.deepEqual(tracker.status().calls, { done: 11, estimate: 11 });
    assert.equal(
      fitStatusText(tracker.status(), { oneUser: false }),
      '1 of 1 user(s) done · ada: phase 3 of 5: writing the persona · 11 calls · about 5 s left',
    );
  });

  test("the phase bounds add up to the dry run's requests", async () => {
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const splits = ws.index.users().map(pairsBySplit);
    const knobs = { k: 3, labeledDemos: 4 };
    const planned = planFitRequests(splits, await fitPromptsOf(ws), { temperature: 0, seed: 0, ...knobs });
    const bounds = splits.flatMap((s) => fitPhaseBounds(s.context.length, s.validation.length, knobs));
    assert.equal(
      bounds.reduce((a, b) => a + b, 0),
      planned.length,
    );
  });
});

async function fitPromptsOf(ws: Awaited<ReturnType<typeof openWorkspace>>) {
  return {
    bootstrap: await ws.prompts.get('bootstrap'),
    personaSynthesis: await ws.prompts.get('persona-synthesis'),
    judge: await ws.prompts.get('judge'),
  };
}

describe('a fit job in progress', () => {
  const servers: LoopbackServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  test('says its phase of 5, its calls against the estimate and, once the speed is known, an ETA', async () => {
    const server = await startLoopbackOllama({ models: [MODEL], brain: markerBrain('Judge by brevity.') });
    servers.push(server);
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const model = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: MODEL },
      { cacheDir: ws.layout.cacheDir },
    );
    const users = ws.index.users().filter((u) => u.id === 'ada');
    let t = 0;
    const seen: FitStatus[] = [];
    try {
      const plan = await planFit({
        layout: ws.layout,
        prompts: ws.prompts,
        users,
        model,
        temperature: 0,
        seed: 0,
        knobs: { k: 2 },
      });
      const result = await runFit(plan, { onStatus: (s) => seen.push(s), clock: () => (t += 500) });
      const steps = [...new Set(seen.flatMap((s) => (s.last ? [s.last.step] : [])))];
      assert.deepEqual(steps, [1, 2, 3, 4, 5]);
      assert.ok(seen.every((s) => !s.last || s.last.steps === 5));
      // The first estimate is the dry run's; calls only go up; the estimate never falls below them.
      assert.equal(seen[0]!.calls.estimate, plan.requests.length);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.calls.done >= seen[i - 1]!.calls.done);
      assert.ok(seen.every((s) => s.calls.estimate >= s.calls.done));
      const usage = result.fitted[0]!.usage;
      assert.deepEqual(seen.at(-1)!.calls, {
        done: usage.calls + usage.cacheHits,
        estimate: usage.calls + usage.cacheHits,
      });
      // No ETA before the speed is known; one after.
      assert.equal(seen.find((s) => s.calls.done === 1)?.etaSeconds, undefined);
      assert.ok(seen.some((s) => s.etaSeconds !== undefined && s.last?.step === 2));
      assert.match(
        fitStatusText(
          seen.find((s) => s.last?.step === 4 && s.etaSeconds !== undefined)!,
          { oneUser: true },
        ),
        /^phase 4 of 5: judging context pairs with the persona \d+\/\d+ · \d+ of at most \d+ calls · about \d+ (s|min) left$/,
      );
    } finally {
      await model.dispose();
    }
  });

  test("the CLI's fit prints each phase of 5 with its calls, not a bare count of users", async () => {
    const server = await startLoopbackOllama({ models: [MODEL], brain: markerBrain('Judge by brevity.') });
    servers.push(server);
    const { dir } = workspace();
    const f = cli(dir);
    assert.equal(await f.run('fit', 'ws', '--user', 'ada', '--k', '2', '--base-url', server.url), 0, f.err());
    const lines = f
      .err()
      .split('\n')
      .filter((l) => l.startsWith('fit: '));
    for (const step of [1, 2, 3, 4, 5])
      assert.ok(
        lines.some((l) => l.startsWith(`fit: phase ${step} of 5: `)),
        f.err(),
      );
    assert.ok(
      lines.every((l) => / calls/.test(l)),
      f.err(),
    );
    assert.ok(!/fit: 0\/1/.test(f.err()), f.err());
  });
});
