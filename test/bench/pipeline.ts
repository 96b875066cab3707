// Issue 6's benchmark: `bench prepare` over a generated Chatbot-Arena-sized raw set (33,000 rows,
// 13,000 users) with loopback judges at a fixed latency. Figures: wall time over the ideal given
// the concurrency (goal: at most 1.05) and peak memory (RSS).
//
// The ideal: every call takes exactly L ms and C calls are in flight, so the classifier step
// costs ceil(n1 / C) x L and the judge step, where the J judge models run side by side with C / J
// slots each (C in flight in all, as in the classifier step), ceil(max_j n_j / (C / J)) x L. Everything else (reading the raw file,
// filtering, splitting, writing the output, the cache) is overhead counted against the ratio.
// The loopback server runs in a child process, as a real server would, so that its own work does
// not count against the pipeline. A second run is served from the cache (0 calls).

import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { createRng, hashString, randomInt } from '../../src/core/random';
import { readRawInput } from '../../src/core/bench/raw-input';
import { preparePipeline } from '../../src/core/bench/prepare';
import { writeNativeJsonl } from '../../src/core/data/importers/index';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { startLoopbackOllama } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { benchDir } from './bench-dir';

export const PIPELINE_CHILD_FLAG = '__bench-pipeline-loopback';

export interface PipelineBenchOptions {
  rows?: number;
  users?: number;
  /** Users with 10 pairs each (they pass the 5-pair filter); default 1,000. */
  bigUsers?: number;
  latencyMs?: number;
  concurrency?: number;
  judges?: number;
  /** Share of pairs the classifier calls personalizable. */
  personalizable?: number;
  /** Use the response cache (default true): a real run does, and it makes the re-run free. */
  cache?: boolean;
  print?: (line: string) => void;
}

const WORDS =
  'the a answer question step list source formal concise detail example code recipe travel budget health science history because however therefore first second finally consider'.split(
    ' ',
  );

function sentence(rng: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[randomInt(rng, WORDS.length)]!);
  return out.join(' ') + '.';
}

/**
 * Arena rows, written to `path` as they are made (the generator must not weigh on the measured
 * memory): `big` users with 10 pairs each (they pass the 5-pair filter; about the paper's 10,092
 * pairs / 1,004 users) and the other users with 1 or 2 pairs; every 7th row multi-turn.
 */
export function generateArena(path: string, rows: number, users: number, big = 1000): { bytes: number } {
  const rng = createRng(7);
  const rest = rows - big * 10;
  const small = users - big;
  // Small users: `twos` of them with 2 pairs, the others with 1.
  const twos = rest - small;
  const perUser: number[] = [
    ...Array<number>(big).fill(10),
    ...Array.from({ length: small }, (_, i) => (i < twos ? 2 : 1)),
  ];
  const fd = openSync(path, 'w');
  let bytes = 0;
  let chunk: string[] = [];
  const flush = () => {
    const buf = Buffer.from(chunk.join(''));
    writeSync(fd, buf);
    bytes += buf.length;
    chunk = [];
  };
  let q = 0;
  perUser.forEach((n, u) => {
    for (let i = 0; i < n; i++) {
      q++;
      const multi = q % 7 === 0;
      const prefix = multi
        ? [
            { role: 'user', content: sentence(rng, 10) },
            { role: 'assistant', content: sentence(rng, 30) },
          ]
        : [];
      const question = { role: 'user', content: sentence(rng, 14) };
      chunk.push(
        JSON.stringify({
          question_id: `q${q}`,
          model_a: 'model-x',
          model_b: 'model-y',
          winner: q % 2 ? 'model_a' : 'model_b',
          judge: `arena_user_${u}`,
          conversation_a: [...prefix, question, { role: 'assistant', content: sentence(rng, 60) }],
          conversation_b: [...prefix, question, { role: 'assistant', content: sentence(rng, 60) }],
          turn: multi ? 2 : 1,
          language: 'English',
          tstamp: 1700000000 + q,
        }) + '\n',
      );
      if (chunk.length === 1000) flush();
    }
  });
  flush();
  closeSync(fd);
  return { bytes };
}

/** Fast, deterministic answers: a share of pairs personalizable, judges by a hash of the prompt. */
function brainFor(share: number) {
  return (req: BrainRequest): string => {
    const user = req.messages[req.messages.length - 1]?.content ?? '';
    const h = hashString(user);
    const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
    if ('personalizable' in props)
      return JSON.stringify({ reason: 'taste', personalizable: ((h >>> 8) % 1000) / 1000 < share });
    // FNV's low bit is the parity of the characters: both orders would get the same letter.
    return JSON.stringify({ reasoning: 'r', preference: (hashString(req.model + user) >>> 16) % 2 ? 'A' : 'B' });
  };
}

/** The loopback server in a child process (this same bundle, started with PIPELINE_CHILD_FLAG). */
async function startServerProcess(
  latencyMs: number,
  share: number,
  models: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(process.argv[1]!, [PIPELINE_CHILD_FLAG, String(latencyMs), String(share), models.join(',')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve(String(m)));
    child.once('exit', (code) => reject(new Error(`loopback server process exited (${code})`)));
  });
  return { url, child };
}

function serverCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (typeof m === 'string' && m.startsWith('cpu:')) {
        child.off('message', on);
        resolve(Number(m.slice(4)));
      }
    };
    child.on('message', on);
    child.send('cpu');
  });
}

if (process.argv[2] === PIPELINE_CHILD_FLAG) {
  const [latency, share, models] = process.argv.slice(3);
  void startLoopbackOllama({
    brain: brainFor(Number(share)),
    latencyMs: Number(latency),
    models: models!.split(','),
    chunkChars: 4096,
  }).then((s) => {
    process.send!(s.url);
    process.on('message', (m) => {
      if (m === 'cpu') {
        const c = process.cpuUsage();
        process.send!(`cpu:${(c.user + c.system) / 1000}`);
      }
    });
    process.on('disconnect', () => void s.close().then(() => process.exit(0)));
  });
}

export async function benchPipeline(options: PipelineBenchOptions = {}): Promise<void> {
  const print = options.print ?? ((l: string) => console.log(l));
  const rows = options.rows ?? 33_000;
  const users = options.users ?? 13_000;
  const L = options.latencyMs ?? 320;
  const C = options.concurrency ?? 128;
  const nJudges = options.judges ?? 2;
  const share = options.personalizable ?? 0.2;
  const dir = benchDir('sm-bench-pipeline-');
  const judgesNames = Array.from({ length: nJudges }, (_, i) => `judge-${i + 1}`);
  const server = await startServerProcess(L, share, ['classifier', ...judgesNames]);
  try {
    const rawPath = join(dir, 'arena.jsonl');
    const gen = generateArena(rawPath, rows, users, options.bigUsers);
    print(
      `raw: ${rows} rows, ${users} users, ${(gen.bytes / 1048576).toFixed(1)} MB; latency L = ${L} ms, concurrency C = ${C} (classifier; ${Math.max(1, Math.floor(C / nJudges))} for each of ${nJudges} judge models), ${Math.round(share * 100)}% personalizable; loopback Ollama in a child process; cache ${options.cache === false ? 'off' : 'on'}`,
    );
    const Cj = Math.max(1, Math.floor(C / nJudges));
    const open = (model: string, concurrency: number): Llm =>
      createLlm(
        { provider: 'ollama', baseUrls: [server.url], model, concurrency, stream: false },
        options.cache === false ? { noCache: true } : { cacheDir: join(dir, 'cache') },
      );

    for (const pass of ['live', 'cached']) {
      const classifier = open('classifier', C);
      const judges = judgesNames.map((m) => open(m, Cj));
      const stepStart = new Map<string, number>();
      const stepEnd = new Map<string, number>();
      const serverCpu0 = await serverCpuMs(server.child);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const raw = await readRawInput({ kind: 'arena', files: [rawPath] });
      const t1 = performance.now();
      const result = await preparePipeline(raw.records, {
        minPairs: 5,
        agreement: [0.1, 0.9],
        splits: [50, 20, 30],
        seed: 0,
        temperature: 0,
        classifier,
        classifierPrompt: DEFAULT_PROMPTS.personalizable,
        judges,
        judgePrompt: DEFAULT_PROMPTS.judge,
        onProgress: (step, done, total) => {
          if (!stepStart.has(step)) stepStart.set(step, performance.now());
          if (done === total) stepEnd.set(step, performance.now());
        },
      });
      const t2 = performance.now();
      await writeNativeJsonl(result.records, join(dir, 'out.prefs.jsonl'));
      const t3 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      const serverCpu = (await serverCpuMs(server.child)) - serverCpu0;
      const n1 = classifier.counters().calls + classifier.counters().cacheHits;
      const nj = judges.map((j) => j.counters().calls + j.counters().cacheHits);
      const calls = classifier.counters().calls + judges.reduce((s, j) => s + j.counters().calls, 0);
      const idealMs = L * (Math.ceil(n1 / C) + Math.ceil(Math.max(...nj) / Cj));
      const wall = t3 - t0;
      const steps = result.report.steps.map((s) => `${s.step} ${s.counts.pairs}/${s.counts.users}`).join(', ');
      if (pass === 'live') {
        const cls = (stepEnd.get('personalizable')! - stepStart.get('personalizable')!) / (L * Math.ceil(n1 / C));
        const jdg = (stepEnd.get('judges')! - stepStart.get('judges')!) / (L * Math.ceil(Math.max(...nj) / Cj));
        print(
          `steps (pairs/users): ${steps}; median pairs per user after step 4: ${result.report.steps[4]!.counts.medianPairsPerUser}`,
        );
        print(
          `calls: ${n1} classifier + ${nj.join(' + ')} judge = ${calls} made; ideal ${(idealMs / 1000).toFixed(2)} s`,
        );
        const lat = [classifier, ...judges].reduce((s, l) => s + l.counters().latencyMs, 0) / Math.max(1, calls);
        print(`mean call latency seen by the client: ${lat.toFixed(1)} ms (server latency ${L} ms)`);
        print(
          `CPU: this process ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)}% of one core (${((cpu.user + cpu.system) / 1000 / Math.max(1, calls)).toFixed(2)} ms per call), the server process ${((serverCpu / wall) * 100).toFixed(0)}% (${(serverCpu / Math.max(1, calls)).toFixed(2)} ms per call)`,
        );
        print(
          `wall ${(wall / 1000).toFixed(2)} s (read ${((t1 - t0) / 1000).toFixed(2)} s, pipeline ${((t2 - t1) / 1000).toFixed(2)} s, write ${((t3 - t2) / 1000).toFixed(2)} s)`,
        );
        print(
          `ratio over the ideal with the measured mean latency (the pipeline's own overhead): ${(wall / ((idealMs / L) * lat)).toFixed(3)}`,
        );
        print(
          `ratio wall / ideal: ${(wall / idealMs).toFixed(3)} (goal <= 1.05); per step: classifier ${cls.toFixed(3)}, judges ${jdg.toFixed(3)}`,
        );
      } else {
        print(`re-run from the cache: ${calls} calls, ${(wall / 1000).toFixed(2)} s`);
      }
      await classifier.dispose();
      for (const j of judges) await j.dispose();
    }
    // getrusage's high-water mark: no sampling needed (sampling /proc costs CPU in the measured run).
    print(
      `peak RSS: ${((process.resourceUsage().maxRSS * 1024) / 1048576).toFixed(0)} MB (this process, both passes; the server process is apart)`,
    );
  } finally {
    server.child.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
