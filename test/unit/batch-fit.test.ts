// The whole method through batch files (issue 25, item 1): `fit --all --batch files` writes one OpenAI batch input
// file per stage and exits 3; a loopback `vllm run-batch` answers each; the same command goes on stage by stage and
// ends as a live fit would, with the same personas. Failed and missing output lines are failed calls, written again;
// `--batch openai` does the same through the loopback Batch API, an expired batch and failed lines included.
// A simulation: it proves the plumbing (stages, ids, resume, cache), not any accuracy.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOpenAI, type LoopbackServer } from '../support/loopback-openai';
import { runBatchFile, startLoopbackBatch, type LoopbackBatchServer } from '../support/loopback-batch';
import { simulatedBrain } from '../support/simulated-brain';
import { adaptBrain } from '../support/brain-adapter';
import { parsePersona } from '../../src/core/method/persona-file';
import { cli } from './revalidate-fixture';

// Tests run from the project's root (test/run-tests.mjs).
const EXAMPLE = join(process.cwd(), 'examples', 'workspace');
const MODEL = 'sim-8b';
const brain = adaptBrain(simulatedBrain());

function copyExample(root: string, name: string): string {
  const ws = join(root, name);
  cpSync(EXAMPLE, ws, { recursive: true });
  return ws;
}

/** Each user's persona and chosen demonstrations: what a fit decided (its provenance's dates and counts aside). */
function personas(ws: string): Record<string, unknown> {
  const dir = join(ws, 'personas');
  const out: Record<string, unknown> = {};
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.persona.yaml'))
    .sort()) {
    const p = parsePersona(readFileSync(join(dir, f), 'utf8'), f);
    out[f] = { persona: p.persona, demos: p.demos.map((d) => [d.pairId, d.order, d.preference, d.reasoning]) };
  }
  return out;
}

/** A describe block's temporary folder and loopback OpenAI-compatible server (closeRootAndServer ends both). */
async function rootAndServer(prefix: string): Promise<{ root: string; server: LoopbackServer }> {
  return { root: mkdtempSync(join(tmpdir(), prefix)), server: await startLoopbackOpenAI({ brain, models: [MODEL] }) };
}

async function closeRootAndServer(root: string, server: LoopbackServer | undefined): Promise<void> {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
}

interface Waiting {
  batch: { stage: string; input: string; output: string; requests: number; written: boolean; failedLines: number };
  waiting: string[];
  failed: { user: string }[];
}

describe('fit --all --batch files', () => {
  let root: string;
  let server: LoopbackServer;
  let live: Record<string, unknown>;

  before(async () => {
    ({ root, server } = await rootAndServer('sm-batch-fit-'));
    const ws = copyExample(root, 'live');
    const c = cli(root);
    const code = await c.run('fit', 'live', '--all', ...serverArgs());
    assert.equal(code, 0, c.err());
    live = personas(ws);
    assert.ok(Object.keys(live).length >= 2, 'the live fit wrote personas');
  });
  after(() => closeRootAndServer(root, server));

  /** The loopback OpenAI server and model every command of these tests names (a batch run never calls it). */
  const serverArgs = () => ['--provider', 'openai', '--base-url', server.url, '--model', MODEL];

  /** One command of a batch fit, with the server named but never to be called. */
  async function batchFit(name: string, dir: string, ...extra: string[]) {
    const c = cli(root);
    const code = await c.run(
      'fit',
      name,
      '--all',
      '--json',
      ...serverArgs(),
      '--batch',
      'files',
      '--batch-dir',
      dir,
      ...extra,
    );
    return { code, c };
  }

  test('stage by stage to the live fit’s personas, no server call, each stage file in the OpenAI batch format', async () => {
    const ws = copyExample(root, 'files');
    const dir = join(root, 'files-batches');
    server.reset();
    const stages: string[] = [];
    for (let round = 1; ; round++) {
      assert.ok(round <= 12, `the fit ends within 12 stages (stages so far: ${stages.join(', ')})`);
      const { code, c } = await batchFit('files', dir);
      if (code === 0) break;
      assert.equal(code, 3, `a waiting stage exits 3: ${c.err()}`);
      const w = c.json() as unknown as Waiting;
      assert.ok(c.err().includes(`vllm run-batch -i`), 'says how to run the stage');
      assert.equal(w.failed.length, 0, `no user failed: ${JSON.stringify(w.failed)}`);
      stages.push(w.batch.stage);
      // The input lines are what vllm run-batch and the Batch API read.
      const lines = readFileSync(w.batch.input, 'utf8').trim().split('\n');
      assert.equal(lines.length, w.batch.requests);
      for (const line of lines) {
        const l = JSON.parse(line) as { custom_id: string; method: string; url: string; body: { model: string } };
        assert.equal(l.method, 'POST');
        assert.equal(l.url, '/v1/chat/completions');
        assert.equal(l.body.model, MODEL);
        assert.match(l.custom_id, /^fit:[^:]+:[^:]+:[^:]+:[0-9a-f]{20}$/, 'job, user, purpose, pair.order and hash');
      }
      const ids = lines.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
      assert.equal(new Set(ids).size, ids.length, 'one line per request');
      // The same command again before the output exists: the stage still waits, the file is not rewritten.
      if (round === 1) {
        const again = await batchFit('files', dir);
        assert.equal(again.code, 3);
        assert.equal((again.c.json() as unknown as Waiting).batch.written, false);
      }
      await runBatchFile(w.batch.input, w.batch.output, brain, { shuffle: true });
    }
    assert.equal(server.stats.chat, 0, 'the batch fit never called the server');
    assert.deepEqual(stages.slice(0, 3), ['fit-bootstrap', 'fit-select', 'fit-persona-synthesis']);
    assert.ok(stages.includes('fit-bootstrap-persona') && stages.includes('fit-select-persona'), stages.join(', '));
    assert.deepEqual(personas(ws), live, 'the same personas and demonstrations as the live fit');

    // Live and batch runs share the cache: a live fit over the batch run's cache asks the server nothing.
    server.reset();
    const c = cli(root);
    const code = await c.run('fit', 'files', '--all', ...serverArgs());
    assert.equal(code, 0, c.err());
    assert.equal(server.chats.length, 0, 'every call of the live fit came from the batch answers in the cache');
    assert.deepEqual(personas(ws), live);
  });

  test('failed and missing output lines are failed calls, written again to a numbered stage; the rest goes on', async () => {
    copyExample(root, 'faults');
    const dir = join(root, 'faults-batches');
    const first = await batchFit('faults', dir);
    assert.equal(first.code, 3, first.c.err());
    const w = first.c.json() as unknown as Waiting;
    const ids = readFileSync(w.batch.input, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
    const broken = ids[0]!;
    const lost = ids[1]!;
    await runBatchFile(w.batch.input, w.batch.output, brain, {
      lineFault: (id) => (id === broken ? 'error' : id === lost ? 'drop' : undefined),
    });
    const second = await batchFit('faults', dir);
    assert.equal(second.code, 3, second.c.err());
    const w2 = second.c.json() as unknown as Waiting;
    assert.equal(w2.batch.failedLines, 1, 'one line failed in the output (the other was missing)');
    assert.match(second.c.err(), /1 request\(s\) failed in the batch output.*injected/);
    const again = readFileSync(w2.batch.input, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
    const bootstrapAgain = again.filter((id) => id.split(':')[2] === 'bootstrap').sort();
    // The users whose bootstrap was whole went on to their selection; the failed and the missing call are asked again.
    assert.deepEqual(bootstrapAgain, [broken, lost].sort(), 'of the bootstrap, only what failed or was missing');
    assert.ok(
      again.some((id) => id.split(':')[2] === 'select'),
      'the others went on',
    );
    await runBatchFile(w2.batch.input, w2.batch.output, brain);
    // From here the stages go on as before.
    const third = await batchFit('faults', dir);
    assert.equal(third.code, 3, third.c.err());
    assert.equal((third.c.json() as unknown as Waiting).batch.failedLines, 0);
  });

  test('the default batch folder is the workspace’s: a link planted there that leads out is refused', async () => {
    const ws = copyExample(root, 'planted');
    const outside = join(root, 'outside');
    mkdirSync(outside);
    mkdirSync(join(ws, '.synthesizeme'), { recursive: true });
    symlinkSync(outside, join(ws, '.synthesizeme', 'batch'));
    const c = cli(root);
    const code = await c.run(
      'fit',
      'planted',
      '--all',
      '--batch',
      'openai',
      '--base-url',
      server.url,
      '--model',
      MODEL,
    );
    assert.equal(code, 2, c.err());
    assert.match(c.err(), /refusing/);
    assert.deepEqual(readdirSync(outside), [], 'nothing written outside the workspace');
  });

  test('bad options are usage errors', async () => {
    copyExample(root, 'bad');
    const c = cli(root);
    assert.equal(await c.run('fit', 'bad', '--all', '--batch', 'files'), 2);
    assert.match(c.err(), /--batch-dir/);
    const d = cli(root);
    assert.equal(await d.run('fit', 'bad', '--all', '--batch', 'vllm', '--batch-dir', 'x'), 2);
    assert.match(d.err(), /expected files or openai/);
  });

  test('the dry run gives the stages with their calls and tokens', async () => {
    copyExample(root, 'dry');
    const c = cli(root);
    const code = await c.run(
      'fit',
      'dry',
      '--all',
      '--dry-run',
      '--batch',
      'files',
      '--batch-dir',
      join(root, 'dry-b'),
    );
    assert.equal(code, 0, c.err());
    assert.match(c.out(), /Batch stages/);
    assert.match(c.out(), /fit-bootstrap: \d+ call\(s\), \d+ prompt \+ \d+ completion tokens/);
    assert.ok(!existsSync(join(root, 'dry-b', 'fit-bootstrap.input.jsonl')), 'a dry run writes no stage');
  });
});

describe('fit --all --batch openai', () => {
  let root: string;
  let api: LoopbackBatchServer;
  let server: LoopbackServer;

  before(async () => ({ root, server } = await rootAndServer('sm-batch-api-')));
  after(async () => {
    await api?.close();
    await closeRootAndServer(root, server);
  });

  test('each stage submitted, polled and read back; an expired batch and failed lines are resubmitted by the next run', async () => {
    const liveWs = copyExample(root, 'live');
    const lc = cli(root);
    assert.equal(
      await lc.run('fit', 'live', '--all', '--provider', 'openai', '--base-url', server.url, '--model', MODEL),
      0,
      lc.err(),
    );
    // Read by the server as each batch completes: the first one expires after 3 lines.
    const apiOptions: Parameters<typeof startLoopbackBatch>[0] = {
      brain,
      validatingMs: 5,
      inProgressMs: 5,
      expireAfter: 3,
    };
    api = await startLoopbackBatch(apiOptions);
    const ws = copyExample(root, 'api');
    const dir = join(root, 'api-batches');
    const run = async () => {
      const c = cli(root);
      const code = await c.run(
        'fit',
        'api',
        '--all',
        '--json',
        '--base-url',
        api.url,
        '--model',
        MODEL,
        '--batch',
        'openai',
        '--batch-dir',
        dir,
        '--poll-seconds',
        '1',
      );
      return { code, c };
    };
    const first = await run();
    const batches = api.stats.batchesCreated;
    assert.equal(first.code, 3, first.c.err());
    const w = first.c.json() as unknown as Waiting;
    assert.ok(w.batch.failedLines > 0, 'the expired lines are failed calls');
    assert.equal(batches, 1, 'the lines an expired batch did not reach are not resubmitted in the same run');
    assert.match(first.c.err(), /batch_expired/);
    delete apiOptions.expireAfter;
    const second = await run();
    assert.equal(second.code, 0, second.c.err());
    assert.ok(api.stats.batchesCreated >= batches + 4, `one batch per later stage (${api.stats.batchesCreated})`);
    assert.deepEqual(personas(ws), personas(liveWs), 'the same personas as the live fit');
  });
});

describe('eval --batch files', () => {
  let root: string;
  let server: LoopbackServer;

  before(async () => ({ root, server } = await rootAndServer('sm-batch-eval-')));
  after(() => closeRootAndServer(root, server));

  test('both methods, three samples each, in one stage; the figures are the live eval’s', async () => {
    copyExample(root, 'live');
    const model = ['--provider', 'openai', '--base-url', server.url, '--model', MODEL];
    const fit = cli(root);
    assert.equal(await fit.run('fit', 'live', '--all', ...model), 0, fit.err());
    // The same personas in a second workspace: one evaluated live, the other through batch files.
    cpSync(join(root, 'live'), join(root, 'batched'), { recursive: true });
    rmSync(join(root, 'batched', '.synthesizeme', 'cache'), { recursive: true, force: true });
    const evalArgs = ['--all', '--method', 'default,persona+demos', '--samples', '3', '--json', ...model];
    const liveEval = cli(root);
    assert.equal(await liveEval.run('eval', 'live', ...evalArgs), 0, liveEval.err());
    server.reset();
    const dir = join(root, 'eval-batches');
    const first = cli(root);
    assert.equal(
      await first.run('eval', 'batched', ...evalArgs, '--batch', 'files', '--batch-dir', dir),
      3,
      first.err(),
    );
    const w = (first.json() as unknown as Waiting).batch;
    assert.equal(w.stage, 'eval-judge');
    const ids = readFileSync(w.input, 'utf8').trim().split('\n');
    assert.ok(
      ids.some((l) => /\.s2:/.test(l)),
      'each sample is a line of its own',
    );
    await runBatchFile(w.input, w.output, brain, { shuffle: true });
    const second = cli(root);
    assert.equal(
      await second.run('eval', 'batched', ...evalArgs, '--batch', 'files', '--batch-dir', dir),
      0,
      second.err(),
    );
    assert.equal(server.stats.chat, 0, 'no server call');
    const figures = (c: ReturnType<typeof cli>) =>
      (c.json().results as { method: string; accuracy: number; pairs: number; complete: boolean }[]).map((r) => [
        r.method,
        r.accuracy,
        r.pairs,
        r.complete,
      ]);
    assert.deepEqual(figures(second), figures(liveEval));
    assert.ok(
      figures(second).every((f) => f[3] === true),
      'complete runs',
    );
  });

  test('a reward-model method is refused with --batch, before any call', async () => {
    copyExample(root, 'rm');
    const c = cli(root);
    const code = await c.run('eval', 'rm', '--all', '--method', 'reward-model', '--batch', 'files', '--batch-dir', 'x');
    assert.equal(code, 2);
    assert.match(c.err(), /reward-model methods score through the reward server/);
  });
});

describe('bench run --batch files', () => {
  let root: string;
  let server: LoopbackServer;

  before(async () => ({ root, server } = await rootAndServer('sm-batch-bench-')));
  after(() => closeRootAndServer(root, server));

  test('the benchmark’s fits and evaluations stage by stage, to the live benchmark’s cells', async () => {
    copyExample(root, 'live');
    copyExample(root, 'batched');
    const args = ['--methods', 'default,persona+demos', '--all', '--json', '--provider', 'openai', '--model', MODEL];
    const live = cli(root);
    assert.equal(await live.run('bench', 'run', 'live', ...args, '--base-url', server.url), 0, live.err());
    server.reset();
    const dir = join(root, 'bench-batches');
    let done: ReturnType<typeof cli> | undefined;
    for (let round = 1; !done; round++) {
      assert.ok(round <= 12, 'the benchmark ends within 12 stages');
      const c = cli(root);
      const code = await c.run(
        'bench',
        'run',
        'batched',
        ...args,
        '--base-url',
        server.url,
        '--batch',
        'files',
        '--batch-dir',
        dir,
      );
      if (code === 0) done = c;
      else {
        assert.equal(code, 3, c.err());
        const w = (c.json() as unknown as Waiting).batch;
        await runBatchFile(w.input, w.output, brain);
      }
    }
    assert.equal(server.stats.chat, 0, 'no server call');
    const cells = (c: ReturnType<typeof cli>) =>
      (c.json().cells as { method: string; accuracy: number; pairs: number; complete: boolean }[]).map((x) => [
        x.method,
        x.accuracy,
        x.pairs,
        x.complete,
      ]);
    assert.deepEqual(cells(done), cells(live));
  });

  test('one model at a time', async () => {
    copyExample(root, 'two');
    const c = cli(root);
    const code = await c.run(
      'bench',
      'run',
      'two',
      '--models',
      'a,b',
      '--batch',
      'files',
      '--batch-dir',
      join(root, 'x'),
    );
    assert.equal(code, 2);
    assert.match(c.err(), /one model at a time/);
  });
});
