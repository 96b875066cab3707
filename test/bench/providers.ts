// Provider-layer benchmark (issue 3): how close the scheduler gets to the ideal wall time, and
// how fast a rerun is served from the cache. Against a loopback server with a fixed latency L
// per call and concurrency C, judging N pairs in both orders is 2N calls whose ideal wall time
// is 2N x L / C; the ratio measured over it is the scheduler's overhead (goal: at most 1.05).
// The same 2N calls again from the cache must make no call (goal: under 0.5 s for N = 1,000).
// The loopback server runs in a worker thread (see bench-server.ts): like a real server, its
// work is not the client's. The latency is fixed, so calls finish in synchronised waves of C
// and the client handles C answers at once: the ratio grows with C/L and shows exactly that
// per-call client cost.
// Then the same 2N calls through promptfoo's own OpenAI provider (installed on demand outside the
// repository, see promptfoo.ts), same server, latency, concurrency and prompts, cache off: our
// live time over promptfoo's (goal: at most 0.5).
import { rmSync } from 'node:fs';
import { createLlm } from '../../src/core/llm/client';
import type { ChatRequest, ResponseSchema, ServerProviderKind as ProviderKind } from '../../src/core/llm/types';
import { startBenchServer } from './bench-server';
import { benchPromptfoo } from './promptfoo';
import { benchDir } from './bench-dir';

export interface ProviderBenchOptions {
  /** Pairs judged in both orders. Default 1000. */
  pairs?: number;
  /** Fixed server latency per call (L). Default 200 ms (real judge calls take seconds). */
  latencyMs?: number;
  /** Calls in flight (C). Default 32. */
  concurrency?: number;
  providers?: ProviderKind[];
  /** Repetitions of the live run; the median ratio is reported. Default 3. */
  repeats?: number;
  /** The smoke run: promptfoo is compared only if it is installed already (never installed by a smoke run). */
  smoke?: boolean;
  print?: (line: string) => void;
}

export interface ProviderBenchFigures {
  provider: ProviderKind;
  calls: number;
  idealMs: number;
  wallMs: number[];
  ratio: number;
  cachedMs: number;
  cachedCalls: number;
  maxInFlight: number;
  server: string;
}

const verdict: ResponseSchema = {
  name: 'verdict',
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
    required: ['reasoning', 'preference'],
    additionalProperties: false,
  },
};

/** A judge-shaped request: a persona-less system prompt, the conversation, two responses. */
function judgeRequest(pair: number, order: 'AB' | 'BA'): ChatRequest {
  const one = `Response ${pair}-1: a direct answer with a short example and no filler.`;
  const two = `Response ${pair}-2: a longer, friendlier answer that explains the background first.`;
  const [a, b] = order === 'AB' ? [one, two] : [two, one];
  return {
    messages: [
      {
        role: 'system',
        content:
          'You predict which of two responses this user would prefer. Reply with JSON: reasoning, then preference "A" or "B".',
      },
      {
        role: 'user',
        content: `Conversation:\nuser: How do I reverse a list in Python? (pair ${pair})\n\nResponse A:\n${a}\n\nResponse B:\n${b}`,
      },
    ],
    schema: verdict,
    temperature: 0,
    purpose: 'judge',
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

type Sizes = Required<Omit<ProviderBenchOptions, 'providers' | 'print' | 'smoke'>>;

async function benchOne(provider: ProviderKind, o: Sizes): Promise<ProviderBenchFigures> {
  const server = await startBenchServer(provider, o.latencyMs);
  const model = provider === 'ollama' ? 'llama3.1:8b' : 'gpt-4o-mini';
  const requests: ChatRequest[] = [];
  for (let i = 0; i < o.pairs; i++) requests.push(judgeRequest(i, 'AB'), judgeRequest(i, 'BA'));
  const idealMs = (requests.length * o.latencyMs) / o.concurrency;
  const wallMs: number[] = [];
  let cacheDir = '';
  try {
    for (let r = 0; r < o.repeats; r++) {
      if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
      cacheDir = benchDir('sm-bench-cache-');
      const llm = createLlm({ provider, baseUrls: [server.url], model, concurrency: o.concurrency }, { cacheDir });
      await server.reset();
      const t0 = performance.now();
      const results = await Promise.all(requests.map((q) => llm.chat(q)));
      wallMs.push(performance.now() - t0);
      const wrong = results.filter(
        (x) => (x.json as { preference?: string } | undefined)?.preference === undefined,
      ).length;
      if (wrong) throw new Error(`${wrong} answers without a parsed preference`);
      await llm.dispose();
    }
    const { maxInFlight } = await server.stats();

    // A second identical run, as a new process would do it: a new Llm reading the cache from disk.
    const before = (await server.stats()).chat;
    const cachedLlm = createLlm({ provider, baseUrls: [server.url], model, concurrency: o.concurrency }, { cacheDir });
    const t1 = performance.now();
    const cached = await Promise.all(requests.map((q) => cachedLlm.chat(q)));
    const cachedMs = performance.now() - t1;
    if (!cached.every((c) => c.cached)) throw new Error('the cached run made calls');
    const cachedCalls = (await server.stats()).chat - before + cachedLlm.counters().calls;
    await cachedLlm.dispose();
    return {
      provider,
      calls: requests.length,
      idealMs,
      wallMs,
      ratio: median(wallMs) / idealMs,
      cachedMs,
      cachedCalls,
      maxInFlight,
      server: server.where,
    };
  } finally {
    await server.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  }
}

export async function benchProviders(options: ProviderBenchOptions = {}): Promise<void> {
  const o = {
    pairs: options.pairs ?? 1000,
    latencyMs: options.latencyMs ?? 200,
    concurrency: options.concurrency ?? 32,
    repeats: options.repeats ?? 3,
  };
  const print = options.print ?? ((line: string) => console.log(line));
  print(
    `providers: N=${o.pairs} pairs x 2 orders, L=${o.latencyMs} ms, C=${o.concurrency}, median of ${o.repeats} runs`,
  );
  const figures: ProviderBenchFigures[] = [];
  for (const provider of options.providers ?? (['ollama', 'openai'] as const)) {
    const f = await benchOne(provider, o);
    figures.push(f);
    const runs = f.wallMs.map((w) => (w / 1000).toFixed(2)).join(' / ');
    print(
      `  ${provider.padEnd(6)} live:   ${f.calls} calls in ${runs} s, ideal ${(f.idealMs / 1000).toFixed(2)} s -> ` +
        `ratio ${f.ratio.toFixed(3)} (goal <= 1.05) ${f.ratio <= 1.05 ? 'OK' : 'MISSED'}; max in flight ${f.maxInFlight}; server in ${f.server}`,
    );
    print(
      `  ${provider.padEnd(6)} cached: ${f.calls} answers, ${f.cachedCalls} calls, ${(f.cachedMs / 1000).toFixed(3)} s ` +
        `(goal < 0.5 s) ${f.cachedMs < 500 && f.cachedCalls === 0 ? 'OK' : 'MISSED'}`,
    );
  }

  // The second figure: the same job through promptfoo's own OpenAI provider, compared
  // with ours on the same protocol. promptfoo is installed on demand outside the repository
  // (see promptfoo.ts); if that or its run fails, the figure is not measured and the bench goes on.
  const ours = figures.find((f) => f.provider === 'openai');
  if (!ours) {
    print('  promptfoo: not measured (the openai provider was not benchmarked)');
    return;
  }
  const tests = [];
  for (let i = 0; i < o.pairs; i++) {
    for (const order of ['AB', 'BA'] as const) {
      const [system, user] = judgeRequest(i, order).messages;
      tests.push({ system: system!.content, user: user!.content });
    }
  }
  const pf = await benchPromptfoo({
    tests,
    schema: { name: verdict.name, schema: verdict.schema, strict: verdict.strict ?? false },
    model: 'gpt-4o-mini',
    latencyMs: o.latencyMs,
    concurrency: o.concurrency,
    repeats: o.repeats,
    print,
    installIfMissing: !options.smoke,
  });
  if (!pf.ok) {
    print(`  promptfoo: not measured (${pf.reason})`);
    return;
  }
  const p = pf.figures;
  const runs = p.wallMs.map((w) => (w / 1000).toFixed(2)).join(' / ');
  print(
    `  promptfoo ${p.version} live: ${p.calls} calls (server saw ${p.calls} per run) in ${runs} s, ideal ${(p.idealMs / 1000).toFixed(2)} s -> ` +
      `ratio ${p.ratio.toFixed(3)}; max in flight ${p.maxInFlight}; loaded in ${(p.loadMs / 1000).toFixed(1)} s (not counted); server in ${p.server}; ` +
      `network refused: ${p.refused.length ? p.refused.join(', ') : 'none'}`,
  );
  const rel = median(ours.wallMs) / p.medianMs;
  print(
    `  ours / promptfoo = ${rel.toFixed(3)} (goal <= 0.5) ${rel <= 0.5 ? 'OK' : 'MISSED'}: ` +
      `openai median ${(median(ours.wallMs) / 1000).toFixed(2)} s over promptfoo median ${(p.medianMs / 1000).toFixed(2)} s`,
  );
}
