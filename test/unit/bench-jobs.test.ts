// The engine's bench, classify and import jobs (src/core/bench/*-job.ts, src/core/data/importers/import-job.ts),
// called as the CLI and VS Code call them: their plan figures, a run against the loopback Ollama, and a cancel.
// Then the work pool under the prepare steps and the bench fits: a fatal error stops the calls in flight.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { createLlm, type Llm } from '../../src/core/llm';
import {
  estimateBench,
  estimateBenchData,
  estimateClassify,
  estimateScaling,
  prepareBench,
  prepareBenchData,
  prepareClassify,
  prepareScaling,
  runBench,
  runBenchData,
  runClassify,
  runScaling,
} from '../../src/core/bench';
import { prepareImport, runImport } from '../../src/core/data';
import { openWorkspace } from '../../src/core/workspace';
import { preparePipeline } from '../../src/core/bench/prepare';
import { fitAndStore } from '../../src/core/bench/fit-store';
import { DEFAULT_PROMPTS } from '../../src/core/method';
import { LlmError } from '../../src/core/llm/errors';
import type { ChatModel, ChatRequest, ChatResult } from '../../src/core/llm/types';
import { allowWritesUnder } from '../../src/core/write-guard';
import { arenaJsonl, benchBrain } from './bench-fixtures';

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sm-jobs-'));
  allowWritesUnder(dir);
  return dir;
}

/** A brain that answers as benchBrain, or holds every call until released while `hold` is set. */
function holdingBrain() {
  const state = { hold: false, held: 0, release: () => {} };
  let gate = Promise.resolve();
  return {
    state,
    block() {
      state.hold = true;
      gate = new Promise<void>((r) => (state.release = r));
    },
    brain: async (req: BrainRequest) => {
      if (state.hold) {
        state.held++;
        await gate;
      }
      return benchBrain(req);
    },
  };
}

describe('engine jobs against a loopback Ollama', () => {
  let server: LoopbackServer;
  const holding = holdingBrain();
  const started = startLoopbackOllama({ brain: holding.brain, models: ['m1', 'classifier', 'j1'] }).then(
    (s) => (server = s),
  );
  const models: Llm[] = [];
  const llm = (model: string, dir: string) => {
    const l = createLlm({ provider: 'ollama', baseUrls: [server.url], model }, { cacheDir: join(dir, 'cache') });
    models.push(l);
    return l;
  };
  after(async () => {
    holding.state.release();
    for (const m of models) await m.dispose();
    await server?.close();
  });

  test('bench prepare: the plan counts the calls, the run writes the data set and the report, a cancel stops it', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    const classifier = llm('classifier', dir);
    const inputs = {
      input: { kind: 'arena' as const, files: [join(dir, 'arena.jsonl')] },
      out: join(dir, 'out.prefs.jsonl'),
      reportFile: join(dir, 'out.report.md'),
      minPairs: 3,
      // One judge agrees 0% or 100% with each pair (bench-fixtures.ts): keep them all.
      agreement: [0, 1] as [number, number],
      splits: [50, 20, 30] as [number, number, number],
      seed: 0,
      temperature: 0,
      classifier,
      judges: [llm('j1', dir)],
    };
    const problems: unknown[] = [];
    const plan = await prepareBenchData(inputs, { onProblems: (p) => problems.push(...p) });
    assert.ok(problems.length > 0, 'the malformed rows are reported');
    assert.deepEqual(estimateBenchData(plan), { rawPairs: 24, classifierCalls: 22, judgeCallsAtMost: 44 });
    const steps: string[] = [];
    const outcome = await runBenchData(plan, { onProgress: (step) => steps.push(step) });
    assert.ok(steps.includes('personalizable') && steps.includes('judges'));
    assert.ok(outcome.written && outcome.written.records > 0);
    assert.equal(readFileSync(inputs.out, 'utf8').trim().split('\n').length, outcome.written.records);
    assert.match(readFileSync(inputs.reportFile, 'utf8'), /^# PersonalRewardBench preparation: Chatbot Arena/);
    assert.ok(outcome.calls > 0);
    // An existing output is refused unless the caller allows replacing it.
    await assert.rejects(prepareBenchData(inputs), /exists/);
    // Cancelled while its calls are held: the run stops, nothing more is sent, nothing is written.
    const out2 = join(dir, 'cancelled.prefs.jsonl');
    const fresh = { ...inputs, out: out2, classifier: llm('classifier', join(dir, 'nocache')), judges: [] };
    const plan2 = await prepareBenchData({ ...fresh, reportFile: join(dir, 'cancelled.md') });
    holding.block();
    const cancel = new AbortController();
    const run = runBenchData(plan2, { signal: cancel.signal });
    while (holding.state.held === 0) await new Promise((r) => setTimeout(r, 10));
    cancel.abort();
    await assert.rejects(run);
    const sent = server.stats.chat;
    holding.state.hold = false;
    holding.state.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.stats.chat, sent, 'no call after the cancel');
    assert.equal(existsSync(out2), false);
  });

  test('bench run and scaling: plan bounds, a run with its table and chart files, a cancel stops the fits', async () => {
    await started;
    const dir = tmp();
    cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
    const ws = await openWorkspace(join(dir, 'ws'), { named: true });
    const m1 = createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'm1' }, { cacheDir: ws.layout.cacheDir });
    models.push(m1);
    const job = {
      layout: ws.layout,
      prompts: ws.prompts,
      users: ws.index.users(),
      seed: ws.split.seed,
      temperature: 0,
      k: 1,
      stopScore: 0.8,
    };
    assert.throws(() => prepareBench({ ...job, users: [], methods: ['default'], models: [m1] }), /no users/);
    const plan = prepareBench({
      ...job,
      methods: ['default', 'persona+demos'],
      models: [m1],
      reportFile: join(dir, 'run.md'),
    });
    const est = estimateBench(plan);
    assert.equal(est.users, 4);
    assert.ok(est.fitCallsAtMost > 0 && est.evalCalls > 0);
    assert.equal(existsSync(join(ws.layout.promptDir, 'judge.prompt.md')), false, 'the plan writes nothing');
    const outcome = await runBench(plan);
    assert.equal(outcome.result.cells.length, 2);
    assert.ok(outcome.calls > 0 && !outcome.empty && outcome.incomplete === undefined);
    assert.match(readFileSync(join(dir, 'run.md'), 'utf8'), /persona\+demos vs default/);

    const scalingPlan = await prepareScaling({ ...job, sizes: [2, 1, 2], model: m1 });
    assert.deepEqual(scalingPlan.sizes, [1, 2]);
    assert.match(scalingPlan.svgFile, /[\\/]\.synthesizeme[\\/]bench[\\/]scaling-m1\.svg$/);
    assert.ok(estimateScaling(scalingPlan).fitCallsAtMost > 0);
    await assert.rejects(prepareScaling({ ...job, sizes: [0], model: m1 }), /positive integers/);
    const s = await runScaling(scalingPlan);
    assert.deepEqual(
      s.result.points.map((p) => p.size),
      [1, 2],
    );
    assert.ok(readFileSync(s.svgFile, 'utf8').startsWith('<svg'));
    assert.equal(JSON.parse(readFileSync(s.jsonFile, 'utf8')).points.length, 2);

    // A cancel while the fits of a new size are held: the run rejects and sends nothing more.
    const uncached = createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'm1' }, {});
    models.push(uncached);
    const plan3 = await prepareScaling({ ...job, sizes: [3], model: uncached, svgFile: join(dir, 'c.svg') });
    holding.block();
    const cancel = new AbortController();
    const run = runScaling(plan3, { signal: cancel.signal });
    while (holding.state.held === 0) await new Promise((r) => setTimeout(r, 10));
    cancel.abort();
    await assert.rejects(run);
    const sent = server.stats.chat;
    holding.state.hold = false;
    holding.state.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.stats.chat, sent, 'no call after the cancel');
    assert.equal(existsSync(join(dir, 'c.svg')), false);
  });

  test('classify: a file or an editor text, its estimate, the run with its report, a cancel', async () => {
    await started;
    const dir = tmp();
    const file = join(dir, 'pairs.prefs.jsonl');
    cpSync('examples/workspace/ada.prefs.jsonl', file);
    const model = llm('classifier', dir);
    const base = { model, instructions: DEFAULT_PROMPTS.personalizable, temperature: 0, seed: 0 };
    const plan = await prepareClassify({
      ...base,
      source: { path: file, display: 'pairs.prefs.jsonl' },
      reportFile: join(dir, 'r.md'),
    });
    const est = await estimateClassify(plan);
    assert.equal(est.calls + est.cachedCalls, plan.pairs.length);
    const done: number[] = [];
    const outcome = await runClassify(plan, { onProgress: (d) => done.push(d) });
    assert.equal(outcome.pairs, plan.pairs.length);
    assert.equal(done.length, plan.pairs.length);
    assert.equal(outcome.personalizable + outcome.notPersonalizable + outcome.unlabelled, outcome.pairs);
    assert.equal(outcome.usage.calls + outcome.usage.cacheHits, outcome.pairs);
    assert.match(readFileSync(join(dir, 'r.md'), 'utf8'), /^# Personalizable pairs: pairs\.prefs\.jsonl/);
    // The editor's text (unsaved), not the file's.
    const text = readFileSync(file, 'utf8').split('\n')[0]! + '\n';
    const edited = await prepareClassify({ ...base, source: { path: file, display: 'x', text } });
    assert.equal(edited.pairs.length, 1);
    await assert.rejects(
      prepareClassify({ ...base, source: { path: file, display: 'pairs.prefs.jsonl', text: '' }, command: 'classify' }),
      /^UserError: classify: no valid preference pair in pairs\.prefs\.jsonl$/,
    );
    const uncached = createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'classifier' }, {});
    models.push(uncached);
    holding.block();
    const cancel = new AbortController();
    const run = runClassify({ ...plan, inputs: { ...plan.inputs, model: uncached } }, { signal: cancel.signal });
    while (holding.state.held === 0) await new Promise((r) => setTimeout(r, 10));
    cancel.abort();
    await assert.rejects(run);
    holding.state.hold = false;
    holding.state.release();
  });
});

test('import: the plan checks source, inputs and output; the run writes a new file, never an empty one', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
  const out = join(dir, 'a.prefs.jsonl');
  await assert.rejects(prepareImport({ from: 'nope', files: [join(dir, 'arena.jsonl')], out }), /--from must be/);
  const plan = await prepareImport({ from: 'arena', files: [join(dir, 'arena.jsonl')], out, command: 'import' });
  const r = await runImport(plan);
  assert.equal(r.written.records, 24);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 24);
  await assert.rejects(prepareImport({ from: 'arena', files: [join(dir, 'arena.jsonl')], out }), /exists/);
  writeFileSync(join(dir, 'empty.jsonl'), '');
  const empty = await prepareImport({ from: 'arena', files: [join(dir, 'empty.jsonl')], out: join(dir, 'e.jsonl') });
  await assert.rejects(runImport(empty), /nothing was written/);
  assert.equal(existsSync(join(dir, 'e.jsonl')), false);
});

/** A model whose calls wait until aborted, except the one that fails at once with a fatal error. */
class FailingModel implements ChatModel {
  readonly provider = 'ollama' as const;
  started = 0;
  aborted = 0;
  constructor(
    readonly model: string,
    private readonly failOn: number,
  ) {}

  chat(_request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const n = ++this.started;
    if (n === this.failOn)
      return new Promise((_, reject) =>
        setTimeout(() => reject(new LlmError('connection', 'the server went away', { retryable: false })), 20),
      );
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => {
        this.aborted++;
        reject(new LlmError('aborted', 'cancelled'));
      });
    });
  }
}

describe('the work pool under the engine jobs', () => {
  test('prepare: a fatal classifier error stops the calls in flight and starts no more', async () => {
    const records = JSON.parse(`[${arenaRecords()}]`);
    const model = new FailingModel('c', 3);
    await assert.rejects(
      preparePipeline(records, {
        minPairs: 1,
        agreement: [0, 1],
        splits: [50, 20, 30],
        seed: 0,
        temperature: 0,
        classifier: model,
        classifierPrompt: 'Classify.',
        judges: [],
        judgePrompt: 'Judge.',
      }),
      /the server went away/,
    );
    // Every call was started at once (the window is larger); all but the failed one were aborted.
    assert.equal(model.aborted, model.started - 1);
  });

  test('bench fits: a fatal error in one user stops the users in flight and starts no more', async () => {
    const dir = tmp();
    const pair = (u: string, i: number) => ({
      userId: u,
      pairId: `${u}-${i}`,
      context: [{ role: 'user', content: `q${i}` }],
      chosen: { role: 'assistant', content: 'a' },
      rejected: { role: 'assistant', content: 'b' },
      source: { file: 'f', line: i, column: 1, endLine: i, endColumn: 1 },
    });
    const tasks = ['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => ({
      userId: u,
      context: [pair(u, 1), pair(u, 2)],
      validation: [pair(u, 3)],
    }));
    const model = new FailingModel('m', 1);
    const prompt = (name: string) => ({ name, text: 'x', hash: `sha256:${name}` });
    await assert.rejects(
      fitAndStore(tasks as never, {
        dir,
        model,
        prompts: {
          bootstrap: prompt('bootstrap'),
          personaSynthesis: prompt('persona-synthesis'),
          judge: prompt('judge'),
        } as never,
        temperature: 0,
        seed: 0,
        k: 1,
        stopScore: 0.8,
        parallel: 2,
      }),
      /the server went away/,
    );
    await new Promise((r) => setTimeout(r, 50));
    // Two users in flight: the failing one and its sibling, whose call was aborted; no third user started.
    assert.equal(model.aborted, model.started - 1);
    assert.ok(model.started <= 2 * 2, `${model.started} calls started`);
  });
});

function arenaRecords(): string {
  return Array.from({ length: 8 }, (_, i) =>
    JSON.stringify({
      user_id: `u${i % 2}`,
      pair_id: `p${i}`,
      context: [{ role: 'user', content: `q${i}` }],
      chosen: 'a',
      rejected: 'b',
    }),
  ).join(',');
}
