// The `real` benchmark: how much of a user's judge prompts llama-server serves from its prompt (prefix) cache
// when the engine judges that user's test pairs in both orders, against a naive client that interleaves the
// same kind of calls across users. The engine puts everything shared by one user's calls (instructions,
// persona, demonstrations) in the system message and the pair last (messages.ts), so consecutive calls of
// one user share a long prefix; this measures whether a real server actually reuses it.
// Goal (a benchmark, not a test): at least 80% of a user's judge-prompt tokens served from the cache.
//
// A recording proxy (test/support/recording-proxy.ts) sits between the product's OpenAI-compatible provider and
// llama-server and reads `timings.cache_n` / `timings.prompt_n` from every answer. The same figures for a whole
// fit plus eval against 1, 2 and 4 slots follow (real-slots.ts, `--slots=1,2,4`).
//
// Measured: the naive order B scores about as well as A on llama-server, because its host-memory prompt cache
// (--cache-ram, on by default) keeps the prefix a user switch evicts from the one slot and restores it on the
// user's next call. With that cache off, an X, Y, X sequence got cache_n 0 on the third call: there B's share
// falls to what a pair's second order reuses from its first.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlm, type Llm } from '../../src/core/llm/client';
import type { Pair } from '../../src/core/data/pair';
import { judgePair, type OrderVerdict } from '../../src/core/method/judge';
import { judgeSystem, type JudgeProfile } from '../../src/core/method/messages';
import { PromptStore } from '../../src/core/method/prompt-store';
import { chosenLabel, type Order } from '../../src/core/method/render';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace/open-workspace';
import {
  EMBEDDED_MODEL_NAME,
  embeddedDir,
  ensureEmbeddedModel,
  startLlamaServer,
  type EmbeddedModel,
  type LlamaServer,
} from '../../tools/embedded-model/llama-server';
import {
  cacheShare as share,
  startRecordingProxy,
  sumOf as sum,
  type RecordedCall as Call,
  type RecordingProxy,
} from '../support/recording-proxy';
import { benchRealSlots } from './real-slots';

/** Written for the bench from the example workspace's answer key (examples/workspace/README.md). */
const PERSONAS: Record<string, { persona: string; why: string }> = {
  ada: {
    persona:
      'A backend software engineer who wants the shortest answer that solves the problem. She prefers a snippet, command, formula or number over a description of one, and has no patience for preamble, praise of the question or offers to explain more. Long prose without code reads to her as evasive.',
    why: 'The user picks the reply that answers in the fewest words and shows the code or number instead of describing it.',
  },
  bruno: {
    persona:
      'A friendly learner who follows instructions step by step. He likes a warm, encouraging opening and closing, and instructions as a numbered list he can tick off one at a time. A terse neutral paragraph, however correct, feels cold and hard to follow to him.',
    why: 'The user picks the warm reply that lays the instructions out as numbered steps.',
  },
};

/** Pairs judged per user: ada's test split is 5 pairs; run B takes as many of each user's pairs. The smoke run: 1. */
const PAIRS = 5;
const SMOKE_PAIRS = 1;
const NAIVE_USERS = ['ada', 'bruno'];

/** The persona+demos profile: the persona, and every context pair as a demo with its true preference. */
function profileOf(userId: string, context: readonly Pair[]): JudgeProfile {
  const p = PERSONAS[userId]!;
  return {
    persona: p.persona,
    demos: context.map((pair, i) => {
      const order: Order = i % 2 ? 'BA' : 'AB';
      return { pair, demo: { pairId: pair.pairId, order, preference: chosenLabel(order), reasoning: p.why } };
    }),
  };
}

interface Job {
  system: string;
  pair: Pair;
}

interface RunFigures {
  calls: Call[];
  wallMs: number;
  accuracy: number;
}

/** One fresh server (one slot: its cache starts empty and nothing else competes for it), proxy, Llm. */
async function run(
  model: EmbeddedModel,
  logDir: string,
  drive: (llm: Llm) => Promise<OrderVerdict[]>,
): Promise<RunFigures> {
  let server: LlamaServer | undefined;
  let proxy: RecordingProxy | undefined;
  let llm: Llm | undefined;
  try {
    // One thread: on 2 shared cores, llama.cpp's two spinning threads collapse when anything else runs (measured
    // 1.5 against 10 generated tokens/s with another server busy); the cache figures do not depend on it.
    server = await startLlamaServer({ ...model, ctx: 8192, parallel: 1, threads: 1, logDir });
    proxy = await startRecordingProxy(server.url);
    llm = createLlm(
      { provider: 'openai', baseUrls: [`${proxy.url}/v1`], model: EMBEDDED_MODEL_NAME, concurrency: 1 },
      { noCache: true },
    );
    const t0 = performance.now();
    const verdicts = await drive(llm);
    const wallMs = performance.now() - t0;
    // The judge scores a failed call as a wrong answer; here a call without an answer leaves the figures incomplete.
    if (proxy.calls.length < verdicts.length)
      throw new Error(
        `only ${proxy.calls.length} of ${verdicts.length} judge calls were answered: ${verdicts.find((v) => v.error)?.error}`,
      );
    return { calls: proxy.calls, wallMs, accuracy: verdicts.filter((v) => v.correct).length / verdicts.length };
  } catch (err) {
    if (server) console.log(`real: FAILED; llama-server log ${server.logPath}:\n${server.logTail(20)}`);
    throw err;
  } finally {
    await llm?.dispose();
    await proxy?.close();
    await server?.stop();
  }
}

async function judgeAll(llm: Llm, jobs: readonly Job[], seed: number, together: boolean): Promise<OrderVerdict[]> {
  const opts = { temperature: 0, seed };
  const one = async (j: Job) => (await judgePair(llm, j.system, j.pair, opts)).orders;
  if (together) return (await Promise.all(jobs.map(one))).flat();
  const out: OrderVerdict[] = [];
  for (const j of jobs) out.push(...(await one(j)));
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The embedded model's folders, the named one first: the tools' own default, then where `npm run test:setup` puts it. */
function modelDirs(): string[] {
  const named =
    process.env.SYNTHESIZEME_EMBEDDED_DIR ||
    (process.env.TOOLS ? join(process.env.TOOLS, 'embedded-model') : undefined);
  return named ? [named] : [embeddedDir(), join(homedir(), '.cache', 'vscode-test-tools', 'embedded-model')];
}

/** A model already set up (the real-model test layer's check): the smoke run uses it as it is and sets up nothing. */
function modelInstalled(dir: string): EmbeddedModel | undefined {
  const python = join(dir, 'venv', 'bin', 'python');
  const modelFile = join(dir, 'models', `${EMBEDDED_MODEL_NAME}.gguf`);
  return existsSync(python) && existsSync(modelFile) ? { python, modelFile } : undefined;
}

/** The full run sets the model up where it is missing (setup.sh may download it); the smoke run never does. */
async function findModel(smoke: boolean): Promise<EmbeddedModel | string> {
  const dirs = modelDirs();
  const ready = dirs.find((d) => modelInstalled(d));
  if (smoke) {
    return ready
      ? modelInstalled(ready)!
      : `no embedded model in ${dirs.join(' or ')}; a smoke run downloads nothing (npm run test:setup sets it up)`;
  }
  return ensureEmbeddedModel({ dir: ready ?? dirs[0]! });
}

export async function benchRealServer(
  opts: { smoke?: boolean; args?: readonly string[] } = {},
): Promise<void | { skipped: string }> {
  const model = await findModel(opts.smoke ?? false);
  if (typeof model === 'string') return { skipped: model };
  const pairs = opts.smoke ? SMOKE_PAIRS : PAIRS;
  const ws = await openWorkspace('examples/workspace');
  // In-memory prompts: the workspace's PromptStore would write default prompt files into examples/.
  const judge = await new PromptStore().get('judge');
  const jobsOf = (userId: string): Job[] => {
    const s = pairsBySplit(ws.index.user(userId)!);
    // The smoke run keeps one demo: a prompt of about 600 tokens instead of 3,000, the same calls in seconds.
    const system = judgeSystem(judge.text, profileOf(userId, opts.smoke ? s.context.slice(0, 1) : s.context));
    // Test pairs first; a user with fewer test pairs is topped up from validation so both runs judge as many.
    return [...s.test, ...s.validation].slice(0, pairs).map((pair) => ({ system, pair }));
  };
  const jobs = Object.fromEntries(NAIVE_USERS.map((u) => [u, jobsOf(u)]));
  const logDir = mkdtempSync(join(tmpdir(), 'sm-real-bench-'));
  let failed = true;
  try {
    console.log(
      `real: llama-server ${EMBEDDED_MODEL_NAME}, ctx 8192, 1 slot, 1 thread, a fresh server per run; ada's system message ${jobs.ada![0]!.system.length} chars (persona + ${opts.smoke ? 1 : pairsBySplit(ws.index.user('ada')!).context.length} demos)${opts.smoke ? ' (smoke)' : ''}`,
    );
    // A: the engine's order (evaluate()'s: all of one user's pairs, both orders, queued at once).
    const a = await run(model, logDir, (llm) => judgeAll(llm, jobs.ada!, ws.split.seed, true));
    const cols: [string, number][] = [
      ['calls', 5],
      ['computed', 9],
      ['cached', 7],
      ['share', 6],
      ['warm share', 11],
      ['wall s', 7],
      ['prompt tok/s', 13],
      ['gen tok', 8],
      ['accuracy', 9],
    ];
    const row = (name: string, cells: string[]) =>
      console.log(`real: ${name.padEnd(44)}${cells.map((c, i) => ' ' + c.padStart(cols[i]![1])).join('')}`);
    row(
      'run',
      cols.map(([h]) => h),
    );
    const line = (name: string, r: RunFigures) => {
      const s = r.wallMs / 1000;
      const prompt = sum(r.calls, (c) => c.promptN + c.cacheN);
      row(name, [
        String(r.calls.length),
        String(sum(r.calls, (c) => c.promptN)),
        String(sum(r.calls, (c) => c.cacheN)),
        pct(share(r.calls)),
        pct(share(r.calls, true)),
        s.toFixed(1),
        (prompt / s).toFixed(0),
        String(sum(r.calls, (c) => c.predictedN)),
        pct(r.accuracy),
      ]);
    };
    line(`A engine: ada, ${jobs.ada!.length} pairs x 2, concurrency 1`, a);
    // B: a naive client: one pair of each user in turn (ada, bruno, ada, ...), both orders of a pair together.
    const interleaved: Job[] = [];
    for (let i = 0; i < pairs; i++) for (const u of NAIVE_USERS) if (jobs[u]![i]) interleaved.push(jobs[u]![i]!);
    const b = await run(model, logDir, (llm) => judgeAll(llm, interleaved, ws.split.seed, false));
    line(`B naive: ${NAIVE_USERS.join('/')} interleaved, concurrency 1`, b);
    const perUser = NAIVE_USERS.map(
      (u) => `${u} ${pct(share(b.calls.filter((c) => c.system === jobs[u]![0]!.system)))}`,
    );
    console.log(
      `real: computed = prompt_n, cached = cache_n; warm share leaves out each user's first call (an empty cache cannot serve it); B per user: ${perUser.join(', ')}`,
    );
    const all = [...a.calls, ...b.calls];
    const real = all.map((c) => c.promptN + c.cacheN);
    const ratios = all.map((c, i) => c.estimate / real[i]!);
    const usageAgrees = all.every((c, i) => c.promptTokens === undefined || c.promptTokens === real[i]);
    console.log(
      `real: estimateTokens / server prompt tokens: ${(sum(all, (c) => c.estimate) / real.reduce((x, y) => x + y, 0)).toFixed(2)} (per call ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}); usage.prompt_tokens ${usageAgrees ? '= prompt_n + cache_n' : 'differs from prompt_n + cache_n'}`,
    );
    const goal = share(a.calls);
    console.log(
      `real: goal: >= 80% of a user's judge-prompt tokens from the prefix cache (run A, first call counted: ${pct(goal)}): ${goal >= 0.8 ? 'met' : 'NOT met'}`,
    );
    await benchRealSlots(model, { smoke: opts.smoke ?? false, args: opts.args ?? [], logDir });
    failed = false;
  } finally {
    // Logs are kept when something failed (their path was printed); a clean run leaves nothing behind.
    if (failed) console.log(`real: server logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}
