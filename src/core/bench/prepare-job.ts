// `bench prepare` as one engine job, shared by the CLI and VS Code's "Prepare Data Set...": check the
// outputs and read the raw inputs (prepareBenchData), estimate the calls (estimateBenchData), then run the
// four steps, write the data set and the report (runBenchData). The callers only parse, ask and format.

import { access } from 'node:fs/promises';
import type { Llm } from '../llm/client';
import { usageSentence, usageSince, type UsageSnapshot } from '../llm/usage';
import type { ImportProblem } from '../data/importers/native-record';
import { writeNativeJsonl } from '../data/importers/index';
import { DEFAULT_PROMPTS } from '../method/default-prompts';
import { checkNamedDataFile } from '../read-guard';
import { UserError } from '../user-error';
import { checkWrite } from '../write-guard';
import { BatchChatModel, type BatchCounters, BatchStateStore } from '../llm/batch-api';
import { preparePipeline, type PrepareResult, type StepModel } from './prepare';
import { readRawInput, type RawInput, type RawRead } from './raw-input';
import { filterUsers, toItems } from './records';
import { prepareReportMarkdown } from './report';
import { writeBenchText } from './bench-output';

/** The kept share of agreeing judge votes, unless told otherwise. */
export const DEFAULT_AGREEMENT: [number, number] = [0.1, 0.9];

export interface BenchDataInputs {
  input: RawInput;
  /** The data set to write (absolute path). */
  out: string;
  /** Where the Markdown report is written too (absolute path); absent: it is only returned. */
  reportFile?: string;
  /** Replace `out` when it exists (the CLI's --force; VS Code's save dialog asked already). */
  overwrite?: boolean;
  minPairs: number;
  agreement?: [number, number];
  splits: [number, number, number];
  seed: number;
  temperature: number;
  /** The personalizable classifier (step 2). */
  classifier: Llm;
  /** Judges of step 3; default the classifier. A judge that is the classifier is the same model. */
  judges?: readonly Llm[];
  /** The classifier's instructions; default the built-in personalizable prompt. */
  classifierPrompt?: string;
  /** Steps 2 and 3 through the OpenAI Batch API; the batch ids go to `<out>.batch.json`, so a re-run resumes. */
  batch?: { apiKey?: string; pollMs: number };
  /** What to do when `out` exists, in the caller's words (`choose another --out or pass --force`). */
  existsHint?: string;
  /** Prefix of the errors (`bench prepare: ...`). */
  command?: string;
  /** How paths are shown in problems and the report. */
  display?: (path: string) => string;
}

/** The job once its outputs are checked and its inputs read: nothing was called yet. */
export interface BenchDataPlan {
  inputs: BenchDataInputs;
  raw: RawRead;
  judges: readonly Llm[];
  /** What the report names as its source: `Chatbot Arena (a.jsonl)`. */
  source: string;
}

export interface BenchDataEstimate {
  rawPairs: number;
  /** One per pair that passes the user filter. */
  classifierCalls: number;
  /** Two orders per judge and pair, if every pair were personalizable. */
  judgeCallsAtMost: number;
}

export interface BenchDataHooks {
  signal?: AbortSignal;
  onProgress?: (step: string, done: number, total: number) => void;
  onNote?: (message: string) => void;
}

export interface BenchDataOutcome {
  result: PrepareResult;
  /** Undefined when no pair was kept: no file is written (an empty one would read as a data set with no users). */
  written?: { path: string; records: number; bytes: number };
  markdown: string;
  reportFile?: string;
  calls: number;
  cacheHits: number;
  batches: ({ model: string } & BatchCounters)[];
}

const shown = (inputs: BenchDataInputs) => inputs.display ?? ((p: string) => p);
const said = (inputs: BenchDataInputs, message: string) => (inputs.command ? `${inputs.command}: ${message}` : message);

/** The input files, in the order given. */
export function rawInputFiles(input: RawInput): string[] {
  return input.kind === 'prism' ? [input.conversations, ...(input.survey ? [input.survey] : [])] : input.files;
}

function sourceOf(input: RawInput, show: (p: string) => string): string {
  const files = rawInputFiles(input).map(show).join(', ');
  if (input.kind === 'arena') return `Chatbot Arena (${files})`;
  return input.kind === 'prefs' ? `preference files (${files})` : `PRISM (${files})`;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Checks both outputs before any call is spent (a refused report after the work wasted it all), reads the
 * inputs under the read guard (their text goes to the classifier and the judges), and reports their
 * problems through `onProblems` before refusing an input with no valid pair.
 */
export async function prepareBenchData(
  inputs: BenchDataInputs,
  opts: { signal?: AbortSignal; onProblems?: (problems: readonly ImportProblem[]) => void } = {},
): Promise<BenchDataPlan> {
  const show = shown(inputs);
  if (inputs.reportFile) await checkWrite(inputs.reportFile);
  await checkWrite(inputs.out);
  if (!inputs.overwrite && (await exists(inputs.out)))
    throw new UserError(
      said(inputs, `${show(inputs.out)} exists; ${inputs.existsHint ?? 'choose another output or allow replacing it'}`),
      2,
    );
  for (const f of rawInputFiles(inputs.input)) await checkNamedDataFile(f, inputs.command);
  const raw = await readRawInput(inputs.input, { displayPath: show, ...(opts.signal ? { signal: opts.signal } : {}) });
  opts.onProblems?.(raw.problems);
  if (raw.records.length === 0)
    throw new UserError(
      said(
        inputs,
        `no valid preference pair in the input${raw.unreadable.length ? ` (not read: ${raw.unreadable.join(', ')})` : ''}`,
      ),
      2,
    );
  const judges = inputs.judges?.length ? inputs.judges : [inputs.classifier];
  return { inputs, raw, judges, source: sourceOf(inputs.input, show) };
}

/** The dry run: from counts alone, nothing is called. */
export function estimateBenchData(plan: BenchDataPlan): BenchDataEstimate {
  const step1 = filterUsers(toItems(plan.raw.records), plan.inputs.minPairs).length;
  return {
    rawPairs: plan.raw.records.length,
    classifierCalls: step1,
    judgeCallsAtMost: step1 * 2 * plan.judges.length,
  };
}

/** Runs the four steps, writes the data set (when a pair was kept) and the report. */
export async function runBenchData(plan: BenchDataPlan, hooks: BenchDataHooks = {}): Promise<BenchDataOutcome> {
  const { inputs, raw } = plan;
  const models = [inputs.classifier, ...plan.judges.filter((j) => j !== inputs.classifier)];
  const before = models.map((m) => m.counters());
  const { classifier, judges, batches } = stepModels(plan, hooks);
  const result = await preparePipeline(raw.records, {
    minPairs: inputs.minPairs,
    agreement: inputs.agreement ?? DEFAULT_AGREEMENT,
    splits: inputs.splits,
    seed: inputs.seed,
    temperature: inputs.temperature,
    classifier,
    classifierPrompt: inputs.classifierPrompt ?? DEFAULT_PROMPTS.personalizable,
    judges,
    judgePrompt: DEFAULT_PROMPTS.judge,
    ...(batches.length ? {} : { judgeCheck: (_judge: StepModel, i: number) => judgeDown(plan, i, hooks.signal) }),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.onNote ? { log: hooks.onNote } : {}),
  });
  const written = result.records.length
    ? await writeNativeJsonl(result.records, inputs.out, { inputs: rawInputFiles(inputs.input) })
    : undefined;
  const usage = models.map((m, i) => ({ model: m.model, usage: usageSince(before[i]!, m.counters()) }));
  const markdown = reportOf(plan, result, written, usageText(usage, batches));
  if (inputs.reportFile) await writeBenchText(inputs.reportFile, markdown);
  return {
    result,
    ...(written ? { written } : {}),
    markdown,
    ...(inputs.reportFile ? { reportFile: inputs.reportFile } : {}),
    calls: usage.reduce((n, u) => n + u.usage.calls, 0),
    cacheHits: usage.reduce((n, u) => n + u.usage.cacheHits, 0),
    batches: batches.map((b) => ({ model: b.model, ...b.counters })),
  };
}

/** The models the steps call: the Llms themselves, or a Batch API model per step sharing one state file. */
function stepModels(
  plan: BenchDataPlan,
  hooks: BenchDataHooks,
): { classifier: StepModel; judges: StepModel[]; batches: BatchChatModel[] } {
  const { inputs } = plan;
  if (!inputs.batch) return { classifier: inputs.classifier, judges: [...plan.judges], batches: [] };
  if (inputs.classifier.provider !== 'openai')
    throw new UserError(said(inputs, 'the Batch API needs an OpenAI-compatible server (provider openai)'), 2);
  const statePath = `${inputs.out}.batch.json`;
  const store = new BatchStateStore(statePath);
  const batch = inputs.batch;
  const batches: BatchChatModel[] = [];
  const make = (model: string, step: string) => {
    const b = new BatchChatModel(model, {
      baseUrl: inputs.classifier.config.baseUrls[0]!,
      ...(batch.apiKey ? { apiKey: batch.apiKey } : {}),
      statePath,
      store,
      step,
      pollMs: batch.pollMs,
      log: (m) => hooks.onNote?.(m),
    });
    batches.push(b);
    return b;
  };
  const classifier = make(inputs.classifier.model, 'personalizable');
  const judges = plan.judges.map((j) => make(j.model, `judge-${j.model}`));
  return { classifier, judges, batches };
}

/**
 * A judge server that cannot be reached is left out at once; a missing model shows up on its first call
 * (some servers serve models they do not list). The classifier's server answered step 2 already.
 */
async function judgeDown(plan: BenchDataPlan, i: number, signal?: AbortSignal): Promise<Error | undefined> {
  const llm = plan.judges[i]!;
  if (llm === plan.inputs.classifier) return undefined;
  const report = await llm.checkConnection(signal);
  const down = report.endpoints.every((e) => !e.ok && e.errorKind !== 'not-found');
  return down
    ? new Error(report.endpoints.map((e) => `${e.baseUrl}: ${e.error ?? 'unreachable'}`).join('; '))
    : undefined;
}

function usageText(
  usage: readonly { model: string; usage: UsageSnapshot }[],
  batches: readonly BatchChatModel[],
): string {
  const sum = (f: (c: BatchCounters) => number) => batches.reduce((n, b) => n + f(b.counters), 0);
  if (batches.length)
    return (
      `Batch API: ${sum((c) => c.uploaded)} request(s) uploaded in ${sum((c) => c.batchesCreated)} batch(es), ` +
      `${sum((c) => c.fromSavedOutput)} answered from saved output`
    );
  if (usage.length === 1) return usageSentence(usage[0]!.usage);
  const calls = usage.reduce((n, u) => n + u.usage.calls, 0);
  const hits = usage.reduce((n, u) => n + u.usage.cacheHits, 0);
  return `${calls} call(s), ${hits} from cache (${usage.map((u) => `${u.model}: ${usageSentence(u.usage)}`).join('; ')})`;
}

function reportOf(
  plan: BenchDataPlan,
  result: PrepareResult,
  written: BenchDataOutcome['written'],
  usage: string,
): string {
  const show = shown(plan.inputs);
  return prepareReportMarkdown(result.report, {
    source: plan.source,
    problems: plan.raw.problems,
    skipped: plan.raw.skipped,
    unreadable: plan.raw.unreadable,
    out: written ? show(written.path) : `nothing (no pair was kept; ${show(plan.inputs.out)} was not written)`,
    usage,
  });
}
