// The transcript of a verdict (src/core/eval/transcript.ts, `synthesizeme transcript`): a run judged by
// `synthesizeme eval` against a loopback OpenAI-compatible server that says how many prompt tokens it served
// from its cache; each order's verdict names its call's cache key, and the cache entry holds the messages sent,
// the raw answer, the tokens and the latency. A run file without those keys says so, and nothing is guessed.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { LoopbackServer } from '../support/loopback-llm';
import { readRun } from '../../src/core/eval/run-file';
import { NO_TRANSCRIPT_RECORDED, readTranscript } from '../../src/core/eval/transcript';
import { cli, markerBrain, workspace } from './revalidate-fixture';

const MODEL = 'judge-model';
const CACHED = 11;

describe('transcript of a verdict', () => {
  let server: LoopbackServer;
  const started = startLoopbackOpenAI({
    models: [MODEL],
    brain: (req) => `<think>Weighing both replies.</think>${markerBrain('Judge by brevity.')(req)}`,
    cachedPromptTokens: CACHED,
  }).then((s) => (server = s));
  after(() => server?.close());

  async function judged() {
    await started;
    const { dir, ws } = workspace();
    const c = cli(dir);
    const code = await c.run(
      'eval',
      'ws',
      '--method',
      'default',
      '--user',
      'ada',
      '--json',
      '--provider',
      'openai',
      '--model',
      MODEL,
      '--base-url',
      server.url,
    );
    assert.equal(code, 0, c.err());
    const runPath = join(dir, c.json().run as string);
    const verdict = [...(await readRun(runPath)).verdicts.values()][0]!;
    return { dir, ws, runPath, verdict };
  }

  test('each order: the messages sent, the raw answer and thinking, tokens with the cache share, latency, server', async () => {
    const { ws, runPath, verdict } = await judged();
    // The run file names the call, and copies nothing more than it did before.
    for (const o of verdict.orders) assert.match(o.call ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(verdict.orders[0].call, verdict.orders[1].call);
    const t = await readTranscript(
      runPath,
      { pairId: verdict.pairId },
      { cacheDir: join(ws, '.synthesizeme', 'cache') },
    );
    assert.equal(t.note, undefined);
    assert.equal(t.run?.model, MODEL);
    assert.deepEqual(
      t.orders.map((o) => o.order),
      ['AB', 'BA'],
    );
    const sent = server.chats.map((c) => c.body as { messages: { role: string; content: string }[] });
    for (const o of t.orders) {
      assert.equal(o.missing, undefined, o.missing);
      assert.equal(o.messages?.[0]?.role, 'system');
      assert.equal(o.messages?.at(-1)?.role, 'user');
      // Exactly what the server received for this order.
      assert.ok(
        sent.some((s) => JSON.stringify(s.messages) === JSON.stringify(o.messages)),
        'the messages are the ones sent',
      );
      assert.equal(o.thinking, 'Weighing both replies.');
      assert.match(o.answer ?? '', /"preference"/);
      assert.ok((o.promptTokens ?? 0) > CACHED);
      assert.ok((o.completionTokens ?? 0) > 0);
      assert.equal(o.cachedPromptTokens, CACHED);
      assert.equal(typeof o.latencyMs, 'number');
      assert.equal(o.server, server.url.replace(/\/$/, ''));
      assert.equal(o.model, MODEL);
    }
    const ba = await readTranscript(
      runPath,
      { pairId: verdict.pairId },
      { cacheDir: join(ws, '.synthesizeme', 'cache'), order: 'BA' },
    );
    assert.deepEqual(
      ba.orders.map((o) => o.order),
      ['BA'],
    );
    assert.match(ba.orders[0]!.messages!.at(-1)!.content, /<response_a>/);
  });

  test('the CLI prints the messages, the answer, the tokens and the latency; --json gives the same', async () => {
    const { dir, runPath, verdict } = await judged();
    const c = cli(dir);
    assert.equal(await c.run('transcript', runPath, '--pair', verdict.pairId, '--order', 'AB'), 0, c.err());
    const text = c.out();
    assert.match(text, /== Order AB \(A = chosen\)/);
    assert.doesNotMatch(text, /== Order BA/);
    assert.match(text, /--- system ---/);
    assert.match(text, /--- user ---/);
    assert.match(text, /--- thinking ---\nWeighing both replies\./);
    assert.match(text, /--- answer ---/);
    assert.match(
      text,
      new RegExp(`\\d+ prompt tokens \\(${CACHED} from the server's cache, \\d+%\\), \\d+ completion tokens`),
    );
    assert.match(text, /latency \d+\.\d+ s/);
    const j = cli(dir);
    assert.equal(await j.run('transcript', runPath, '--pair', verdict.pairId, '--json'), 0, j.err());
    const json = j.json() as { orders: { cachedPromptTokens: number; messages: unknown[] }[]; runFile: string };
    assert.equal(json.orders.length, 2);
    assert.equal(json.orders[1]!.cachedPromptTokens, CACHED);
    assert.ok(json.orders[0]!.messages.length >= 2);
    assert.ok(!json.runFile.startsWith('/'), 'the run file relative to the current folder');

    const bad = cli(dir);
    assert.equal(await bad.run('transcript', runPath, '--pair', 'no-such-pair'), 2);
    assert.match(bad.err(), /no verdict on pair no-such-pair/);
    const order = cli(dir);
    assert.equal(await order.run('transcript', runPath, '--pair', verdict.pairId, '--order', 'XY'), 2);
    assert.match(order.err(), /--order: expected AB or BA/);
    const missing = cli(dir);
    assert.equal(await missing.run('transcript', join(dir, 'nothing.run.jsonl'), '--pair', 'x'), 2);
    assert.match(missing.err(), /no such file/);
  });

  test('a run judged before transcripts were kept says so; a call the cache lost says so', async () => {
    const { dir, ws, runPath, verdict } = await judged();
    const cacheDir = join(ws, '.synthesizeme', 'cache');
    // The same run as an older version wrote it: no call keys.
    const old = runPath.replace('.run.jsonl', '-old.run.jsonl');
    writeFileSync(old, readFileSync(runPath, 'utf8').replace(/,"call":"[0-9a-f]{64}"/g, ''));
    const t = await readTranscript(old, { pairId: verdict.pairId }, { cacheDir });
    assert.equal(t.note, NO_TRANSCRIPT_RECORDED);
    for (const o of t.orders) {
      assert.equal(o.messages, undefined);
      assert.equal(o.answer, undefined);
      assert.equal(o.missing, NO_TRANSCRIPT_RECORDED);
      assert.equal(typeof o.reasoning, 'string');
    }
    const c = cli(dir);
    assert.equal(await c.run('transcript', old, '--pair', verdict.pairId), 0, c.err());
    assert.match(c.out(), /no transcript recorded for this run \(judged before transcripts were kept\)/);
    assert.doesNotMatch(c.out(), /--- system ---/);

    rmSync(cacheDir, { recursive: true, force: true });
    const lost = await readTranscript(runPath, { pairId: verdict.pairId }, { cacheDir });
    assert.equal(lost.note, undefined);
    for (const o of lost.orders) assert.match(o.missing ?? '', /the response cache does not hold this call/);
  });
});

describe('the transcript view protocol', () => {
  test('the pages ask for a transcript by ids and indexes only; the view accepts only its own messages', async () => {
    const p = await import('../../src/extension/protocol');
    assert.ok(p.isPairToHost({ type: 'transcript', runId: 'abc123' }));
    assert.ok(!p.isPairToHost({ type: 'transcript', runId: 7 }));
    assert.ok(p.isGridToHost({ type: 'transcript', row: 2, column: 1 }));
    assert.ok(!p.isGridToHost({ type: 'transcript', row: -1, column: 1 }));
    assert.ok(p.isVerdictsToHost({ type: 'transcript', row: 0 }));
    assert.ok(!p.isVerdictsToHost({ type: 'transcript', row: '0' }));
    assert.ok(p.isTranscriptToHost({ type: 'ready' }));
    assert.ok(p.isTranscriptToHost({ type: 'openPair' }));
    assert.ok(p.isTranscriptToHost({ type: 'painted', orders: 2, messages: 4, ms: 3 }));
    assert.ok(!p.isTranscriptToHost({ type: 'run', command: 'x' }));
    assert.ok(p.isHostToTranscript({ type: 'notFound', message: 'gone' }));
    assert.ok(p.isHostToTranscript({ type: 'transcript', transcript: { orders: [] }, sentAt: 1 }));
    assert.ok(!p.isHostToTranscript({ type: 'transcript', transcript: {} }));
  });
});
