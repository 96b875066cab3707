// One writer per run. Two `synthesizeme eval` on the same run used to judge every pair twice (twice the
// calls) and journal every verdict twice. Now a writer holds a lock file next to the run file; a second
// writer waits for it, then reads what the first one judged, or gives up naming the process that holds
// the run. A lock whose process is gone is taken over, and the lock is released however a run ends.
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { evaluate, type EvalOptions, type EvalUser } from '../../src/core/eval/evaluate';
import { lockPathFor, processAlive, RunLock, RunLockedError } from '../../src/core/eval/run-lock';
import { readRun, RunJournal } from '../../src/core/eval/run-file';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { hashString } from '../../src/core/random';
import type { ChatModel } from '../../src/core/llm/types';
import type { Pair } from '../../src/core/data/pair';
import type { Prompt } from '../../src/core/method/prompt-store';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';

const MODEL = 'llama3.1:8b';
const fast = { pollMs: 10, onNote: () => undefined };
/** Linux pids stop at 2^22 (pid_max's ceiling): this one cannot be running. */
const DEAD_PID = 2 ** 22 + 4321;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sm-run-lock-'));
}

function pair(userId: string, n: number): Pair {
  return samplePair({
    userId,
    pairId: `${userId}-${n}`,
    context: [{ role: 'user', content: `Question ${n} of ${userId}: how do I sort a list?` }],
    source: { file: `${userId}.prefs.jsonl`, line: n, column: 1, endLine: n } as Pair['source'],
  });
}

const prompt: Prompt = {
  name: 'judge',
  text: DEFAULT_PROMPTS.judge,
  hash: `sha256:${hashString(DEFAULT_PROMPTS.judge)}`,
};
const users: EvalUser[] = ['ada', 'bruno'].map((id) => {
  const target = [1, 2, 3].map((n) => pair(id, n));
  return { id, pairs: target, context: [], target };
});
const options = (model: ChatModel, runsDir: string, extra: Partial<EvalOptions> = {}): EvalOptions => ({
  method: 'default',
  split: 'test',
  model,
  prompts: { judge: prompt, memory: { ...prompt, name: 'memory' } },
  temperature: 0,
  seed: 0,
  runsDir,
  ...extra,
});

describe('the run lock', () => {
  test('two writers in one process exclude each other; the second names the holder, then gets in once it is free', async () => {
    const dir = tempDir();
    const run = join(dir, 'default-test-abc.run.jsonl');
    const first = await RunLock.acquire(run, fast);
    const t0 = Date.now();
    await assert.rejects(RunLock.acquire(run, { ...fast, waitMs: 150 }), (err: unknown) => {
      assert.ok(err instanceof RunLockedError);
      // Same pid, other holder: the token, not the pid, says whose lock it is.
      assert.match(
        err.message,
        new RegExp(
          `^run default-test-abc is being written by process ${process.pid} since \\d{4}-\\d\\d-\\d\\dT[^;]+; wait for it or stop it`,
        ),
      );
      assert.equal(err.holder?.token, first.holder.token);
      return true;
    });
    assert.ok(Date.now() - t0 >= 140, 'it waited before giving up');
    setTimeout(() => void first.release(), 100);
    const second = await RunLock.acquire(run, { ...fast, waitMs: 5000 });
    assert.notEqual(second.holder.token, first.holder.token);
    assert.equal(JSON.parse(readFileSync(lockPathFor(run), 'utf8')).token, second.holder.token);
    await second.release();
    assert.equal(existsSync(lockPathFor(run)), false);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a lock left by a process that is gone is taken over, with a note in the run file', async () => {
    assert.equal(processAlive(DEAD_PID), false);
    assert.throws(() => process.kill(DEAD_PID, 0), { code: 'ESRCH' });
    const dir = tempDir();
    const name = 'default-test-stale.run.jsonl';
    const started = '2026-01-02T03:04:05.000Z';
    writeFileSync(
      lockPathFor(join(dir, name)),
      JSON.stringify({ pid: DEAD_PID, token: 'crashed', host: hostname(), started }),
    );
    const notes: string[] = [];
    const journal = await RunJournal.open(dir, name, { waitMs: 200, pollMs: 10, onNote: (m) => notes.push(m) });
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, new RegExp(`took over the lock of process ${DEAD_PID} \\(since ${started}\\)`));
    await journal.close();
    const lines = readFileSync(join(dir, name), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; message?: string });
    assert.equal(lines[0]?.type, 'note');
    assert.match(lines[0]?.message ?? '', new RegExp(`process ${DEAD_PID}`));
    assert.equal(existsSync(lockPathFor(join(dir, name))), false);
    // Readers skip the note.
    assert.equal((await readRun(join(dir, name))).verdicts.size, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test('another process holding the run is named; once it has exited, its lock is taken over', async () => {
    const dir = tempDir();
    const run = join(dir, 'default-test-other.run.jsonl');
    // A real second process; the lock is written in its name, as its RunLock would.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      writeFileSync(
        lockPathFor(run),
        JSON.stringify({ pid, token: 'child', host: hostname(), started: '2026-03-04T05:06:07.000Z' }),
      );
      await assert.rejects(
        RunLock.acquire(run, { ...fast, waitMs: 100 }),
        new RegExp(
          `run default-test-other is being written by process ${pid} since 2026-03-04T05:06:07.000Z; wait for it or stop it`,
        ),
      );
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const notes: string[] = [];
      const lock = await RunLock.acquire(run, { ...fast, waitMs: 1000, onNote: (m) => notes.push(m) });
      assert.equal(lock.tookOver?.pid, pid);
      assert.match(notes.join('\n'), new RegExp(`process ${pid} .*no longer running`));
      await lock.release();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a live lock is never taken over, however old', async () => {
    const dir = tempDir();
    const run = join(dir, 'default-test-live.run.jsonl');
    writeFileSync(
      lockPathFor(run),
      JSON.stringify({
        pid: process.pid,
        token: 'someone-else',
        host: hostname(),
        started: '2020-01-01T00:00:00.000Z',
      }),
    );
    await assert.rejects(
      RunLock.acquire(run, { ...fast, waitMs: 50 }),
      /being written by process \d+ since 2020-01-01T00:00:00.000Z/,
    );
    assert.equal(JSON.parse(readFileSync(lockPathFor(run), 'utf8')).token, 'someone-else');
    rmSync(dir, { recursive: true, force: true });
  });

  test('waiting for a lock stops when the run is cancelled', async () => {
    const dir = tempDir();
    const run = join(dir, 'default-test-cancel.run.jsonl');
    const held = await RunLock.acquire(run, fast);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = Date.now();
    await assert.rejects(
      RunLock.acquire(run, { ...fast, waitMs: 10_000, signal: controller.signal }),
      /Cancelled while waiting for run default-test-cancel/,
    );
    assert.ok(Date.now() - t0 < 5000);
    await held.release();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('evaluations on one run', () => {
  let server: LoopbackServer;
  const llms: Llm[] = [];
  const model = () => {
    // No cache: a cache would hide the second run's calls, and each `synthesizeme eval` has its own client.
    const llm = createLlm({
      provider: 'ollama',
      baseUrls: [server.url],
      model: MODEL,
      numCtx: 8192,
      concurrency: 2,
      timeoutSeconds: 10,
    });
    llms.push(llm);
    return llm;
  };
  before(async () => {
    // Latency keeps the first run busy while the second one starts.
    server = await startLoopbackOllama({
      models: [MODEL],
      latencyMs: 30,
      brain: () => JSON.stringify({ reasoning: 'shorter', preference: 'A' }),
    });
  });
  after(async () => {
    for (const l of llms) await l.dispose();
    await server.close();
  });

  test('two evaluations at once judge each pair once: one waits, then resumes from the other', async () => {
    const dir = tempDir();
    server.reset();
    const [a, b] = await Promise.all([evaluate(users, options(model(), dir)), evaluate(users, options(model(), dir))]);
    const samples = users.reduce((n, u) => n + u.target.length * 2, 0);
    assert.equal(server.stats.chat, samples, 'each order of each pair sent once');
    assert.equal(a.run, b.run);
    const verdictLines = readFileSync(a.run, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; userId?: string; pairId?: string })
      .filter((r) => r.type === 'verdict');
    const keys = verdictLines.map((v) => `${v.userId}/${v.pairId}`);
    assert.equal(keys.length, samples / 2);
    assert.equal(new Set(keys).size, keys.length, 'no verdict twice');
    // Both report the whole run; the one that waited found everything judged.
    assert.equal(a.verdicts.length, samples / 2);
    assert.equal(b.verdicts.length, samples / 2);
    assert.deepEqual([a.resumed, b.resumed].sort(), [0, samples / 2]);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.lock')),
      [],
      'released when done',
    );
    rmSync(dir, { recursive: true, force: true });
  });

  test('the lock is held while a run writes, and released when it fails and when it is cancelled', async () => {
    const dir = tempDir();
    const locked = () => readdirSync(dir).some((f) => f.endsWith('.run.jsonl.lock'));
    let heldWhileRunning = 0;
    // Progress is reported once the journal is open, before any pair is judged.
    const watch = { onProgress: () => void (heldWhileRunning += locked() ? 1 : 0) };
    const failing: ChatModel = {
      provider: 'ollama',
      model: MODEL,
      chat: () => Promise.reject(Object.assign(new Error('server down'), { kind: 'connection' })),
    };
    await assert.rejects(evaluate(users, options(failing, dir, watch)), /server down/);
    assert.equal(heldWhileRunning, 1, 'the failed run held the lock');
    assert.equal(locked(), false, 'and released it');

    const controller = new AbortController();
    server.options.latencyMs = 200;
    try {
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(evaluate(users, options(model(), dir, { ...watch, signal: controller.signal })));
    } finally {
      server.options.latencyMs = 30;
    }
    assert.equal(heldWhileRunning, 2, 'the cancelled run held the lock');
    assert.equal(locked(), false, 'and released it');
    // And the next run gets in at once.
    const r = await evaluate(users, options(model(), dir));
    assert.equal(r.verdicts.length, 6);
    rmSync(dir, { recursive: true, force: true });
  });
});
