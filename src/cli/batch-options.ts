// --batch files|openai for fit, eval and bench run: the options, the batch folder, and what a command prints when a
// stage waits for its output. The rounds themselves are the engine's (core/llm runInBatches).

import { relative, resolve } from 'node:path';
import { intOption, stringOption, type CommandIO, type OptionSpec, type ParsedArgs } from './command';
import {
  BATCH_MODES,
  BatchFiles,
  type BatchMode,
  type BatchOutcome,
  type BatchStage,
  type Llm,
  runInBatches,
  type StageEstimate,
} from '../core/llm';
import type { WorkspaceSettings } from '../core/workspace';
import { isRewardMethod, type Method } from '../core/method';
import { keyFor } from './model-options';
import type { Progress } from './progress';
import { allowWritesUnder, checkNamedFolder } from '../core/write-guard';
import { UsageError } from './usage-error';

export const batchOptionSpec: OptionSpec = {
  batch: { type: 'string' },
  'batch-dir': { type: 'string' },
  'batch-wait': { type: 'string' },
  'poll-seconds': { type: 'string' },
};

export const batchOptionHelp = `Batch options (the whole job as OpenAI batch files, one per stage; exit 3 while one waits):
  --batch files              write DIR/<stage>.input.jsonl for vllm run-batch (or any tool reading the OpenAI batch
                             format) and exit 3; run the command again once DIR/<stage>.output.jsonl exists
  --batch openai             submit each stage to the server's /v1/files and /v1/batches (OpenAI's Batch API or a
                             compatible one), poll, and go on; ids are kept in DIR/openai-batches.json
  --batch-dir DIR            the batch folder (required with files; default <workspace>/.synthesizeme/batch)
  --batch-wait SECONDS       openai: stop polling after this long and exit 3; a re-run resumes (default 86400)
  --poll-seconds S           openai: polling interval (default 10)`;

export interface CliBatch {
  mode: BatchMode;
  files: BatchFiles;
  pollMs: number;
  maxWaitMs: number;
}

/** The batch mode the options ask for, its folder opened (and allowed), or undefined without --batch. */
export async function batchFrom(
  args: ParsedArgs,
  io: CommandIO,
  workspaceRoot: string,
  job: string,
): Promise<CliBatch | undefined> {
  const raw = stringOption(args, 'batch');
  const dirRaw = stringOption(args, 'batch-dir');
  if (raw === undefined) {
    if (dirRaw !== undefined) throw new UsageError('--batch-dir: only with --batch files or --batch openai');
    return undefined;
  }
  if (!BATCH_MODES.includes(raw as BatchMode))
    throw new UsageError(`--batch: expected ${BATCH_MODES.join(' or ')}, got "${raw}"`);
  const mode = raw as BatchMode;
  if (mode === 'files' && dirRaw === undefined)
    throw new UsageError('--batch files: name the folder for the batch files with --batch-dir DIR');
  const dir = dirRaw !== undefined ? resolve(io.cwd, dirRaw) : resolve(workspaceRoot, '.synthesizeme', 'batch');
  // A folder named on the command line may be anywhere, but not reached through a link planted in a data set. The
  // default one is the workspace's: its writes are the workspace's (a link planted there that leads out is refused).
  if (dirRaw !== undefined) {
    checkNamedFolder(dir, 'the batch folder');
    allowWritesUnder(dir);
  }
  const files = await BatchFiles.open({ dir, job });
  return {
    mode,
    files,
    pollMs: intOption(args, 'poll-seconds', 10, 1) * 1000,
    maxWaitMs: intOption(args, 'batch-wait', 86_400, 1) * 1000,
  };
}

/** Runs a job's rounds in the options' batch mode (core runInBatches), saying each submitted stage. */
export function runBatched<R>(
  batch: CliBatch,
  llm: Llm,
  ctx: { args: ParsedArgs; io: CommandIO; settings: WorkspaceSettings; progress: Progress; others?: readonly Llm[] },
  round: () => Promise<R>,
): Promise<BatchOutcome<R>> {
  const { args, io, settings, progress } = ctx;
  // A round ends when every model it used is idle (bench run: the fitting model may be another Llm of the same name).
  const models = [llm, ...(ctx.others ?? [])];
  const idle = { model: llm.model, idle: async () => void (await Promise.all(models.map((m) => m.idle()))) };
  const apiKey = batch.mode === 'openai' ? keyFor(llm.config, args, io, settings) : undefined;
  return runInBatches(round, {
    mode: batch.mode,
    files: batch.files,
    model: idle,
    ...(batch.mode === 'openai'
      ? {
          api: {
            baseUrl: llm.config.baseUrls[0]!,
            ...(apiKey ? { apiKey } : {}),
            pollMs: batch.pollMs,
            maxWaitMs: batch.maxWaitMs,
          },
        }
      : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    log: (m) => progress.message(m),
    onStage: (s) => progress.message(`batch stage ${s.name}: ${s.requests} request(s) submitted`),
  });
}

/** What a batch run cannot carry: calls that are not chat completions of the judge model. */
export function refuseUnbatchable(methods: readonly Method[], args: ParsedArgs): void {
  if (methods.some(isRewardMethod))
    throw new UsageError(
      '--batch: the reward-model methods score through the reward server (/classify or /pooling), which batch files ' +
        'do not carry; evaluate them without --batch',
    );
  if (stringOption(args, 'similar-users') !== undefined)
    throw new UsageError(
      '--batch: --similar-users embeds the users through the live server first; evaluate with it without --batch',
    );
}

/** Exit status of a command whose batch stage waits for its output, or whose stage's lines failed: run it again. */
export const BATCH_WAITING_EXIT = 3;

/** What a command says when its batch run is not done: the stage, where its file is, and what to do. */
export function batchWaitingText(
  outcome: Extract<BatchOutcome<unknown>, { done: false }>,
  batch: CliBatch,
  io: CommandIO,
  model: string,
): string {
  const rel = (p: string) => relative(io.cwd, p) || p;
  const s = outcome.stage;
  const failed = outcome.failed.length
    ? `${outcome.failed.length} request(s) failed in the batch output and are written again ` +
      `(the first: ${outcome.failed[0]!.message}).\n`
    : '';
  const what = `${s.requests} request(s), about ${s.promptTokens} prompt tokens (${purposesText(s)})`;
  if (batch.mode === 'openai')
    return (
      `${failed}Batch stage ${s.name} is not done: ${what}` +
      `${outcome.stillRunning ? ` (${outcome.stillRunning})` : ''}. Run the same command again to ` +
      `${outcome.stillRunning ? 'poll it again' : outcome.failed.length ? 'submit what failed' : 'go on'}.\n`
    );
  const where = s.written ? `written to ${rel(s.input)}` : `still waiting in ${rel(s.input)}`;
  return (
    `${failed}Batch stage ${s.name} (round ${outcome.rounds}): ${what}, ${where}.\n` +
    `Run it, for example:\n  vllm run-batch -i ${rel(s.input)} -o ${rel(s.output)} --model ${model}\n` +
    `then run this command again: it reads ${rel(s.output)} and goes on to the next stage.\n`
  );
}

function purposesText(s: BatchStage): string {
  return Object.entries(s.purposes)
    .map(([p, n]) => `${p} ${n}`)
    .join(', ');
}

/** The JSON of a batch run that is not done. */
export function batchWaitingJson(outcome: Extract<BatchOutcome<unknown>, { done: false }>) {
  const s = outcome.stage;
  return {
    stage: s.name,
    input: s.input,
    output: s.output,
    requests: s.requests,
    promptTokens: s.promptTokens,
    purposes: s.purposes,
    written: s.written,
    rounds: outcome.rounds,
    failedLines: outcome.failed.length,
    ...(outcome.stillRunning ? { stillRunning: outcome.stillRunning } : {}),
  };
}

/** The dry run's stages with --batch: calls, tokens and the price at batch rates where the model has one. */
export function stageEstimateText(stages: readonly StageEstimate[]): string {
  return `Batch stages (at most; one batch file each, in this order):\n${stages.map(stageLine).join('\n')}\n`;
}

function stageLine(s: StageEstimate): string {
  const price = s.batchCostUsd !== undefined ? `, about $${s.batchCostUsd.toFixed(2)} at batch rates` : '';
  return `  ${s.stage}: ${s.calls} call(s), ${s.promptTokens} prompt + ${s.completionTokens} completion tokens${price}`;
}
