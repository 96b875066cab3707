// The eval job of the engine (src/core/eval/eval-job.ts), which the CLI's eval and VS Code's Evaluate /
// Estimate Cost both call (issue 21): its plan (the prompts each method really sends) and estimate, the
// notes it gives, and a run that writes the run file the CLI writes, with the model's digest in its header.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { openWorkspace, pairsBySplit, type Workspace } from '../../src/core/workspace/open-workspace';
import { estimateEval, prepareEval, runEval, type EvalJobInputs } from '../../src/core/eval/eval-job';
import type { Method } from '../../src/core/method/methods';
import type { PersonaModel } from '../../src/core/method/persona-file';
import { cli, markerBrain, workspace } from './revalidate-fixture';

const MODEL = 'llama3.1:8b';
const DIGEST = 'sha256:0123456789abcdef';
const brain = markerBrain('Judge by brevity.');

function modelFor(ws: Workspace, url: string): Llm {
  return createLlm(
    { provider: 'ollama', baseUrls: [url], model: MODEL, concurrency: 8 },
    { cacheDir: ws.layout.cacheDir },
  );
}

function inputsOf(ws: Workspace, model: Llm, methods: Method[]): EvalJobInputs {
  const users = ws.index.users();
  return {
    layout: ws.layout,
    prompts: ws.prompts,
    users,
    methods,
    split: 'test',
    model,
    temperature: 0,
    seed: ws.split.seed,
  };
}

/** A run file's lines, the header and summary without their times, the verdicts in pair order (they are journaled as they arrive). */
function runLines(path: string): unknown[] {
  const lines = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) {
    delete l.created;
    delete l.completed;
  }
  const verdicts = lines.filter((l) => l.type === 'verdict');
  const key = (l: Record<string, unknown>) => `${String(l.userId)}/${String(l.pairId)}`;
  verdicts.sort((x, y) => key(x).localeCompare(key(y)));
  return [lines[0], ...verdicts, lines[lines.length - 1]];
}

function persona(userId: string, text: string): PersonaModel {
  return {
    userId,
    persona: text,
    demos: [],
    provenance: { provider: 'ollama', model: MODEL, seed: 0, temperature: 0, prompts: {}, created: '2026-01-01' },
  } as unknown as PersonaModel;
}

describe('the eval job', () => {
  const servers: LoopbackServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const serve = async () => {
    const s = await startLoopbackOllama({ models: [MODEL], brain, digests: { [MODEL]: DIGEST } });
    servers.push(s);
    return s;
  };

  test('plans the prompts every method sends, both orders of every target pair, and estimates them without a call', async () => {
    const server = await serve();
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const model = modelFor(ws, server.url);
    try {
      const p = await prepareEval(inputsOf(ws, model, ['default', 'memory']), { dryRun: true });
      const targets = ws.index.users().reduce((n, u) => n + pairsBySplit(u).test.length, 0);
      assert.ok(targets > 0);
      assert.equal(p.requests.length, 2 * 2 * targets, 'two methods, two orders');
      assert.deepEqual(
        p.users.map((u) => u.id),
        ['ada', 'bruno'],
      );
      assert.ok(p.context && p.context.numCtx >= 8192, "Ollama's context sized once for the run");
      const est = await estimateEval(p);
      assert.equal(est.calls + est.cachedCalls, p.requests.length);
      assert.equal(server.stats.chat, 0, 'nothing called');
    } finally {
      await model.dispose();
    }
  });

  test("a persona long enough to need a large context is noted; a persona method reads each user's persona", async () => {
    const server = await serve();
    const { ws: dir } = workspace();
    const ws = await openWorkspace(dir);
    const model = modelFor(ws, server.url);
    const notes: string[] = [];
    const read: string[] = [];
    try {
      const inputs: EvalJobInputs = {
        ...inputsOf(ws, model, ['persona']),
        readPersona: async (id) => {
          read.push(id);
          const text = id === 'ada' ? 'Likes it short. '.repeat(2000) : 'Likes it short.';
          return { model: persona(id, text), hash: `h-${id}`, path: `/w/personas/${id}.persona.yaml` };
        },
        display: (p) => p.replace('/w/', ''),
      };
      const p = await prepareEval(inputs, { dryRun: true, onNote: (m) => notes.push(m) });
      assert.deepEqual(read, ['ada', 'bruno']);
      assert.equal(notes.length, 1, notes.join('\n'));
      assert.match(notes[0]!, /^personas\/ada\.persona\.yaml: the persona is about [\d,]+ tokens long/);
      assert.equal(p.users[0]!.personaHash, 'h-ada');
      // The prompts planned are the ones the method sends: with each user's persona.
      assert.ok(p.requests.length > 0);
      assert.ok(p.requests.every((r) => JSON.stringify(r.messages).includes('Likes it short.')));
      // A method without a persona reads none.
      read.length = 0;
      await prepareEval({ ...inputs, methods: ['default'] }, { dryRun: true });
      assert.deepEqual(read, []);
    } finally {
      await model.dispose();
    }
  });

  test('a run writes the run file the CLI writes, the model digest in its header', async () => {
    const viaCli = await serve();
    const viaJob = await serve();
    const a = workspace();
    const c = cli(a.dir);
    assert.equal(await c.run('eval', 'ws', '--all', '--method', 'default', '--json', '--base-url', viaCli.url), 0);
    const cliRun = join(a.dir, c.json().run as string);

    const b = workspace();
    // Pairs are named from the workspace, whoever opens it and from wherever.
    const ws = await openWorkspace(b.ws);
    const model = modelFor(ws, viaJob.url);
    const progress: number[] = [];
    try {
      const p = await prepareEval(inputsOf(ws, model, ['default']));
      const { results } = await runEval(p, { onProgress: (_m, done) => progress.push(done) });
      assert.equal(results.length, 1);
      const r = results[0]!;
      assert.ok(r.complete && r.pairs > 0);
      assert.equal(progress[progress.length - 1], r.pairs);
      const mine = runLines(r.run);
      const theirs = runLines(cliRun);
      const header = mine[0] as { modelDigest?: string; baseUrl?: string };
      assert.equal(header.modelDigest, DIGEST, "the model's digest is recorded");
      // The servers differ only in their port.
      const port = (u: string) => u.replace(/:\d+/, ':PORT');
      header.baseUrl = port(header.baseUrl!);
      (theirs[0] as { baseUrl: string }).baseUrl = port((theirs[0] as { baseUrl: string }).baseUrl);
      assert.deepEqual(mine, theirs, 'the same header, verdicts and summary');
      assert.equal(r.run.slice(b.ws.length), cliRun.slice(a.ws.length), 'the same run file name');
      assert.equal(viaJob.stats.chat, viaCli.stats.chat, 'the same calls');
    } finally {
      await model.dispose();
    }
  });
});
