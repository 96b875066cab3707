// The rounds of a batch run (--batch files|openai). A round runs the whole job against the batch endpoint
// (batch-files.ts): every call an output file answers is answered (and cached), every other one is written to the next
// stage's input file. A job of several stages (a fit: bootstrap, selection, persona, the persona's bootstrap and
// selection) thus needs one round per stage, each built from the previous stage's answers.
//
// `files`: one round per command; the stage file is left for `vllm run-batch` (or any tool reading the format), and
// the command says so (exit 3 in the CLI). `openai`: the stage is submitted to the server's /v1/files and
// /v1/batches (batch-api.ts, resumable through its state file), its output downloaded into the folder, and the next
// round starts, until the job needs nothing more or a stage's lines failed.

import { join } from 'node:path';
import type OpenAI from 'openai';
import { BatchChatModel, BatchStateStore } from './batch-api';
import { isLlmError } from './errors';
import { type BatchFiles, type BatchLineFailure, type BatchStage, stageBase } from './batch-files';
import type { RunEstimate } from './estimate';
import type { ChatRequest } from './types';

export type BatchMode = 'files' | 'openai';
export const BATCH_MODES: readonly BatchMode[] = ['files', 'openai'];

/** What a round needs of the model it runs the job on: to know when every call it started has ended. */
interface Idle {
  readonly model: string;
  idle(): Promise<void>;
}

export interface BatchRunOptions {
  mode: BatchMode;
  files: BatchFiles;
  model: Idle;
  /** The Batch API server (mode 'openai'). */
  api?: { baseUrl: string; apiKey?: string; client?: OpenAI; pollMs?: number; maxWaitMs?: number };
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** Each stage as it is written (files) or submitted (openai). */
  onStage?: (stage: BatchStage) => void;
}

export type BatchOutcome<R> =
  /** Every call was answered: the job's result is a live run's. */
  | { done: true; result: R; rounds: number }
  /** A stage waits for its output (files), or a stage's lines failed: run again to go on. */
  | {
      done: false;
      result: R;
      rounds: number;
      stage: BatchStage;
      failed: BatchLineFailure[];
      /** openai: the submitted batch still runs after the wait allowed; a re-run polls it again. */
      stillRunning?: string;
    };

/** The file the openai mode keeps its uploads and batch ids in: a re-run polls the same batch. */
export const OPENAI_BATCH_STATE = 'openai-batches.json';

/** Runs `round` until it needs no call the output files lack, writing (and in openai mode running) one stage per round. */
export async function runInBatches<R>(round: () => Promise<R>, o: BatchRunOptions): Promise<BatchOutcome<R>> {
  const store = new BatchStateStore(join(o.files.opts.dir, OPENAI_BATCH_STATE));
  let last: ReadonlySet<string> | undefined;
  for (let rounds = 1; ; rounds++) {
    o.signal?.throwIfAborted();
    o.files.startRound();
    const result = await round();
    // A job that stopped at its first unanswered call left its other calls going: they reach the files first.
    await o.model.idle();
    if (o.files.pending === 0) return { done: true, result, rounds };
    const stage = await o.files.writeStage();
    const failed = o.files.failedLines();
    const bodies = o.files.pendingBodies();
    // Only the lines a submitted batch failed or lacked are asked again: say so and stop, so that a run does not
    // resubmit a failing request for ever (the next command resubmits them).
    const again = last !== undefined && [...bodies.keys()].every((id) => last!.has(id));
    if (o.mode === 'files' || again) return { done: false, result, rounds, stage, failed };
    o.onStage?.(stage);
    try {
      await submit(stage, bodies, store, o);
    } catch (err) {
      if (!isLlmError(err) || err.kind !== 'timeout') throw err;
      return { done: false, result, rounds, stage, failed, stillRunning: err.message };
    }
    last = new Set(bodies.keys());
    await o.files.load();
  }
}

/** One stage through the Batch API: uploaded, created, polled, and its output (and errors) saved into the folder. */
async function submit(
  stage: BatchStage,
  bodies: ReadonlyMap<string, unknown>,
  store: BatchStateStore,
  o: BatchRunOptions,
): Promise<void> {
  const api = o.api;
  if (!api) throw new Error('batch mode openai without a Batch API server');
  const model = new BatchChatModel(o.model.model, {
    baseUrl: api.baseUrl,
    ...(api.apiKey ? { apiKey: api.apiKey } : {}),
    ...(api.client ? { client: api.client } : {}),
    ...(api.pollMs !== undefined ? { pollMs: api.pollMs } : {}),
    ...(api.maxWaitMs !== undefined ? { maxWaitMs: api.maxWaitMs } : {}),
    statePath: store.path,
    step: stage.name,
    outputPath: stage.output,
    store,
    ...(o.log ? { log: o.log } : {}),
  });
  await model.runLines(bodies, o.signal);
}

/** Batch APIs charge half the list price (OpenAI's Batch API; the compatible services price theirs the same way). */
export const BATCH_PRICE_FACTOR = 0.5;

/** One stage of a batch run's estimate: the planned requests of one purpose. */
export interface StageEstimate {
  stage: string;
  calls: number;
  cachedCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** At batch rates; undefined when the model has no price. */
  batchCostUsd?: number;
}

/** A job's planned requests as batch stages (one per purpose, in the order the job asks them), each estimated. */
export async function estimateStages(
  model: { estimate(requests: readonly ChatRequest[], o?: { defaultCompletionTokens?: number }): Promise<RunEstimate> },
  requests: readonly ChatRequest[],
  job: string,
): Promise<StageEstimate[]> {
  const groups = new Map<string, ChatRequest[]>();
  for (const r of requests) {
    const purpose = r.purpose ?? 'chat';
    let g = groups.get(purpose);
    if (!g) groups.set(purpose, (g = []));
    g.push(r);
  }
  const out: StageEstimate[] = [];
  for (const [purpose, group] of groups) {
    const e = await model.estimate(group, { defaultCompletionTokens: 200 });
    out.push({
      stage: stageBase(job, purpose),
      calls: e.calls,
      cachedCalls: e.cachedCalls,
      promptTokens: e.promptTokens,
      completionTokens: e.completionTokens,
      ...(e.costUsd !== undefined ? { batchCostUsd: e.costUsd * BATCH_PRICE_FACTOR } : {}),
    });
  }
  return out;
}
