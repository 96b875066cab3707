// Issue 15, part 2: how many collected pairs does it take to reach a given test accuracy when the next pair
// to ask is chosen ACTIVELY ("ask next": the pair the current persona judge is least sure about) or at
// RANDOM? `npm run bench -- collect`. A SIMULATION: the loopback Ollama server answers with the simulated
// brain (a competent judge that reads the real prompts), and the people asked are simulated users with
// hidden traits who answer with their pair's true choice. It shows the plumbing and the strategy's
// behaviour on these users; it is no accuracy claim for a real model or real people. Printed, never asserted.
//
// Design:
// - Users: the six trait profiles of the simulated panel (simulated-users.ts), 44 pairs each. Per user a
//   FIXED split (seeded by the user id): 8 validation pairs, 16 test pairs, 20 in the POOL, whose labels
//   stay hidden until a pair is asked (the simulated person then answers with the pair's true choice).
// - Per seed, both strategies start from the same 2 seed pairs drawn from the pool. Each step adds one pool
//   pair, then refits (fitUser: the collected pairs as context, the validation pairs as validation; k = 1,
//   stop score 0.8, 4 labelled demos, temperature 0, the seed as the fit's seed) and judges the TEST pairs
//   in both orders with the fit's persona+demos judge (accuracy from figures()). Sizes 2..14.
// - The pick: one rng per (seed, user, step), the same for both strategies (common random numbers). It
//   shuffles the remaining pool; RANDOM asks the first pair. ACTIVE takes the first 4 as candidates, each
//   shown with its responses in a seeded random order and no label, and asks the one chooseMostInformative
//   picks with the persona+demos judge of the CURRENT fit (the default judge prompt, no persona, only if
//   there were no fit yet, which never happens here: the 2 seed pairs are fitted first). When the judge
//   is sure about all 4 (uncertainty 0) ACTIVE asks the first, i.e. RANDOM's pick as long as the two
//   trajectories have the same pool left: they part only where the judge was unsure (counted and printed).
// - Curves: per size, a user's accuracy is averaged over the seeds, then the users' means are averaged,
//   with a 95% Student-t interval across the users (active-curve.ts). For each target, the first size
//   whose mean reaches it. Also the default judge (no persona) on the same test pairs, the calls (server
//   calls and cache hits: a shared cache under a temporary folder, so identical fits cost nothing twice)
//   and the wall time. Every (user, seed, strategy) trajectory runs concurrently through one client.

import { openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PreferenceAppender, type AppendIo, type CollectedRecord } from '../../src/core/collect/append-pair';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { generateUser, type SimulatedRecord, type SimulatedUser, type Trait } from '../support/simulated-users';
import { averageCurve, firstReaching, type CurvePoint, type CurveRun } from '../support/active-curve';
import { createRng, shuffled } from '../../src/core/random';
import type { Pair } from '../../src/core/data/pair';
import { createLlm } from '../../src/core/llm/client';
import { CountingModel } from '../../src/core/llm/counting-model';
import type { ChatModel } from '../../src/core/llm/types';
import { fitUser, type FitOptions, type FitPrompts } from '../../src/core/method/fit';
import { judgePair } from '../../src/core/method/judge';
import { judgeSystem } from '../../src/core/method/messages';
import { DEFAULT_PROMPTS, type PromptName } from '../../src/core/method/default-prompts';
import { promptHash, type Prompt } from '../../src/core/method/prompt-store';
import { figures } from '../../src/core/eval/evaluate';
import { chooseMostInformative, type Candidate } from '../../src/core/collect/informative';
import { benchDir } from './bench-dir';

const MODEL = 'llama3.1:8b';
const PROFILES: [string, Trait[]][] = [
  ['sim-ana', ['concise']],
  ['sim-ben', ['steps']],
  ['sim-chloe', ['sources', 'no-emoji']],
  ['sim-dev', ['code']],
  ['sim-elena', ['formal']],
  ['sim-farid', ['concise', 'steps']],
];
const PAIRS_PER_USER = 44;
const VALIDATION = 8;
const TEST = 16;
const SEED_PAIRS = 2;
const MAX_SIZE = 14;
const BATCH = 4;
const SEEDS = [1, 2, 3];
const TARGETS = [0.6, 0.7, 0.8, 0.85];
/** How much the bench runs: the full curve, or the smoke run's few steps of two users and one seed. */
interface Scale {
  profiles: [string, Trait[]][];
  seeds: number[];
  maxSize: number;
}
const FULL: Scale = { profiles: PROFILES, seeds: SEEDS, maxSize: MAX_SIZE };
const SMOKE: Scale = { profiles: PROFILES.slice(0, 2), seeds: [1], maxSize: SEED_PAIRS + 2 };
const FIT: Omit<FitOptions, 'seed'> = { temperature: 0, k: 1, stopScore: 0.8, labeledDemos: 4 };

type Strategy = 'random' | 'active';

const prompt = (name: PromptName): Prompt => ({
  name,
  text: DEFAULT_PROMPTS[name],
  hash: promptHash(DEFAULT_PROMPTS[name]),
});

function asPair(r: SimulatedRecord, line: number): Pair {
  return {
    userId: r.user_id,
    pairId: r.pair_id,
    context: r.context,
    chosen: { role: 'assistant', content: r.chosen },
    rejected: { role: 'assistant', content: r.rejected },
    source: { file: `${r.user_id}.prefs.jsonl`, line, column: 1, endLine: line, endColumn: 1 },
  };
}

interface UserSplit {
  id: string;
  validation: Pair[];
  test: Pair[];
  pool: Pair[];
}

function splitOf(user: SimulatedUser): UserSplit {
  const pairs = shuffled(
    user.records.map((r, i) => asPair(r, i + 1)),
    createRng(`collect-bench:split:${user.id}`),
  );
  return {
    id: user.id,
    validation: pairs.slice(0, VALIDATION),
    test: pairs.slice(VALIDATION, VALIDATION + TEST),
    pool: pairs.slice(VALIDATION + TEST),
  };
}

async function testAccuracy(model: ChatModel, system: string, test: readonly Pair[], seed: number): Promise<number> {
  const verdicts = await Promise.all(test.map((p) => judgePair(model, system, p, { temperature: 0, seed })));
  return figures(verdicts, seed).accuracy;
}

interface Trajectory extends CurveRun {
  strategy: Strategy;
  /** ACTIVE only: steps at which the chosen candidate had uncertainty 2 (the judge contradicted itself), 1, 0. */
  uncertainty: [number, number, number];
  /** ACTIVE only: steps at which it asked another pair than RANDOM's pick from the same shuffle. */
  departures: number;
}

async function trajectory(
  model: ChatModel,
  prompts: FitPrompts,
  u: UserSplit,
  seed: number,
  strategy: Strategy,
  maxSize: number,
): Promise<Trajectory> {
  const remaining = shuffled(u.pool, createRng(`collect-bench:${seed}:${u.id}:seed-pairs`));
  const collected = remaining.splice(0, SEED_PAIRS);
  const accuracy: number[] = [];
  const uncertainty: [number, number, number] = [0, 0, 0];
  let departures = 0;
  for (;;) {
    const fit = await fitUser(model, u.id, collected, u.validation, prompts, { ...FIT, seed });
    // The judge of the current fit: it measures the test accuracy and, for ACTIVE, chooses the next pair.
    const current = judgeSystem(prompts.judge.text, { persona: fit.persona, demos: fit.demos });
    accuracy.push(await testAccuracy(model, current, u.test, seed));
    if (collected.length >= maxSize) break;
    const rng = createRng(`collect-bench:${seed}:${u.id}:step${collected.length}`);
    const order = shuffled(remaining, rng);
    let pick = order[0]!;
    if (strategy === 'active') {
      const batch = order.slice(0, BATCH);
      const candidates: Candidate[] = batch.map((p) => ({
        context: p.context,
        responses: rng() < 0.5 ? [p.chosen.content, p.rejected.content] : [p.rejected.content, p.chosen.content],
      }));
      const choice = await chooseMostInformative(model, u.id, candidates, { current }, { temperature: 0, seed });
      uncertainty[2 - choice.uncertainty] += 1;
      if (choice.index !== 0) departures++;
      pick = batch[choice.index]!;
    }
    // "Asked": the simulated person answers with the pair's true choice, so the pair joins as it is.
    remaining.splice(remaining.indexOf(pick), 1);
    collected.push(pick);
  }
  return { user: u.id, accuracy, strategy, uncertainty, departures };
}

const pct = (x: number) => (Number.isNaN(x) ? '  n/a' : `${(100 * x).toFixed(1).padStart(5)}`);

export async function benchCollect(opts: { smoke?: boolean } = {}): Promise<void> {
  const scale = opts.smoke ? SMOKE : FULL;
  const t0 = performance.now();
  const brain = simulatedBrain();
  const server = await startLoopbackOllama({ brain: adaptBrain(brain), models: [MODEL] });
  const cacheDir = benchDir('sm-bench-collect-');
  // Disposed at the end: its cache holds open file handles, which would otherwise be closed by the garbage collector.
  const llm = createLlm(
    { provider: 'ollama', baseUrls: [server.url], model: MODEL, stream: false, concurrency: 8 },
    { cacheDir },
  );
  try {
    const model = new CountingModel(llm);
    const prompts: FitPrompts = {
      bootstrap: prompt('bootstrap'),
      personaSynthesis: prompt('persona-synthesis'),
      judge: prompt('judge'),
    };
    const users = scale.profiles.map(([id, traits]) =>
      splitOf(generateUser({ id, traits, pairs: PAIRS_PER_USER, seed: 1 })),
    );
    const sizes = Array.from({ length: scale.maxSize - SEED_PAIRS + 1 }, (_, i) => SEED_PAIRS + i);

    console.log(
      'collect: SIMULATION. Simulated users with hidden traits answer with their true choice; the judge is the simulated brain',
    );
    console.log(
      'collect: behind a loopback Ollama server. This shows the plumbing and how the strategy behaves on these users,',
    );
    console.log('collect: not the accuracy of a real model on real people.');
    console.log(
      `collect: ${users.length} users x ${scale.seeds.length} seeds${opts.smoke ? ' (smoke)' : ''}; per user ${VALIDATION} validation, ${TEST} test (both orders), ${users[0]!.pool.length} pool pairs;`,
    );
    console.log(
      `collect: ${SEED_PAIRS} seed pairs, then one asked pair per step up to ${scale.maxSize}; ACTIVE picks from ${BATCH} random pool pairs; fit k=${FIT.k}, stop ${FIT.stopScore}, ${FIT.labeledDemos} labelled demos`,
    );

    const baseline = await Promise.all(
      users.map((u) => testAccuracy(model, judgeSystem(prompts.judge.text, {}), u.test, 0)),
    );

    // The server records every chat; forget them as the run goes, or 30,000 prompts stay in memory.
    const trim = setInterval(() => void (server.chats.length = 0), 2000);
    let runs: Trajectory[];
    try {
      runs = await Promise.all(
        users.flatMap((u) =>
          scale.seeds.flatMap((seed) =>
            (['random', 'active'] as const).map((s) => trajectory(model, prompts, u, seed, s, scale.maxSize)),
          ),
        ),
      );
    } finally {
      clearInterval(trim);
    }
    const seconds = (performance.now() - t0) / 1000;

    const curves: Record<Strategy, CurvePoint[]> = {
      random: averageCurve(
        sizes,
        runs.filter((r) => r.strategy === 'random'),
      ),
      active: averageCurve(
        sizes,
        runs.filter((r) => r.strategy === 'active'),
      ),
    };
    console.log(
      `collect: default judge (no persona) on the same test pairs: ${pct(baseline.reduce((s, a) => s + a, 0) / baseline.length).trim()}%`,
    );
    console.log(
      'collect: test accuracy (%) by collected pairs, mean over users of the mean over seeds, [95% t-interval across users]',
    );
    console.log('collect:  pairs   random [  95% CI   ]   active [  95% CI   ]   active-random');
    for (let i = 0; i < sizes.length; i++) {
      const r = curves.random[i]!;
      const a = curves.active[i]!;
      const d = 100 * (a.mean - r.mean);
      console.log(
        `collect: ${String(sizes[i]).padStart(6)}   ${pct(r.mean)}  [${pct(r.low)} ${pct(r.high)}]   ${pct(a.mean)}  [${pct(a.low)} ${pct(a.high)}]   ${(d >= 0 ? '+' : '') + d.toFixed(1)}`,
      );
    }
    for (const t of TARGETS) {
      const say = (s: Strategy) => {
        const n = firstReaching(curves[s], t);
        return n === null ? `not reached by ${scale.maxSize}` : `${n} pairs`;
      };
      console.log(`collect: to reach ${(100 * t).toFixed(0)}%: random ${say('random')}, active ${say('active')}`);
    }
    // One number per curve: the mean accuracy over the sizes after the seed pairs (the area under the curve).
    const later = (c: CurvePoint[]) => c.slice(1).reduce((s, p) => s + p.mean, 0) / (c.length - 1);
    console.log(
      `collect: mean over ${SEED_PAIRS + 1}..${scale.maxSize} pairs: random ${pct(later(curves.random)).trim()}%, active ${pct(later(curves.active)).trim()}%`,
    );
    const active = runs.filter((r) => r.strategy === 'active');
    const steps = active.reduce((s, r) => s + r.uncertainty[0] + r.uncertainty[1] + r.uncertainty[2], 0);
    const unsure = active.reduce((s, r) => s + r.uncertainty[0], 0);
    const departed = active.reduce((s, r) => s + r.departures, 0);
    console.log(
      `collect: active steps: ${steps}; the judge contradicted itself on the chosen candidate in ${unsure}, was sure of all ${BATCH} in ${active.reduce((s, r) => s + r.uncertainty[2], 0)}; asked another pair than random's in ${departed}`,
    );
    console.log(
      `collect: ${runs.length} trajectories, ${runs.length * sizes.length} fits; LLM calls: ${model.usage.calls.toLocaleString('en-US')} to the server, ${model.usage.cacheHits.toLocaleString('en-US')} cache hits; brain confused: ${JSON.stringify(brain.stats().confused)}; wall time ${seconds.toFixed(1)} s`,
    );
  } finally {
    await llm.dispose();
    await server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Counts the bytes read through the appender's file handles. */
export function countingIo(): AppendIo & { bytesRead: number; readFileCalls: number } {
  const io = {
    bytesRead: 0,
    readFileCalls: 0,
    open: async (path: string, flags: number, mode?: number): Promise<FileHandle> => {
      const fh = await openFile(path, flags, mode);
      return new Proxy(fh, {
        get(target, key) {
          if (key === 'read') {
            return async (...a: Parameters<FileHandle['read']>) => {
              const r = await (target.read as (...x: unknown[]) => Promise<{ bytesRead: number }>)(...a);
              io.bytesRead += r.bytesRead;
              return r;
            };
          }
          if (key === 'readFile') io.readFileCalls++;
          const v = Reflect.get(target, key) as unknown;
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
  return io;
}

export function collectedRecord(i: number): CollectedRecord {
  return {
    user_id: 'bench',
    pair_id: `collected-bench-${i}`,
    context: [{ role: 'user', content: `How do I undo commit number ${i}?` }],
    chosen:
      'git revert <sha> makes a new commit that undoes it; git reset --hard HEAD~1 drops it if it was never pushed.',
    rejected: 'You cannot.',
    meta: {
      collected: {
        at: new Date().toISOString(),
        sources: { chosen: 'a', rejected: 'b' },
        shown: ['chosen', 'rejected'],
      },
    },
  };
}

/** A JSONL preference file of about `mb` megabytes. */
export function writeLargeJsonl(path: string, mb: number): number {
  const fd = openSync(path, 'w');
  const line = (i: number) =>
    JSON.stringify({
      user_id: `user-${i % 500}`,
      pair_id: `p-${i}`,
      context: [{ role: 'user', content: `Question ${i}: ${'some words of context '.repeat(8)}` }],
      chosen: 'a good answer '.repeat(20),
      rejected: 'a worse one '.repeat(20),
    }) + '\n';
  let chunk = '';
  let written = 0;
  for (let i = 0; written + chunk.length < mb * 1048576; i++) {
    chunk += line(i);
    if (chunk.length > 1 << 20) {
      written += writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return statSync(path).size;
}

/**
 * Issue 20: what an append costs on a large preference file. The file is read once when the session opens
 * its appender; each append then reads only the file's last line. Printed, never asserted; `smoke` uses a
 * 1 MB file so that the unit tests can run it.
 */
export async function benchAppend(
  opts: { smoke?: boolean } = {},
): Promise<{ perAppendBytes: number; fileBytes: number }> {
  const dir = benchDir('sm-bench-append-');
  const picks = 5;
  try {
    const path = join(dir, 'big.prefs.jsonl');
    const bytes = writeLargeJsonl(path, opts.smoke ? 1 : 64);
    const io = countingIo();
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const appender = await PreferenceAppender.open(path, 'big.prefs.jsonl', io);
    const opened = performance.now() - t0;
    const rssOpen = process.memoryUsage().rss;
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t1 = performance.now();
    for (let i = 0; i < picks; i++) await appender.append(collectedRecord(i));
    const perAppend = (performance.now() - t1) / picks;
    const heap = process.memoryUsage().heapUsed - heap0;
    const mb = (n: number) => (n / 1048576).toFixed(1);
    console.log(
      `collect append: ${mb(bytes)} MB JSONL file${opts.smoke ? ' (smoke)' : ''}; opening the session's appender (the one whole read): ${opened.toFixed(0)} ms, rss +${mb(rssOpen - rss0)} MB`,
    );
    console.log(
      `collect append: ${picks} appends: ${perAppend.toFixed(2)} ms and ${Math.round(io.bytesRead / picks).toLocaleString('en-US')} bytes read per append, heap +${mb(Math.max(0, heap))} MB over all ${picks}${global.gc ? '' : ' (run with --expose-gc for exact figures)'}`,
    );
    return { perAppendBytes: io.bytesRead / picks, fileBytes: bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
