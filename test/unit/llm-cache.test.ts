// The response cache: hits and misses, what the key depends on, torn writes, two processes
// appending to one cache, and secrets that must never reach the disk.
//
// This file is also the child process of the two-process tests: run with LLM_CACHE_CHILD set,
// it registers no test and plays the other process instead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheKey, type CacheKeyInput, ResponseCache } from '../../src/core/llm/cache';
import { createLlm, type LlmConfig } from '../../src/core/llm/client';
import type { ChatRequest } from '../../src/core/llm/types';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';

interface ChildJob {
  mode: 'append' | 'llm';
  dir: string;
  from: number;
  count: number;
  config?: LlmConfig;
}

/** A record's text, deterministic in its number and of varying size (some well above 4 KB). */
function textOf(i: number): string {
  return `answer ${i} `.padEnd(100 + ((i * 997) % 9000), String.fromCharCode(97 + (i % 26)));
}

const keyOf = (i: number) => `k${String(i).padStart(6, '0')}`.padEnd(64, '0');

/** Appends records; `gate` is awaited once the cache is open, so two processes can start together. */
async function appendRecords(
  dir: string,
  from: number,
  count: number,
  gate: () => Promise<void> = async () => undefined,
): Promise<void> {
  const cache = new ResponseCache(dir);
  await cache.stats();
  await gate();
  // Batches of writes in flight at once, as a busy run does, paced so that two processes
  // started a few milliseconds apart still write during the same stretch of time.
  const batch = 10;
  for (let b = 0; b < count; b += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - b) }, (_, j) => {
        const i = from + b + j;
        return cache.put(keyOf(i), {
          text: textOf(i),
          usage: { promptTokens: j, completionTokens: 1 },
          latencyMs: 5,
          model: 'm',
        });
      }),
    );
    await new Promise((r) => setTimeout(r, 3));
  }
  await cache.close();
}

const requests = (n: number): ChatRequest[] =>
  Array.from({ length: n }, (_, i) => ({
    messages: [{ role: 'user', content: `shared question ${i}` }],
    temperature: 0,
  }));

/** The child's half of the start barrier: say ready, wait for the parent's go (a line on stdin). */
function readyThenGo(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdout.write('ready\n');
  });
}

async function runChild(job: ChildJob): Promise<void> {
  if (job.mode === 'append') {
    await appendRecords(job.dir, job.from, job.count, readyThenGo);
  } else {
    const llm = createLlm(job.config!, { cacheDir: job.dir, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
    await readyThenGo();
    await Promise.all(requests(job.count).map((r) => llm.chat(r)));
    process.stdout.write(JSON.stringify(llm.counters()));
    await llm.dispose();
  }
  process.stdin.destroy();
}

interface ChildHandle {
  /** The child has set up and waits for go(). */
  ready: Promise<void>;
  go(): void;
  /** What the child printed after "ready". */
  done: Promise<string>;
}

let childScript: string | undefined;

/**
 * The child runs a private copy of this bundle: another test run rebuilding out/test must not
 * pull the file from under it (the bundle is self-contained).
 */
function childScriptPath(): string {
  if (!childScript) {
    const dir = mkdtempSync(join(tmpdir(), 'sm-cache-child-'));
    childScript = join(dir, 'llm-cache-child.js');
    copyFileSync(__filename, childScript);
  }
  return childScript;
}

function startChild(job: ChildJob): ChildHandle {
  const env: NodeJS.ProcessEnv = { ...process.env, LLM_CACHE_CHILD: JSON.stringify(job) };
  // The child must not think it is a test-runner subprocess.
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, [childScriptPath()], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.replace(/^ready\n/, '')) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
  // If the child dies before it is ready, the test must fail rather than wait forever.
  void done.catch(() => onReady());
  return { ready, done, go: () => child.stdin.end('go\n') };
}

function registerTests(): void {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'sm-cache-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (childScript) rmSync(dirname(childScript), { recursive: true, force: true });
  });

  describe('cache key', () => {
    const base: CacheKeyInput = {
      provider: 'ollama',
      baseUrl: 'http://127.0.0.1:11434',
      model: 'llama3.1:8b',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0,
      seed: 1,
      maxTokens: 100,
      schema: { name: 's', schema: { type: 'object', properties: { a: { type: 'string' } } } },
      sample: 0,
    };
    const k = cacheKey(base);

    test('every input that changes the answer changes the key', () => {
      const variants: Array<Partial<CacheKeyInput>> = [
        { provider: 'openai' },
        { baseUrl: 'http://127.0.0.1:11435' },
        { model: 'llama3.1:70b' },
        { messages: [{ role: 'user', content: 'hi!' }] },
        { messages: [{ role: 'system', content: 'hi' }] },
        { temperature: 0.7 },
        { seed: 2 },
        { maxTokens: 101 },
        { schema: { name: 's', schema: { type: 'object' } } },
        { schema: undefined },
        { sample: 1 },
        { numCtx: 8192 },
      ];
      const keys = new Set(variants.map((v) => cacheKey({ ...base, ...v })));
      assert.equal(keys.size, variants.length);
      assert.ok(!keys.has(k));
    });

    test('what does not change the answer does not change the key', () => {
      assert.equal(cacheKey({ ...base, baseUrl: 'http://127.0.0.1:11434/' }), k);
      assert.equal(
        cacheKey({ ...base, baseUrl: 'http://user:pw@127.0.0.1:11434' }),
        k,
        'credentials are not part of the key',
      );
      assert.equal(
        cacheKey({ ...base, schema: { name: 's', schema: { properties: { a: { type: 'string' } }, type: 'object' } } }),
        k,
        'schema key order',
      );
      assert.match(k, /^[0-9a-f]{64}$/);
    });
  });

  for (const kind of ['ollama', 'openai'] as const) {
    describe(`${kind}: cached calls`, () => {
      let server: LoopbackServer;
      before(async () => {
        server = kind === 'ollama' ? await startLoopbackOllama() : await startLoopbackOpenAI();
      });
      after(() => server.close());
      const config = (): LlmConfig => ({
        provider: kind,
        baseUrls: [server.url],
        model: kind === 'ollama' ? 'llama3.1:8b' : 'gpt-4o-mini',
      });
      const schema = {
        name: 'v',
        schema: {
          type: 'object',
          properties: { preference: { type: 'string', enum: ['A', 'B'] } },
          required: ['preference'],
        },
      };

      test('miss, then hit: same text, usage and parsed JSON, no second call', async () => {
        server.reset();
        const dir = tempDir();
        const llm = createLlm(config(), { cacheDir: dir });
        const req: ChatRequest = { messages: [{ role: 'user', content: 'A or B?' }], temperature: 0, schema };
        const first = await llm.chat(req);
        const second = await llm.chat(req);
        assert.equal(first.cached, false);
        assert.equal(second.cached, true);
        assert.equal(second.text, first.text);
        assert.deepEqual(second.usage, first.usage);
        assert.deepEqual(second.json, first.json);
        assert.ok(second.json !== undefined);
        assert.equal(server.stats.chat, 1);
        assert.deepEqual([llm.counters().calls, llm.counters().cacheHits], [1, 1]);
        // A new process (a new Llm) reads it from disk.
        const again = createLlm(config(), { cacheDir: dir });
        assert.equal((await again.chat(req)).cached, true);
        assert.equal(server.stats.chat, 1);
        await Promise.all([llm.dispose(), again.dispose()]);
      });

      test('repeated samples are not collapsed; --no-cache bypasses reads and writes', async () => {
        server.reset();
        const dir = tempDir();
        const llm = createLlm(config(), { cacheDir: dir });
        const req: ChatRequest = { messages: [{ role: 'user', content: 'sample me' }], temperature: 1 };
        await llm.chat({ ...req, sample: 0 });
        await llm.chat({ ...req, sample: 1 });
        await llm.chat({ ...req, sample: 1 });
        assert.equal(server.stats.chat, 2);
        const bypass = createLlm(config(), { cacheDir: dir, noCache: true });
        await bypass.chat({ ...req, sample: 0 });
        assert.equal(server.stats.chat, 3);
        assert.equal((await llm.cacheStats())!.entries, 2);
        await Promise.all([llm.dispose(), bypass.dispose()]);
      });

      test('errors are never cached', async () => {
        server.reset();
        const dir = tempDir();
        const llm = createLlm(config(), { cacheDir: dir, retry: { maxAttempts: 1 } });
        const req: ChatRequest = { messages: [{ role: 'user', content: 'fails once' }], temperature: 0 };
        server.inject({ type: 'server-error' });
        await assert.rejects(llm.chat(req));
        assert.equal((await llm.cacheStats())!.entries, 0);
        const ok = await llm.chat(req);
        assert.equal(ok.cached, false);
        assert.equal(server.stats.chat, 2);
        await llm.dispose();
      });

      test('estimate counts the calls the cache will answer apart', async () => {
        const dir = tempDir();
        const llm = createLlm(config(), {
          cacheDir: dir,
          prices: { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 1 } },
        });
        const reqs = requests(3);
        await llm.chat(reqs[0]!);
        await llm.chat(reqs[1]!);
        const e = await llm.estimate(reqs);
        assert.equal(e.calls, 1);
        assert.equal(e.cachedCalls, 2);
        assert.ok(e.promptTokens > 0);
        assert.equal(e.costUsd === undefined, kind === 'ollama');
        await llm.dispose();
      });

      test('stats and clear', async () => {
        server.reset();
        const dir = tempDir();
        const llm = createLlm(config(), { cacheDir: dir });
        for (const r of requests(4)) await llm.chat(r);
        const stats = (await llm.cacheStats())!;
        assert.equal(stats.entries, 4);
        assert.equal(stats.segments, 1);
        assert.ok(stats.bytes > 0);
        assert.equal(stats.unreadableLines, 0);
        const cache = new ResponseCache(dir);
        await cache.clear();
        assert.deepEqual(readdirSync(dir), []);
        assert.equal((await cache.stats()).entries, 0);
        await cache.close();
        const fresh = createLlm(config(), { cacheDir: dir });
        assert.equal((await fresh.chat(requests(1)[0]!)).cached, false);
        await Promise.all([llm.dispose(), fresh.dispose()]);
      });
    });
  }

  describe('cache files', () => {
    test('a torn last line is skipped and counted, and the next write starts on a fresh line', async () => {
      const dir = tempDir();
      await appendRecords(dir, 0, 5);
      const [segment] = readdirSync(dir);
      const path = join(dir, segment!);
      const good = readFileSync(path, 'utf8').split('\n')[0]!;
      appendFileSync(path, good.slice(0, good.length >> 1)); // a crash mid-write
      const cache = new ResponseCache(dir);
      assert.equal((await cache.get(keyOf(3)))?.text, textOf(3));
      await cache.put(keyOf(99), {
        text: 'after the crash',
        usage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 1,
        model: 'm',
      });
      await cache.close();
      const reopened = new ResponseCache(dir);
      const stats = await reopened.stats();
      assert.equal(stats.entries, 6);
      assert.equal(stats.unreadableLines, 1);
      assert.equal((await reopened.get(keyOf(99)))?.text, 'after the crash');
      for (let i = 0; i < 5; i++) assert.equal((await reopened.get(keyOf(i)))?.text, textOf(i));
      await reopened.close();
    });

    test('garbage and records of the wrong shape are counted, never trusted', async () => {
      const dir = tempDir();
      await appendRecords(dir, 0, 2);
      const path = join(dir, readdirSync(dir)[0]!);
      appendFileSync(path, 'not json at all\n{"k":"x","t":5}\n\n');
      await appendRecords(dir, 2, 2);
      const cache = new ResponseCache(dir);
      const stats = await cache.stats();
      assert.equal(stats.entries, 4);
      assert.equal(stats.unreadableLines, 2);
      assert.equal(await cache.get('x'), undefined);
      await cache.close();
    });

    test("prune counts one model's answers, drops its remembered server identity and keeps the other model's", async () => {
      const dir = tempDir();
      const cache = new ResponseCache(dir);
      const answer = (model: string) => ({
        text: 'x',
        usage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 1,
        model,
      });
      await cache.put(keyOf(1), answer('a'));
      await cache.put(keyOf(2), answer('a'));
      await cache.put(keyOf(3), answer('b'));
      await cache.rememberServer('server-a', 'digest-a', 'a');
      await cache.rememberServer('server-b', 'digest-b', 'b');
      assert.equal((await cache.stats()).entries, 3, 'identities are no answers');
      assert.equal(await cache.prune('a'), 2, 'only answers are counted');
      const reader = new ResponseCache(dir);
      assert.equal((await reader.stats()).entries, 1);
      assert.equal((await reader.stats()).records, 1);
      assert.equal(await reader.serverIdentity('server-a'), undefined, "the pruned model's identity is gone");
      assert.equal(await reader.serverIdentity('server-b'), 'digest-b');
      await reader.close();
      await cache.close();
    });

    test('segments roll over at the size limit and are all read back', async () => {
      const dir = tempDir();
      const cache = new ResponseCache(dir, { maxSegmentBytes: 20_000 });
      for (let i = 0; i < 30; i++) {
        await cache.put(keyOf(i), {
          text: textOf(i),
          usage: { promptTokens: 1, completionTokens: 1 },
          latencyMs: 1,
          model: 'm',
        });
      }
      await cache.close();
      assert.ok(readdirSync(dir).length > 2, readdirSync(dir).join(','));
      const reader = new ResponseCache(dir);
      assert.equal((await reader.stats()).entries, 30);
      for (const i of [0, 14, 29]) assert.equal((await reader.get(keyOf(i)))?.text, textOf(i));
      await reader.close();
    });

    test('two processes appending to the same cache at once do not corrupt it', async () => {
      const dir = tempDir();
      const n = 400;
      const child = startChild({ mode: 'append', dir, from: 0, count: n });
      await appendRecords(dir, n, n, async () => {
        await child.ready;
        child.go();
      });
      await child.done;
      const cache = new ResponseCache(dir);
      const stats = await cache.stats();
      assert.equal(stats.unreadableLines, 0);
      assert.equal(stats.entries, 2 * n);
      for (let i = 0; i < 2 * n; i++) assert.equal((await cache.get(keyOf(i)))?.text, textOf(i), `record ${i}`);
      await cache.close();
      // The appends really overlapped: the file alternates between the two writers.
      const writers = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (Number((JSON.parse(l) as { k: string }).k.slice(1, 7)) < n ? 'child' : 'parent'));
      const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length;
      assert.ok(switches > 2, `the two writers did not overlap (${switches} switches)`);
    });

    test('two processes running the same requests share one cache; a third run makes no call', async () => {
      const server = await startLoopbackOllama({ latencyMs: 5 });
      const dir = tempDir();
      const config: LlmConfig = { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', concurrency: 4 };
      try {
        const n = 40;
        const mine = createLlm(config, { cacheDir: dir });
        const other = startChild({ mode: 'llm', dir, from: 0, count: n, config });
        await other.ready;
        other.go();
        const [childOut] = await Promise.all([other.done, Promise.all(requests(n).map((r) => mine.chat(r)))]);
        const child = JSON.parse(childOut) as { calls: number; cacheHits: number };
        assert.equal(child.calls + child.cacheHits, n);
        assert.ok(server.stats.chat <= 2 * n);
        await mine.dispose();
        const third = createLlm(config, { cacheDir: dir });
        const before = server.stats.chat;
        const results = await Promise.all(requests(n).map((r) => third.chat(r)));
        assert.ok(results.every((r) => r.cached));
        assert.equal(server.stats.chat, before);
        assert.equal(third.counters().calls, 0);
        assert.equal((await third.cacheStats())!.unreadableLines, 0);
        await third.dispose();
      } finally {
        await server.close();
      }
    });

    test('the API key never reaches the cache files or the log', async () => {
      const secret = 'sk-proj-SECRET-abcdef0123456789';
      const server = await startLoopbackOpenAI({ apiKey: secret });
      const dir = tempDir();
      const lines: string[] = [];
      const llm = createLlm(
        { provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini' },
        { cacheDir: dir, apiKey: secret, log: (_l, m) => lines.push(m), retry: { baseDelayMs: 1, maxDelayMs: 2 } },
      );
      try {
        server.inject({ type: 'server-error' });
        for (const r of requests(3)) await llm.chat(r);
        assert.equal(server.chats[0]!.headers.authorization, `Bearer ${secret}`, 'the key was really used');
        const files = readdirSync(dir);
        assert.ok(files.length > 0);
        for (const f of files) assert.ok(!readFileSync(join(dir, f), 'utf8').includes(secret), `${f} holds the key`);
        assert.ok(lines.length > 0, 'the retry was logged');
        for (const l of lines) assert.ok(!l.includes(secret));
        assert.ok(!JSON.stringify(llm.config).includes(secret));
        assert.ok(!JSON.stringify(llm.endpoints()).includes(secret));
      } finally {
        await llm.dispose();
        await server.close();
      }
    });

    test('an unwritable cache folder costs the cache, not the run, and is reported once', async () => {
      const server = await startLoopbackOllama();
      const parent = tempDir();
      const blocked = join(parent, 'file-not-folder');
      writeFileSync(blocked, 'x');
      const warnings: string[] = [];
      const llm = createLlm(
        { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' },
        { cacheDir: join(blocked, 'cache'), log: (level, m) => level === 'warn' && warnings.push(m) },
      );
      try {
        const r = await llm.chat(requests(1)[0]!);
        assert.equal(r.cached, false);
        for (const q of requests(5).slice(1)) await llm.chat(q);
        // Said once, not once per call (the reliability case: five calls used to print five warnings).
        assert.equal(warnings.filter((w) => /cache: could not write/.test(w)).length, 1, warnings.join('\n'));
      } finally {
        await llm.dispose();
        await server.close();
      }
    });
  });
}

// Last, so that every helper above is initialised before either role runs.
const childJob = process.env['LLM_CACHE_CHILD'];
if (childJob) void runChild(JSON.parse(childJob) as ChildJob);
else registerTests();
