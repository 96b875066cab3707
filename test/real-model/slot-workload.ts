// One workload of the product against llama-server with N parallel slots: a fit and an eval of three users of the
// example workspace (Qwen2.5-Coder 0.5B Instruct, see THREE_USERS), `--all` so that their calls interleave,
// through the built CLI and a recording proxy that reads the prefix-cache figures from each answer. The real-model
// layer's multi-slot test runs it with 4 slots and 1; the `real` benchmark with 4, 2 and 1.
//
// The fit runs once, on the server with the most slots; every slot count then evaluates the same fitted workspace
// (persona+demos: a user's persona and demos first), so that the slot counts answer the same prompts and their
// throughput ratio and eval-stage shares compare like with like. A fit per slot count took twice the time and
// compared evals of different personas (a tiny model's fit differs with the slot count).
//
// The servers differ only in their slot count (-np): the same context pool of CTX cells, unified (--kv-unified:
// any slot may use all of it), continuous batching, the same threads. The client is matched to the server
// (--concurrency = slots), as a user would set it.

import { mkdtempSync, writeFileSync } from 'node:fs';
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
import { SPLITS, type Pair, type Split } from '../../src/core/data/pair';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace/open-workspace';

/** Four judge prompts of about 3,000 tokens at once fit, with room for their answers. */
const CTX = 16384;

export interface SlotWorkload {
  /** The embedded model served: the installation's own (Gemma 3 270M) or an instruction-tuned one. */
  model: 'gemma' | InstructModel;
  /** Users of examples/workspace kept. */
  users: readonly string[];
  /** Pairs kept of each user's split, the first ones in file order; absent: every pair. */
  pairs?: Readonly<Record<Split, number>>;
  /** The fit's options after the workspace (none: no fit). */
  fit?: readonly string[];
  eval: readonly string[];
}

/**
 * Three users, the smallest fit that still has every stage (bootstrap, selection, persona, demos): no random
 * candidate sets, no labelled-only one, 4 context, 2 validation and 3 test pairs a user (the whole example users
 * took about 23 minutes for both slot counts on 2 cores); then persona+demos on the test split, 6 calls a user
 * after one persona and demos prefix. About 50 calls with the most slots, 18 with each other count. Served by
 * the instruction-tuned model: Gemma 270M, a base model, loops until the output cap on some of a fit's whole
 * answers (bruno-08's bootstrap, dana's persona: measured, with 1 slot and with 4).
 */
export const THREE_USERS: SlotWorkload = {
  model: INSTRUCT_MODEL,
  users: ['ada', 'bruno', 'chen'],
  pairs: { context: 4, validation: 2, test: 3 },
  fit: ['--all', '--k', '0', '--labeled-demos', '0'],
  eval: ['--all', '--method', 'persona+demos'],
};

/** The bench's smoke run: the same path in seconds (one user, no fit, the validation split). */
export const SMOKE_WORKLOAD: SlotWorkload = {
  model: 'gemma',
  users: ['ada'],
  eval: ['--all', '--method', 'default', '--split', 'validation'],
};

/** What the model did that is no failure of the server: answers it ran to their output cap, which the CLI refused. */
export interface ModelFigures {
  /** The CLI's failed calls, every request answered whole: cut answers (the fit asks each once more with room). */
  refused: number;
  /** Users not fitted because an answer was cut twice (once more with twice the room). */
  notFitted: string[];
}

export interface SlotRun {
  slots: number;
  /** Every chat completion the server answered (retries of cut answers included), the fit's first. */
  calls: RecordedCall[];
  /** How many of `calls` are the fit's (0: the fit ran on another server). */
  fitCalls: number;
  /** Share of prompt tokens served from the prefix cache, over every call of this server. */
  share: number;
  /** The same share over the fit's calls (none: no fit here) and over the eval's (a user's persona and demos first). */
  fitShare?: number;
  evalShare: number;
  fitWallMs?: number;
  /** The eval's wall time and answered calls per second: the same prompts for every slot count. */
  evalWallMs: number;
  evalCallsPerS: number;
  model: ModelFigures;
  /** What did not complete for the server's or the product's sake; empty: every call completed. */
  problems: string[];
  logPath: string;
  logTail: string;
}

/**
 * A fresh workspace of the workload's users and pairs: one JSONL file a user, every pair's split written in it (the
 * default prompts are written on first use, as in the example workspace).
 */
export async function slotWorkspace(workload: SlotWorkload): Promise<string> {
  const example = join(ROOT, 'examples', 'workspace');
  const source = await openWorkspace(example);
  const ws = mkdtempSync(join(tmpdir(), 'sm-slots-'));
  for (const id of workload.users) {
    const user = source.index.user(id);
    if (!user) throw new Error(`examples/workspace has no user ${id}`);
    const bySplit = pairsBySplit(user);
    const kept = SPLITS.flatMap((s) => bySplit[s].slice(0, workload.pairs?.[s]).map((p) => nativeRecord(p, s)));
    writeFileSync(join(ws, `${id}.prefs.jsonl`), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }
  return ws;
}

function nativeRecord(p: Pair, split: Split) {
  return {
    user_id: p.userId,
    pair_id: p.pairId,
    context: p.context,
    chosen: p.chosen.content,
    rejected: p.rejected.content,
    split,
    ...(p.flip !== undefined ? { flip: p.flip } : {}),
    ...(p.demographics ? { demographics: p.demographics } : {}),
  };
}

/** A fresh server with `slots` slots on `ws` (slotWorkspace): the fit when `fit`, then the eval; then it is stopped. */
export async function runSlotWorkload(
  model: EmbeddedModel,
  opts: { slots: number; logDir: string; workload: SlotWorkload; ws: string; fit: boolean },
): Promise<SlotRun> {
  const { slots, workload, ws } = opts;
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
    const fit = opts.fit && workload.fit ? await cli(['fit', ws, ...workload.fit, ...common]) : undefined;
    const fitCalls = proxy.calls.length;
    const t1 = performance.now();
    // A label a slot count: the same workspace's earlier eval run would otherwise be reused, not judged again.
    const evaluated = await cli(['eval', ws, ...workload.eval, '--label', `slots-${slots}`, ...common]);
    const evalWallMs = performance.now() - t1;
    const calls = [...proxy.calls];
    const f = fit ? fitOutcome(fit, fitCalls) : undefined;
    const e = evalOutcome(evaluated, calls.length - fitCalls);
    return {
      slots,
      calls,
      fitCalls,
      share: cacheShare(calls),
      ...(fit ? { fitShare: cacheShare(calls.slice(0, fitCalls)), fitWallMs: t1 - t0 } : {}),
      evalShare: cacheShare(calls.slice(fitCalls)),
      evalWallMs,
      evalCallsPerS: (calls.length - fitCalls) / (evalWallMs / 1000),
      model: { refused: (f?.refused ?? 0) + e.refused, notFitted: f?.notFitted ?? [] },
      problems: [...(f?.problems ?? []), ...e.problems],
      logPath: server.logPath,
      logTail: server.logTail(25),
    };
  } finally {
    await proxy.close();
    await server.stop();
  }
}

// What the model did apart from what the server did. An answer the model ran to its output cap is a whole HTTP
// answer of the server: the CLI refuses it as data (a CutAnswerError, whose message this matches: cut-answer.ts),
// asks a fit's once more with room, and fails the user if that is cut too. Such failures are figures of the model.
// Everything else fails the run: a request without a whole answer (transport failure, timeout, 5xx, dropped), a
// call the CLI did not count, a user not fitted for another reason, a failed eval call for another reason, or an
// exit code the model's figures do not explain.
const CUT_ANSWER = /answer (was cut at its output cap|is [\d,]+ characters, far past what its output cap)/;

interface Outcome {
  problems: string[];
  refused: number;
}

/** Every request the CLI sent got a whole answer (the proxy recorded it with its timings), and the CLI counted each. */
function serverProblems(stage: string, usage: { calls?: number; requests?: number } | undefined, answered: number) {
  if (!usage) return [`${stage}: no usage in the JSON`];
  const out: string[] = [];
  if (usage.requests !== answered)
    out.push(`${stage}: the CLI sent ${usage.requests} request(s), the server answered ${answered} whole`);
  if (usage.calls !== answered)
    out.push(`${stage}: the CLI counted ${usage.calls} call(s), the server answered ${answered}`);
  return out;
}

const noJson = (stage: string, r: CliRun) =>
  `${stage}: exit ${r.code}, no JSON: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`;

function fitOutcome(r: CliRun, answered: number): Outcome & { notFitted: string[] } {
  if (!r.json) return { problems: [noJson('fit', r)], refused: 0, notFitted: [] };
  const problems = serverProblems('fit', r.json, answered);
  const failed = r.json.failed as { user: string; reason: string }[];
  for (const f of failed) if (!CUT_ANSWER.test(f.reason)) problems.push(`fit: ${f.user} not fitted: ${f.reason}`);
  // The fit exits 1 when a user was not fitted, 0 when every one was.
  if (r.code !== (failed.length ? 1 : 0)) problems.push(`fit: exit ${r.code}`);
  const notFitted = failed.filter((f) => CUT_ANSWER.test(f.reason)).map((f) => f.user);
  return { problems, refused: r.json.failedCalls ?? 0, notFitted };
}

function evalOutcome(r: CliRun, answered: number): Outcome {
  if (!r.json) return { problems: [noJson('eval', r)], refused: 0 };
  const problems = serverProblems('eval', r.json.usage, answered);
  const reasons = (r.json.failed?.reasons ?? []) as { message: string; count: number }[];
  for (const x of reasons)
    if (!CUT_ANSWER.test(x.message)) problems.push(`eval: ${x.count} call(s) failed: ${x.message}`);
  if (!r.json.complete && !reasons.length) problems.push('eval: incomplete run, no reason given');
  // An incomplete run exits 1: here only for cut answers (above), a figure of the model.
  if (r.code !== (r.json.complete ? 0 : 1)) problems.push(`eval: exit ${r.code}`);
  return { problems, refused: r.json.usage?.failedCalls ?? 0 };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const bySlots = (runs: readonly SlotRun[]) => [...runs].sort((a, b) => b.slots - a.slots);

/** One run's shares: overall, the fit's (or where it ran), the eval's. */
function sharesOf(r: SlotRun, fitSlots: number | undefined): string {
  const fit =
    r.fitShare !== undefined ? `fit ${pct(r.fitShare)}` : fitSlots ? `fit: ran with ${fitSlots} slots` : 'no fit';
  return `${r.slots} slot(s) ${pct(r.share)} (${fit}, eval ${pct(r.evalShare)})`;
}

/**
 * The multi-slot figures, most slots against 1 slot: the prefix-cache shares by slot count (overall and by stage),
 * the eval's throughput ratio, the calls and whether every one completed; then the eval-stage share against the
 * issue's goal, and the model's own figures.
 */
export function slotFiguresLines(runs: readonly SlotRun[]): string[] {
  const sorted = bySlots(runs);
  const many = sorted[0]!;
  const one = sorted.find((r) => r.slots === 1);
  const fitSlots = runs.find((r) => r.fitShare !== undefined)?.slots;
  const n = runs.reduce((k, r) => k + r.calls.length, 0);
  const problems = runs.reduce((k, r) => k + r.problems.length, 0);
  const completed = problems
    ? `NOT all completed (${problems} problem(s))`
    : 'every request answered whole and counted';
  const ratio =
    one && one !== many
      ? `eval throughput ${many.slots} slots / 1 slot ${(many.evalCallsPerS / one.evalCallsPerS).toFixed(2)} ` +
        `(${many.evalCallsPerS.toFixed(3)} vs ${one.evalCallsPerS.toFixed(3)} calls/s, the same prompts); `
      : '';
  const evalShares = sorted.map((r) => `${r.slots} slot(s) ${pct(r.evalShare)}`).join(', ');
  // How long the prompts were: the share a prefix can reach is its part of them, after each user's first call.
  const evalCalls = runs.flatMap((r) => r.calls.slice(r.fitCalls));
  const meanPrompt = sumOf(evalCalls, (c) => c.promptN + c.cacheN) / Math.max(1, evalCalls.length);
  const goalMet = sorted.every((r) => r.evalShare >= 0.8);
  const refused = runs.reduce((k, r) => k + r.model.refused, 0);
  const notFitted = runs.flatMap((r) => r.model.notFitted);
  return [
    `multi-slot figures: prefix cache share ${sorted.map((r) => sharesOf(r, fitSlots)).join('; ')}; ${ratio}` +
      `${n} calls, ${completed}`,
    `multi-slot eval-stage prefix cache share (the one comparable to the issue's goal of >= 80%: ` +
      `persona+demos puts a user's persona and demos first): ${evalShares}: ${goalMet ? 'met' : 'NOT met'} ` +
      `(eval prompts of ${meanPrompt.toFixed(0)} tokens on average)`,
    `multi-slot model figures: ${refused} answer(s) cut at their cap and refused, ` +
      `${notFitted.length} user(s) not fitted for a cut answer${notFitted.length ? ` (${notFitted.join(', ')})` : ''}`,
  ];
}

/** Prompt tokens computed and served from the cache, for a table. */
export function tokenCounts(r: SlotRun): { computed: number; cached: number } {
  return { computed: sumOf(r.calls, (c) => c.promptN), cached: sumOf(r.calls, (c) => c.cacheN) };
}
