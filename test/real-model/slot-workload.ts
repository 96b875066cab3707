// One workload of the product against llama-server with N parallel slots: a fit and an eval of three users of the
// example workspace (Qwen2.5-Coder 0.5B Instruct, see THREE_USERS), `--all` so that their calls interleave,
// through the built CLI and a recording proxy that reads the prefix-cache figures from each answer. The
// real-model layer's multi-slot test runs it with 4 slots and 1; the `real` benchmark with 1, 2 and 4.
//
// The servers differ only in their slot count (-np): the same context pool of CTX cells, unified (--kv-unified:
// any slot may use all of it), continuous batching, the same threads. The client is matched to the server
// (--concurrency = slots), as a user would set it.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT, type CliRun } from './cli-runner';
import {
  EMBEDDED_MODEL_NAME,
  INSTRUCT_MODEL,
  startLlamaServer,
  withModel,
  type EmbeddedModel,
  type InstructModel,
} from '../../tools/embedded-model/llama-server';
import { cacheShare, startRecordingProxy, sumOf, type RecordedCall } from '../support/recording-proxy';

/** Four judge prompts of about 3,000 tokens at once fit, with room for their answers. */
const CTX = 16384;

export interface SlotWorkload {
  /** The embedded model served: the installation's own (Gemma 3 270M) or an instruction-tuned one. */
  model: 'gemma' | InstructModel;
  /** Users of examples/workspace left out (their files removed from the copy). */
  drop: readonly string[];
  /** The fit's options after the workspace (none: no fit). */
  fit?: readonly string[];
  eval: readonly string[];
}

/**
 * Three users, the smallest fit that still has every stage (bootstrap, selection, persona, demos): no random
 * candidate sets, no labelled-only one; then persona+demos on the test split. About 90 calls. Served by the
 * instruction-tuned model: Gemma 270M, a base model, loops until the output cap on some of a fit's whole
 * answers (bruno-08's bootstrap, dana's persona: measured, with 1 slot and with 4), and such an answer is a
 * failed call by design (cut-answer.ts), which would fail a user for the model's sake, not the server's.
 */
export const THREE_USERS: SlotWorkload = {
  model: INSTRUCT_MODEL,
  drop: ['dana'],
  fit: ['--all', '--k', '0', '--labeled-demos', '0'],
  eval: ['--all', '--method', 'persona+demos'],
};

/** The bench's smoke run: the same path in seconds (one user, no fit, the validation split). */
export const SMOKE_WORKLOAD: SlotWorkload = {
  model: 'gemma',
  drop: ['bruno', 'chen', 'dana'],
  eval: ['--all', '--method', 'default', '--split', 'validation'],
};

export interface SlotRun {
  slots: number;
  /** Every chat completion the server answered (retries of cut answers included). */
  calls: RecordedCall[];
  /** Share of prompt tokens served from the prefix cache, over every call. */
  share: number;
  /** The same share over the fit's calls (none: no fit) and over the eval's (a user's persona and demos first). */
  fitShare?: number;
  evalShare: number;
  /** From the fit's start to the eval's end. */
  wallMs: number;
  callsPerS: number;
  /** The fit's answers cut at their cap and asked again with room (the CLI's failedCalls), for the report. */
  reasked: number;
  /** What did not complete (a failed call, a user not fitted, an incomplete run, an exit code); empty: all did. */
  problems: string[];
  logPath: string;
  logTail: string;
}

const FILES: Record<string, string> = {
  ada: 'ada.prefs.jsonl',
  bruno: 'bruno.prefs.json',
  chen: 'chen.prefs.yaml',
  dana: 'dana.prefs.yaml',
};

/** A fresh server with `slots` slots, a fresh copy of the workspace, the workload; everything stopped after. */
export async function runSlotWorkload(
  model: EmbeddedModel,
  opts: { slots: number; logDir: string; workload: SlotWorkload },
): Promise<SlotRun> {
  const { slots, workload } = opts;
  const ws = mkdtempSync(join(tmpdir(), `sm-slots-${slots}-`));
  cpSync(join(ROOT, 'examples', 'workspace'), ws, { recursive: true });
  for (const u of workload.drop) rmSync(join(ws, FILES[u]!));
  // The smoke run takes the model as found (its files may not be listed); the full run names its model.
  const served = workload.model === 'gemma' && !model.files ? model : withModel(model, workload.model);
  const server = await startLlamaServer({ ...served, ctx: CTX, parallel: slots, kvUnified: true, logDir: opts.logDir });
  const proxy = await startRecordingProxy(server.url);
  try {
    const target = [
      '--provider',
      'openai',
      '--base-url',
      `${proxy.url}/v1`,
      '--model',
      served.alias || EMBEDDED_MODEL_NAME,
    ];
    const common = [...target, '--concurrency', String(slots), '--no-cache', '--json'];
    const t0 = performance.now();
    const fit = workload.fit ? await cli(['fit', ws, ...workload.fit, ...common]) : undefined;
    const fitCalls = proxy.calls.length;
    const evaluated = await cli(['eval', ws, ...workload.eval, ...common]);
    const wallMs = performance.now() - t0;
    const calls = [...proxy.calls];
    const problems = [...(fit ? fitProblems(fit) : []), ...evalProblems(evaluated)];
    const usageCalls = (fit?.json?.calls ?? 0) + (evaluated.json?.calls ?? 0);
    if (calls.length < usageCalls)
      problems.push(`the server answered ${calls.length} of the ${usageCalls} calls the CLI counted`);
    return {
      slots,
      calls,
      share: cacheShare(calls),
      reasked: fit?.json?.failedCalls ?? 0,
      ...(fitCalls ? { fitShare: cacheShare(calls.slice(0, fitCalls)) } : {}),
      evalShare: cacheShare(calls.slice(fitCalls)),
      wallMs,
      callsPerS: calls.length / (wallMs / 1000),
      problems,
      logPath: server.logPath,
      logTail: server.logTail(25),
    };
  } finally {
    await proxy.close();
    await server.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}

function fitProblems(r: CliRun): string[] {
  if (!r.json) return [`fit: exit ${r.code}, no JSON: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`];
  const out: string[] = [];
  if (r.code !== 0) out.push(`fit: exit ${r.code}`);
  for (const f of r.json.failed as { user: string; reason: string }[])
    out.push(`fit: ${f.user} not fitted: ${f.reason}`);
  // A fit's failed call that mattered fails its user (above). The rest are whole answers cut at their cap that
  // the method asked again with room (whole-answer.ts) and got: counted in failedCalls, completed all the same.
  return out;
}

function evalProblems(r: CliRun): string[] {
  if (!r.json) return [`eval: exit ${r.code}, no JSON: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`];
  const out: string[] = [];
  if (r.code !== 0) out.push(`eval: exit ${r.code}`);
  if (!r.json.complete) out.push(`eval: incomplete run (${r.json.failed?.calls} failed call(s))`);
  if (r.json.usage?.failedCalls) out.push(`eval: ${r.json.usage.failedCalls} failed call(s)`);
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The figures line of the multi-slot test: `many` against the 1-slot run. */
export function slotFiguresLine(many: SlotRun, one: SlotRun): string {
  const n = many.calls.length + one.calls.length;
  const completed = many.problems.length + one.problems.length === 0 ? 'all completed' : 'NOT all completed';
  return (
    `multi-slot figures: prefix cache share ${many.slots} slots ${pct(many.share)}, 1 slot ${pct(one.share)}; ` +
    `throughput ${many.slots} slots / 1 slot ${(many.callsPerS / one.callsPerS).toFixed(2)} ` +
    `(${many.callsPerS.toFixed(3)} vs ${one.callsPerS.toFixed(3)} calls/s); ${n} calls, ${completed}`
  );
}

/** The shares by stage, for the line after the figures line. */
export function stageSharesLine(runs: readonly SlotRun[]): string {
  const fit = (r: SlotRun) => (r.fitShare === undefined ? '' : `fit ${pct(r.fitShare)}, `);
  const each = runs.map(
    (r) => `${r.slots} slot(s) ${fit(r)}eval ${pct(r.evalShare)} (${r.reasked} cut answer(s) re-asked)`,
  );
  return `multi-slot prefix cache share by stage: ${each.join('; ')}`;
}

/** Prompt tokens computed and served from the cache, for a table. */
export function tokenCounts(r: SlotRun): { computed: number; cached: number } {
  return { computed: sumOf(r.calls, (c) => c.promptN), cached: sumOf(r.calls, (c) => c.cacheN) };
}
