import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { createHash } from 'node:crypto';
import { startLoopbackBatch, type LoopbackBatchOptions, type LoopbackBatchServer } from '../support/loopback-batch';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { BatchChatModel, batchBody, customIdOf } from '../../src/core/llm/batch-api';
import { JUDGMENT_SCHEMA } from '../../src/core/method/schemas';
import { arenaJsonl, benchBrain } from './bench-fixtures';
import { cli } from './revalidate-fixture';

describe('OpenAI Batch API mode', () => {
  const options: LoopbackBatchOptions = {
    brain: benchBrain,
    models: ['classifier', 'j1', 'j2'],
    validatingMs: 10,
    inProgressMs: 20,
  };
  let api: LoopbackBatchServer;
  let online: LoopbackServer;
  const started = Promise.all([
    startLoopbackBatch(options).then((s) => (api = s)),
    startLoopbackOllama({ brain: benchBrain, models: ['classifier', 'j1', 'j2'] }).then((s) => (online = s)),
  ]);
  after(async () => {
    await api?.close();
    await online?.close();
  });

  const batchArgs = (out: string) => [
    'bench',
    'prepare',
    '--arena',
    'arena.jsonl',
    '--provider',
    'openai',
    '--base-url',
    api.url,
    '--model',
    'classifier',
    '--judges',
    'j1,j2',
    '--min-pairs',
    '3',
    '--batch',
    'openai',
    '--poll-seconds',
    '0.01',
    '--out',
    out,
    '--json',
  ];

  test('the loopback server speaks the protocol the openai package expects', async () => {
    await started;
    const client = new OpenAI({ baseURL: api.url, apiKey: 'x' });
    const model = new BatchChatModel('j1', {
      baseUrl: api.url,
      statePath: join(mkdtempSync(join(tmpdir(), 'sm-batch-')), 'state.json'),
      step: 'probe',
      pollMs: 5,
      client,
    });
    const request = {
      messages: [
        { role: 'user' as const, content: '<response_a>\nx (j1)\n</response_a>\n\n<response_b>\ny\n</response_b>' },
      ],
      schema: JUDGMENT_SCHEMA,
      temperature: 0,
    };
    const p1 = model.chat(request);
    const p2 = model.chat(request); // the same request: sent once, both answered
    const ghost = new BatchChatModel('ghost', {
      baseUrl: api.url,
      statePath: join(mkdtempSync(join(tmpdir(), 'sm-batch-')), 'state.json'),
      step: 'ghost',
      pollMs: 5,
      client,
    });
    const g = ghost.chat(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    await Promise.all([model.flush(), ghost.flush()]);
    const [a, b] = await Promise.all([p1, p2]);
    assert.deepEqual(a.json, { reasoning: 'picked A', preference: 'A' });
    assert.equal(b.text, a.text);
    assert.ok(a.usage.promptTokens > 0);
    assert.equal(((await g) as { kind?: string }).kind, 'not-found');
    assert.equal(model.counters.uploaded, 1);
    assert.equal(customIdOf('j1', request), customIdOf('j1', { ...request }));
    assert.notEqual(customIdOf('j1', request), customIdOf('j2', request));
  });

  test('an upload that finished before an interruption is reused, not sent again', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-batch-'));
    const statePath = join(dir, 'state.json');
    const client = new OpenAI({ baseURL: api.url, apiKey: 'x' });
    const request = {
      messages: [
        { role: 'user' as const, content: '<response_a>\nx\n</response_a>\n\n<response_b>\ny (j2)\n</response_b>' },
      ],
      schema: JUDGMENT_SCHEMA,
      temperature: 0,
    };
    // A first run uploaded its file and stopped before creating the batch: its state says so.
    const id = customIdOf('j2', request);
    const line =
      JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: batchBody('j2', request) }) +
      '\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(line), 'input.jsonl'), purpose: 'batch' });
    const inputHash = createHash('sha256').update(id).digest('hex').slice(0, 16);
    writeFileSync(
      statePath,
      JSON.stringify({ version: 1, steps: { s: { inputHash, requests: 1, inputFileId: file.id } } }),
    );
    const uploads = api.stats.uploads;
    const batches = api.stats.batchesCreated;
    const model = new BatchChatModel('j2', { baseUrl: api.url, statePath, step: 's', pollMs: 5, client });
    const r = model.chat(request);
    await model.flush();
    assert.equal(((await r).json as { preference: string }).preference, 'B');
    assert.equal(api.stats.uploads, uploads, 'not uploaded again');
    assert.equal(api.stats.batchesCreated, batches + 1);
    const state = JSON.parse(readFileSync(statePath, 'utf8')).steps.s;
    assert.equal(state.inputFileId, file.id);
    assert.equal(state.status, 'completed');
  });

  test('prepare --batch gives the same output as online calls; a re-run uses the saved output', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-batch-'));
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    const on = cli(dir);
    assert.equal(
      await on.call(
        'bench',
        'prepare',
        '--arena',
        'arena.jsonl',
        '--base-url',
        online.url,
        '--model',
        'classifier',
        '--judges',
        'j1,j2',
        '--min-pairs',
        '3',
        '--out',
        'online.prefs.jsonl',
        '--json',
      ),
      0,
      on.err(),
    );
    const before = { ...api.stats };
    const c = cli(dir);
    assert.equal(await c.call(...batchArgs('batch.prefs.jsonl')), 0, c.err());
    const r = JSON.parse(c.out());
    assert.equal(api.stats.batchesCreated - before.batchesCreated, 3, 'one batch per step: classifier, j1, j2');
    assert.equal(api.stats.uploads - before.uploads, 3);
    assert.equal(api.stats.lines - before.lines, 22 + 36 + 36);
    assert.equal(r.calls, 0, 'no online call');
    const strip = (t: string) =>
      t
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .map((x) => ({ ...x, meta: { ...x.meta, personalizable: { ...x.meta.personalizable, model: undefined } } }));
    assert.deepEqual(
      strip(readFileSync(join(dir, 'batch.prefs.jsonl'), 'utf8')),
      strip(readFileSync(join(dir, 'online.prefs.jsonl'), 'utf8')),
    );
    const state = JSON.parse(readFileSync(join(dir, 'batch.prefs.jsonl.batch.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.steps).sort(), ['judge-j1', 'judge-j2', 'personalizable']);
    assert.ok(Object.values(state.steps).every((s) => (s as { status: string }).status === 'completed'));

    const mid = { ...api.stats };
    const again = cli(dir);
    assert.equal(await again.call(...batchArgs('batch.prefs.jsonl'), '--force'), 0, again.err());
    assert.deepEqual(api.stats, mid, 'the re-run made no API call');
    assert.equal(
      JSON.parse(again.out()).batches.reduce((n: number, b: { fromSavedOutput: number }) => n + b.fromSavedOutput, 0),
      22 + 36 + 36,
    );
  });

  test('an interrupted run resumes polling the same batch', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-batch-'));
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    options.inProgressMs = 60_000;
    const before = { ...api.stats };
    const controller = new AbortController();
    const stopper = setInterval(() => {
      if (api.stats.retrieves > before.retrieves + 2) controller.abort(new Error('interrupted'));
    }, 5);
    const c = cli(dir, { signal: controller.signal });
    await assert.rejects(c.call(...batchArgs('r.prefs.jsonl')));
    clearInterval(stopper);
    assert.match(c.err(), /run the same command again to resume/);
    const state = JSON.parse(readFileSync(join(dir, 'r.prefs.jsonl.batch.json'), 'utf8'));
    const batchId = state.steps.personalizable.batchId;
    assert.ok(batchId);
    assert.equal(api.stats.batchesCreated - before.batchesCreated, 1);
    assert.ok(!existsSync(join(dir, 'r.prefs.jsonl')));
    options.inProgressMs = 20;
    const again = cli(dir);
    assert.equal(await again.call(...batchArgs('r.prefs.jsonl')), 0, again.err());
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'r.prefs.jsonl.batch.json'), 'utf8')).steps.personalizable.batchId,
      batchId,
    );
    assert.equal(api.stats.batchesCreated - before.batchesCreated, 3, 'the classifier batch was not submitted again');
    assert.equal(JSON.parse(again.out()).records, 12);
  });

  test('a failed batch fails the run with the reason; --batch needs the openai provider', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-batch-'));
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    options.failBatches = true;
    try {
      await assert.rejects(cli(dir).call(...batchArgs('f.prefs.jsonl')), /ended failed: the batch failed/);
    } finally {
      options.failBatches = false;
    }
    await assert.rejects(
      cli(dir).call(
        'bench',
        'prepare',
        '--arena',
        'arena.jsonl',
        '--base-url',
        online.url,
        '--batch',
        'openai',
        '--out',
        'x.prefs.jsonl',
      ),
      /--batch needs an OpenAI-compatible server/,
    );
  });
});
