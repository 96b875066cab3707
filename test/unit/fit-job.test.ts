// The fit job of the engine (src/core/workspace/fit-job.ts), which the CLI's fit and VS Code's Fit User /
// Fit All Users both call (issue 21): its plan and estimate, a run that writes the persona files the CLI
// writes, a cancel that stops the calls of every user in flight, and a fatal error that stops the siblings.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { openWorkspace, pairsBySplit, type Workspace } from '../../src/core/workspace/open-workspace';
import { estimateFit, NothingToFitError, planFit, runFit, type FitJobInputs } from '../../src/core/workspace/fit-job';
import { planFitRequests } from '../../src/core/method/fit-plan';
import { cli, markerBrain, PAIRS_PER_USER, workspace } from './revalidate-fixture';

const MODEL = 'llama3.1:8b';
const brain = markerBrain('Judge by brevity.');
/** A persona file without the moment it was written: two fits of the same data give the same text. */
const timeless = (path: string) => readFileSync(path, 'utf8').replace(/^\s*created: .*$/m, '');
const userOf = (req: BrainRequest) => /from (ada|bruno)/.exec(JSON.stringify(req.messages))?.[1];

/** Concurrency enough for every user's calls to be on the server at once (the scheduler queues the rest). */
function modelFor(ws: Workspace, url: string, concurrency = 8): Llm {
  return createLlm(
    { provider: 'ollama', baseUrls: [url], model: MODEL, concurrency },
    { cacheDir: ws.layout.cacheDir },
  );
}

function inputsOf(ws: Workspace, model: Llm, k = 2): FitJobInputs {
  const users = ws.index.users();
  return { layout: ws.layout, prompts: ws.prompts, users, model, temperature: 0, seed: ws.split.seed, knobs: { k } };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the fit job', () => {
  const servers: LoopbackServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const serve = async (opts: Parameters<typeof startLoopbackOllama>[0]) => {
    const s = await startLoopbackOllama({ models: [MODEL], ...opts });
    servers.push(s);
    return s;
  };

  test('plans who can be fitted, what the fits may call, and says a user without context pairs is skipped', async () => {
    const server = await serve({ brain });
    const { ws: dir } = workspace();
    // A third user with one pair: too small to split, nothing to learn from.
    const tiny = {
      user_id: 'tiny',
      pair_id: 't-1',
      context: [{ role: 'user', content: 'hi' }],
      chosen: 'a',
      rejected: 'b',
    };
    appendFileSync(join(dir, 'prefs.jsonl'), JSON.stringify(tiny) + '\n');
    const ws = await openWorkspace(dir);
    const model = modelFor(ws, server.url);
    try {
      const plan = await planFit(inputsOf(ws, model), { dryRun: true });
      assert.deepEqual(
        plan.ready.map((u) => u.id),
        ['ada', 'bruno'],
      );
      assert.deepEqual(plan.skipped, [{ user: 'tiny', reason: 'only 1 pairs: too small to split' }]);
      assert.deepEqual(plan.knobs, { k: 2, stopScore: 0.8, labeledDemos: 4 });
      const expected = planFitRequests(plan.ready.map(pairsBySplit), plan.prompts, {
        temperature: 0,
        seed: ws.split.seed,
        k: 2,
      });
      assert.equal(plan.requests.length, expected.length);
      assert.ok(plan.context && plan.context.numCtx >= 8192, 'Ollama context sized once for the run');
      const est = await estimateFit(plan);
      assert.equal(est.calls + est.cachedCalls, plan.requests.length);
      assert.ok(est.promptTokens > 0);
      assert.equal(server.stats.chat, 0, 'a plan and its estimate call nothing');
      await assert.rejects(planFit({ ...inputsOf(ws, model), users: [], where: 'empty' }), (err: unknown) => {
        assert.ok(err instanceof NothingToFitError);
        assert.equal((err as NothingToFitError).exitCode, 2);
        assert.match((err as Error).message, /^fit: no users in empty: no preference file there holds a pair$/);
        return true;
      });
    } finally {
      await model.dispose();
    }
  });

  test('a run writes the persona files the CLI writes, with the same calls', async () => {
    const viaCli = await serve({ brain });
    const viaJob = await serve({ brain });
    const a = workspace();
    const c = cli(a.dir);
    assert.equal(await c.run('fit', 'ws', '--all', '--k', '2', '--base-url', viaCli.url), 0, c.err());

    const b = workspace();
    const ws = await openWorkspace(b.ws);
    const model = modelFor(ws, viaJob.url);
    const progress: string[] = [];
    try {
      const plan = await planFit(inputsOf(ws, model));
      const result = await runFit(plan, {
        onProgress: (finished, total) => progress.push(`${finished}/${total}`),
        onFitted: (f) => progress.push(`fitted ${f.user}`),
      });
      assert.deepEqual(result.failed, []);
      assert.equal(result.users, 2);
      assert.deepEqual(result.fitted.map((f) => f.user).sort(), ['ada', 'bruno']);
      assert.equal(progress[0], '0/2');
      assert.equal(progress[progress.length - 1], '2/2');
      for (const user of ['ada', 'bruno']) {
        const path = join(b.ws, 'personas', `${user}.persona.yaml`);
        assert.equal(result.fitted.find((f) => f.user === user)!.path, path);
        assert.equal(timeless(path), timeless(join(a.ws, 'personas', `${user}.persona.yaml`)), `${user}'s persona`);
      }
      assert.equal(viaJob.stats.chat, viaCli.stats.chat, 'the same calls');
      assert.ok(viaJob.stats.chat > PAIRS_PER_USER, `${viaJob.stats.chat} calls`);
    } finally {
      await model.dispose();
    }
  });

  test('a cancel stops the calls in flight of every user, and starts no more', async () => {
    const server = await serve({ brain, latencyMs: 30_000 });
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const model = modelFor(ws, server.url, 64);
    try {
      const cancel = new AbortController();
      const plan = await planFit(inputsOf(ws, model));
      const run = runFit(plan, { signal: cancel.signal });
      run.catch(() => undefined);
      // Both users' fits have calls in flight (the server holds each for 30 s).
      await until('calls of both users in flight', () => {
        const users = new Set(server.chats.map((ch) => userOf(ch.request)));
        return users.has('ada') && users.has('bruno');
      });
      const t0 = Date.now();
      const inFlight = server.stats.inFlight;
      cancel.abort();
      await assert.rejects(run);
      await until('every call in flight aborted', () => server.stats.inFlight === 0, 5_000);
      assert.ok(Date.now() - t0 < 5_000, 'the cancel does not wait for the model');
      assert.ok(server.stats.clientAborts >= inFlight, `${server.stats.clientAborts} aborted of ${inFlight}`);
      const sent = server.stats.chat;
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(server.stats.chat, sent, 'no call after the cancel');
      assert.ok(!existsSync(join(dir, 'personas', 'ada.persona.yaml')));
    } finally {
      await model.dispose();
    }
  });

  test("the first fatal error (a refused key for bruno's calls) stops ada's fit in flight", async () => {
    // ada's calls hang; bruno's are refused (401): fatal, no later call could succeed.
    const server = await serve({
      brain,
      faultFor: (req) =>
        userOf(req) === 'bruno'
          ? [{ type: 'latency', ms: 300 }, { type: 'unauthorized' }]
          : { type: 'latency', ms: 30_000 },
    });
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const model = modelFor(ws, server.url, 64);
    try {
      const plan = await planFit(inputsOf(ws, model));
      const t0 = Date.now();
      await assert.rejects(runFit(plan), (err: { kind?: string }) => err.kind === 'auth');
      await until("ada's calls aborted", () => server.stats.inFlight === 0, 5_000);
      assert.ok(Date.now() - t0 < 5_000, `the siblings stopped at once (${Date.now() - t0} ms)`);
      assert.ok(server.stats.clientAborts > 0, "ada's calls were aborted, not left to run");
      assert.ok(!existsSync(join(dir, 'personas', 'ada.persona.yaml')));
    } finally {
      await model.dispose();
    }
  });
});
