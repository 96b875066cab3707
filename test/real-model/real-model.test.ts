// The real-model layer: the built CLI and the engine against llama.cpp's own HTTP server running a real model
// (Gemma 3 270M, Q4_K_M), through the product's OpenAI-compatible provider. A 270M model is a real model and
// a poor judge: these tests assert plumbing (shapes, files, caching, errors, cancellation), never accuracy.
//
// Needs the embedded model (`npm run test:setup` puts it in $TOOLS/embedded-model); the layer runner skips or
// fails the layer when it is absent, so these tests assume it is there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from './cli-runner';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  busySlots,
  EMBEDDED_MODEL_NAME,
  embeddedDir,
  ensureEmbeddedModel,
  startLlamaServer,
  type EmbeddedModel,
  type LlamaServer,
} from '../../tools/embedded-model/llama-server';
import { createLlm } from '../../src/core/llm/client';
import { LlmError } from '../../src/core/llm/errors';
import { personaYaml } from '../support/persona-yaml';
import { readRun } from '../../src/core/eval/run-file';

const LOGS = join(ROOT, 'test-results', 'real-model');
const MODEL_DIR =
  process.env.SYNTHESIZEME_EMBEDDED_DIR ||
  (process.env.TOOLS ? join(process.env.TOOLS, 'embedded-model') : embeddedDir());

function runLines(ws: string): { type: string }[] {
  const dir = join(ws, '.synthesizeme', 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string }),
  );
}

/** A hand-written persona file (similar users need other users with a persona; fitting them would cost minutes). */
function handWritten(userId: string, persona: string): string {
  return personaYaml(userId, persona, { provider: 'openai', model: 'hand-written' });
}

describe('real model: Gemma 3 270M through llama-server', () => {
  let model: EmbeddedModel;
  let server: LlamaServer;
  let small: LlamaServer | undefined;
  let ws: string;
  let target: string[];
  let evalUsage: { calls: number; promptTokens: number; completionTokens: number } | undefined;
  const t0 = Date.now();

  /** Failures say where the server's log is and show its end: a real server's complaint is the first clue. */
  const withLog = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      for (const s of [server, small])
        if (s) console.log(`    --- ${s.logPath} (kept; tail) ---\n${s.logTail(25).replace(/^/gm, '    ')}`);
      throw err;
    }
  };

  before(async () => {
    mkdirSync(LOGS, { recursive: true });
    model = await ensureEmbeddedModel({ dir: MODEL_DIR });
    // Two slots: the CLI's concurrent calls are batched by the server (continuous batching). With --embeddings (mean
    // pooling) the same server answers /v1/embeddings for similar users: chat completions are served alike (serve.py).
    server = await startLlamaServer({ ...model, ctx: 8192, parallel: 2, embeddings: true, logDir: LOGS });
    ws = mkdtempSync(join(tmpdir(), 'real-model-ws-'));
    cpSync(join(ROOT, 'examples', 'workspace'), ws, { recursive: true });
    target = [
      '--provider',
      'openai',
      '--base-url',
      server.baseUrl,
      '--model',
      EMBEDDED_MODEL_NAME,
      '--concurrency',
      '2',
    ];
  });

  after(async () => {
    // The server's own throughput, for the layer's figures (llama-server's Prometheus gauges).
    try {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const gauge = (name: string) =>
        Number(new RegExp(`^llamacpp:${name} ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN);
      console.log(
        `real-model figures: wall ${((Date.now() - t0) / 1000).toFixed(0)} s; server ${gauge('prompt_tokens_seconds').toFixed(0)} prompt tokens/s, ` +
          `${gauge('predicted_tokens_seconds').toFixed(1)} generated tokens/s; ${gauge('prompt_tokens_total')} prompt and ${gauge('tokens_predicted_total')} generated tokens in all`,
      );
    } catch (err) {
      console.log(`real-model figures: /metrics unavailable (${(err as Error).message})`);
    }
    await server?.stop();
    await small?.stop();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  test(
    'judges a pair in both orders: two verdicts, each A, B or an honest "unparseable"',
    withLog(async () => {
      const r = await cli(['judge', join(ws, 'ada.prefs.jsonl'), '--line', '1', '--json', ...target]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json.orders.map((o: { order: string }) => o.order),
        ['AB', 'BA'],
      );
      for (const o of r.json.orders) {
        assert.ok(
          o.preference === 'A' || o.preference === 'B' || (o.preference === null && /no A\/B preference/.test(o.error)),
          JSON.stringify(o),
        );
        assert.equal(o.correct, o.preference === (o.order === 'AB' ? 'A' : 'B'));
      }
      assert.equal(r.json.calls, 2);
      assert.ok(r.json.promptTokens > 100, `the server reported prompt tokens (${r.json.promptTokens})`);
    }),
  );

  test(
    'fits ada end to end: the persona file, its demonstrations, provenance naming the model',
    withLog(async () => {
      const r = await cli(['fit', ws, '--user', 'ada', '--k', '1', '--json', ...target]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.users.length, 1);
      assert.deepEqual(r.json.failed, []);
      const file = join(ws, 'personas', 'ada.persona.yaml');
      const doc = parseYaml(readFileSync(file, 'utf8'));
      assert.equal(doc.user_id, 'ada');
      assert.equal(typeof doc.persona, 'string');
      assert.ok(doc.persona.trim().length > 0, 'a persona was written');
      assert.ok(!/^<[^>]*>$/.test(doc.persona.trim()), `not a copied placeholder: ${doc.persona}`);
      const adaPairs = readFileSync(join(ws, 'ada.prefs.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).pair_id as string);
      assert.ok(Array.isArray(doc.demos));
      for (const d of doc.demos) {
        assert.ok(adaPairs.includes(d.pair_id ?? d.pairId), `demo ${JSON.stringify(d)} is one of ada's pairs`);
        assert.ok(d.preference === 'A' || d.preference === 'B');
      }
      assert.equal(doc.provenance.model, EMBEDDED_MODEL_NAME);
      assert.equal(doc.provenance.provider, 'openai');
      assert.ok(doc.provenance.calls > 0);
      console.log(
        `  persona fitted by ${EMBEDDED_MODEL_NAME} (${doc.demos.length} demos, ${doc.provenance.calls} calls): ${JSON.stringify(doc.persona.slice(0, 200))}`,
      );
    }),
  );

  test(
    'evaluates default and persona+demos on the test split, with intervals',
    withLog(async () => {
      const r = await cli(['eval', ws, '--user', 'ada', '--method', 'default,persona+demos', '--json', ...target]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json.results.map((x: { method: string }) => x.method),
        ['default', 'persona+demos'],
      );
      for (const x of r.json.results) {
        assert.equal(x.model, EMBEDDED_MODEL_NAME);
        assert.equal(x.pairs, 5);
        assert.equal(x.samples, 10);
        const [lo, hi] = x.ci95;
        assert.ok(
          0 <= lo && lo <= x.accuracy && x.accuracy <= hi && hi <= 1,
          `interval ${x.ci95} around ${x.accuracy}`,
        );
      }
      assert.equal(r.json.calls, 20);
      assert.ok(r.json.usage.promptTokens > 0 && r.json.usage.completionTokens > 0, 'the server reported usage');
      evalUsage = r.json.usage;
    }),
  );

  test(
    'the same evaluation again, with its run files gone: 0 calls, every answer from the cache',
    withLog(async () => {
      rmSync(join(ws, '.synthesizeme', 'runs'), { recursive: true, force: true });
      const r = await cli(['eval', ws, '--user', 'ada', '--method', 'default,persona+demos', '--json', ...target]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.calls, 0);
      assert.equal(r.json.cacheHits, 20);
    }),
  );

  test(
    'rubric scoring with test-time sampling completes on the real model: every order answered, tied or unreadable',
    withLog(async () => {
      // Plumbing on a real server: the rubric schema through llama-server's grammar, two samples an order at the
      // sampling temperature, ties and unreadable rubrics counted apart. No accuracy is claimed (a 270M base model).
      // A short cap keeps CI's time: a rubric cut at it is an unreadable answer, which the figures then say.
      const r = await cli([
        'eval',
        ws,
        '--user',
        'ada',
        '--method',
        'rubric',
        '--samples',
        '2',
        '--output-caps',
        'rubric=160',
        '--json',
        ...target,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.pairs, 5);
      assert.equal(r.json.calls, 20, 'two samples per order, two orders per pair');
      assert.equal(r.json.samplesPerOrder, 2);
      assert.ok(r.json.complete, 'no failed call');
      const { ties, unreadable } = r.json;
      assert.ok(Number.isInteger(ties) && Number.isInteger(unreadable), 'ties and unreadable rubrics are counted');
      console.log(
        `  rubric --samples 2 on ${EMBEDDED_MODEL_NAME}: accuracy ${(100 * r.json.accuracy).toFixed(1)}% over ` +
          `${r.json.samples} order-samples, ${ties} tie(s), ${unreadable} unreadable, sample consistency ` +
          `${(100 * r.json.sampleConsistency).toFixed(1)}%; ${r.json.usage.promptTokens} prompt + ` +
          `${r.json.usage.completionTokens} completion tokens (server usage)`,
      );
    }),
  );

  test(
    "the dry-run token estimate is within 35% of the server's own count",
    withLog(async () => {
      assert.ok(evalUsage, 'needs the evaluation above');
      const r = await cli([
        'eval',
        ws,
        '--user',
        'ada',
        '--method',
        'default,persona+demos',
        '--json',
        '--dry-run',
        '--no-cache',
        ...target,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.calls, 20);
      const ratio = r.json.promptTokens / evalUsage.promptTokens;
      console.log(
        `  token estimate / server's count: ${r.json.promptTokens} / ${evalUsage.promptTokens} = ${ratio.toFixed(3)}`,
      );
      assert.ok(ratio > 0.65 && ratio < 1.35, `ratio ${ratio.toFixed(3)}`);
    }),
  );

  test(
    'similar users on the real model: users embedded by llama-server, each prompt reads its nearest, then all cached',
    withLog(async () => {
      // ada's fitted persona, two hand-written ones (bruno, chen) and dana without one (embedded from her context
      // pairs): four users embedded, ada judged with her one nearest persona holder. No accuracy is claimed.
      const simWs = mkdtempSync(join(tmpdir(), 'real-model-similar-'));
      try {
        cpSync(ws, simWs, { recursive: true });
        rmSync(join(simWs, '.synthesizeme', 'runs'), { recursive: true, force: true });
        for (const [user, text] of [
          ['bruno', 'Wants short, exact answers with working code and no small talk.'],
          ['chen', 'Enjoys long, warm explanations with stories and historical background.'],
        ])
          writeFileSync(join(simWs, 'personas', `${user}.persona.yaml`), handWritten(user!, text!));
        const args = ['eval', simWs, '--user', 'ada', '--method', 'persona+demos', '--similar-users', '1'];
        const similar = [...args, '--embed-model', EMBEDDED_MODEL_NAME, '--json', ...target];
        const r = await cli(similar);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.pairs, 5);
        assert.ok(r.json.complete, 'no failed call');
        const [lo, hi] = r.json.ci95;
        assert.ok(0 <= lo && lo <= r.json.accuracy && r.json.accuracy <= hi && hi <= 1, `${r.json.ci95}`);
        assert.equal(r.json.embedUsage.calls, 4, 'one embedding per user with a persona or context pairs');
        assert.ok(r.json.embedUsage.promptTokens > 0, 'the server counted the embedded tokens');
        const { header } = await readRun(join(simWs, r.json.run));
        assert.deepEqual(header?.similarUsers, { m: 1, embedModel: EMBEDDED_MODEL_NAME });
        const nearest = header?.inputs['similar:ada'];
        assert.ok(nearest === 'bruno' || nearest === 'chen', `ada's nearest: ${nearest}`);
        console.log(
          `  similar users on ${EMBEDDED_MODEL_NAME}: ada's nearest is ${nearest}; persona+demos with 1 similar user ` +
            `${(100 * r.json.accuracy).toFixed(1)}% [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}] over ` +
            `${r.json.samples} order-samples (no accuracy claimed); ${r.json.embedUsage.calls} embedding calls, ` +
            `${r.json.embedUsage.promptTokens} tokens; ${r.json.calls} judge calls, ${r.json.usage.promptTokens} prompt ` +
            `+ ${r.json.usage.completionTokens} completion tokens (server usage)`,
        );
        // A new run reads every vector from the cache.
        const again = await cli([...similar, '--label', 'again']);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual([again.json.embedUsage.calls, again.json.embedUsage.cacheHits], [0, 4]);
      } finally {
        rmSync(simWs, { recursive: true, force: true });
      }
    }),
  );

  test(
    'the reward-model method against llama-server, which has no /classify: a clear error, exit 1, nothing scored',
    withLog(async () => {
      const r = await cli([
        'eval',
        ws,
        '--user',
        'ada',
        '--method',
        'reward-model',
        '--reward-model',
        EMBEDDED_MODEL_NAME,
        '--label',
        'no-classify',
        '--json',
        ...target,
      ]);
      console.log(`  reward-model on llama-server: exit ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
      assert.equal(r.code, 1, `exit 1 (got ${r.code}): ${r.stderr}`);
      assert.match(r.stderr, /The server has no \/classify endpoint \(404 at http:\/\/127\.0\.0\.1:\d+\/classify/);
      assert.match(r.stderr, /vllm serve MODEL --runner pooling/);
      assert.ok(!/at .*\.js:\d+/.test(r.stderr), 'no stack trace');
    }),
  );

  test(
    "a prompt longer than the server's context is the context-length error, exit 1, and no verdict",
    withLog(async () => {
      small = await startLlamaServer({ ...model, ctx: 1024, parallel: 1, logDir: LOGS });
      // A persona of about 2,000 tokens: the judge prompt cannot fit in 1,024.
      const file = join(ws, 'personas', 'ada.persona.yaml');
      const doc = parseYaml(readFileSync(file, 'utf8'));
      const longWs = mkdtempSync(join(tmpdir(), 'real-model-long-'));
      try {
        cpSync(join(ROOT, 'examples', 'workspace'), longWs, { recursive: true });
        mkdirSync(join(longWs, 'personas'), { recursive: true });
        writeFileSync(
          join(longWs, 'personas', 'ada.persona.yaml'),
          stringifyYaml({ ...doc, persona: 'Ada wants short, exact answers with code. '.repeat(200) }),
        );
        const r = await cli([
          'eval',
          longWs,
          '--user',
          'ada',
          '--method',
          'persona',
          '--json',
          '--provider',
          'openai',
          '--base-url',
          small.baseUrl,
          '--model',
          EMBEDDED_MODEL_NAME,
        ]);
        assert.equal(r.code, 1, `exit 1 (got ${r.code}): ${r.stderr}`);
        assert.match(r.stderr, /too long for gemma-3-270m-q4_k_m \([\d,]+ tokens against a context of 1,024\)/);
        assert.match(r.stderr, /exceeds the available context size/);
        assert.ok(!/at .*\.js:\d+/.test(r.stderr), 'no stack trace');
        const lines = runLines(longWs);
        assert.deepEqual(
          lines.filter((l) => l.type === 'verdict' || l.type === 'summary'),
          [],
          'nothing was scored',
        );
      } finally {
        rmSync(longWs, { recursive: true, force: true });
      }
    }),
  );

  test(
    "cancelling a call mid-request frees the server's slot",
    withLog(async () => {
      const llm = createLlm(
        { provider: 'openai', baseUrls: [server.baseUrl], model: EMBEDDED_MODEL_NAME, timeoutSeconds: 60 },
        { noCache: true },
      );
      try {
        const ac = new AbortController();
        const call = llm.chat(
          {
            messages: [{ role: 'user', content: 'Count from 1 to 2000, one number per line.' }],
            temperature: 0,
            maxTokens: 4000,
            purpose: 'cancel test',
          },
          ac.signal,
        );
        call.catch(() => undefined);
        const end = Date.now() + 30_000;
        while ((await busySlots(server.url)) === 0) {
          assert.ok(Date.now() < end, 'the server never started the request');
          await new Promise((r) => setTimeout(r, 50));
        }
        ac.abort();
        await assert.rejects(call, (err: unknown) => err instanceof LlmError && err.kind === 'aborted');
        const freed = Date.now() + 10_000;
        while ((await busySlots(server.url)) > 0) {
          assert.ok(Date.now() < freed, 'the slot is still processing 10 s after the cancel');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await llm.dispose();
      }
    }),
  );
});
