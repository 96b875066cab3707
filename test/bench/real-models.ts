// `npm run bench -- real-models [--repeats=N] [--models=a,b] [--slots=N]`: which embedded model follows
// instructions, measured on this machine. For each candidate (Gemma 3 270M base, Qwen2.5-Coder 0.5B and 1.5B
// Instruct) it starts llama.cpp's server (ctx 8192, N slots (default 2) and as many calls in flight, all cores)
// and runs the semantic suite (test/real-model/semantic-suite.ts) N times through the built CLI: parse rate,
// loops, instruction following (the three semantic checks, with the margins the semantic layer asserts), seconds
// per call, and the spread of each condition's accuracy across the runs: with several slots, continuous batching
// makes temperature 0 non-deterministic, and the spread measures it. Seconds are wall time on a shared machine.
// Figures, never assertions: the semantic layer asserts; this chooses the model and its margins.
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  embeddedDir,
  ensureEmbeddedModel,
  INSTRUCT_MODELS,
  startLlamaServer,
  withModel,
  type InstructModel,
} from '../../tools/embedded-model/llama-server';
import {
  checks,
  CONDITIONS,
  figuresLine,
  runSemantic,
  SEMANTIC_PAIRS,
  USERS,
  type SemanticFigures,
} from '../real-model/semantic-suite';

type Candidate = 'gemma' | InstructModel;
const ALL: Candidate[] = ['gemma', ...(Object.keys(INSTRUCT_MODELS) as InstructModel[])];

/** `--name=value` (the bench runner takes every bare word for a bench's name). */
function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function modelDir(): string {
  if (process.env.SYNTHESIZEME_EMBEDDED_DIR) return process.env.SYNTHESIZEME_EMBEDDED_DIR;
  if (process.env.TOOLS) return join(process.env.TOOLS, 'embedded-model');
  return process.env.HOME ? join(homedir(), '.cache', 'vscode-test-tools', 'embedded-model') : embeddedDir();
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function summary(name: Candidate, runs: SemanticFigures[]): void {
  const all = runs.flatMap((r) => CONDITIONS.map((c) => r[c]));
  const samples = all.reduce((n, x) => n + x.samples, 0);
  const parsed = samples - all.reduce((n, x) => n + x.unparseable + x.failed, 0);
  const loops = all.reduce((n, x) => n + x.loops, 0);
  const spc = all.reduce((n, x) => n + x.secondsPerCall * x.samples, 0) / samples;
  const results = runs.map(checks);
  const rates = results[0]!.map((c, i) => `${c.name} ${results.filter((r) => r[i]!.pass).length}/${runs.length}`);
  const spread = CONDITIONS.map((c) => {
    const xs = runs.map((r) => r[c].accuracy);
    return `${c} ${(100 * (Math.max(...xs) - Math.min(...xs))).toFixed(1)}`;
  }).join(', ');
  const mean = (c: (typeof CONDITIONS)[number], f: 'accuracy' | 'bShare') =>
    pct(runs.reduce((n, r) => n + r[c][f], 0) / runs.length);
  console.log(
    `real-models: ${name}: parsed ${parsed}/${samples} (${pct(parsed / samples)}), ${loops} loops, ${spc.toFixed(2)} s per call; ` +
      `mean accuracy none ${mean('none', 'accuracy')}, persona ${mean('persona', 'accuracy')}, opposite ${mean('opposite', 'accuracy')}; ` +
      `always-B answers B ${mean('always-b', 'bShare')} (intact: ${mean('none', 'bShare')}); passes: ${rates.join(', ')}; ` +
      `spread of accuracy across the ${runs.length} runs, points: ${spread}`,
  );
}

export async function benchRealModels(opts: { smoke?: boolean } = {}): Promise<void | { skipped: string }> {
  if (opts.smoke) return { skipped: 'minutes of a real model per candidate: never in a smoke run' };
  const repeats = Number(arg('--repeats') ?? 3);
  const slots = Number(arg('--slots') ?? 2);
  const chosen = (arg('--models')?.split(',') ?? ALL) as Candidate[];
  for (const c of chosen) if (!ALL.includes(c)) throw new Error(`unknown model ${c} (${ALL.join(', ')})`);
  const installed = await ensureEmbeddedModel({
    dir: modelDir(),
    models: chosen,
    onLine: (l) => console.log(`real-models: ${l}`),
  });
  const logDir = mkdtempSync(join(tmpdir(), 'sm-real-models-'));
  console.log(
    `real-models: ${repeats} runs of the semantic suite per model (${SEMANTIC_PAIRS.length} pairs x 2 orders x ${USERS.length} users x 4 conditions, ${SEMANTIC_PAIRS.length * 2 * 6} model calls a run); ${slots} slots, ctx 8192, ${process.env.SYNTHESIZEME_BENCH_THREADS ?? 'all'} threads`,
  );
  try {
    for (const name of chosen) {
      const model = withModel(installed, name);
      const t = Date.now();
      const server = await startLlamaServer({ ...model, ctx: 8192, parallel: slots, logDir });
      const load = (Date.now() - t) / 1000;
      const runs: SemanticFigures[] = [];
      try {
        for (let i = 0; i < repeats; i++) {
          const f = await runSemantic([
            '--provider',
            'openai',
            '--base-url',
            server.baseUrl,
            '--model',
            model.alias!,
            '--concurrency',
            String(slots),
          ]);
          runs.push(f);
          console.log(`real-models: ${name} run ${i + 1}: ${figuresLine(f)}`);
          for (const c of checks(f)) console.log(`real-models:   ${c.pass ? 'pass' : 'FAIL'} ${c.name}: ${c.detail}`);
        }
      } finally {
        await server.stop();
      }
      console.log(
        `real-models: ${name}: loaded in ${load.toFixed(1)} s, ${repeats} runs in ${((Date.now() - t) / 1000 - load).toFixed(0)} s`,
      );
      summary(name, runs);
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}
