// synthesizeme bench prepare: PersonalRewardBench preparation (METHOD.md section 6) from raw
// Chatbot Arena, PRISM or native files into one native JSONL file with splits, and a report.

import { dirname, join, relative, resolve } from 'node:path';
import { READ_LIMITS, readOwnText } from '../../core/read-guard';
import {
  flag,
  intOption,
  listOption,
  stringOption,
  type CommandIO,
  type OptionSpec,
  type ParsedArgs,
} from '../command';
import { openLlm, temperatureFrom } from '../model-options';
import { parseRatios } from '../split-options';
import { Progress } from '../progress';
import { rethrowCancelled } from '../run-context';
import { UsageError } from '../usage-error';
import { type Llm, resolveLlmConfig } from '../../core/llm';
import { type ImportProblem } from '../../core/data';
import { DEFAULT_PROMPTS } from '../../core/method';
import {
  type BenchDataEstimate,
  type BenchDataInputs,
  type BenchDataOutcome,
  type BenchDataPlan,
  estimateBenchData,
  prepareBenchData,
  type RawInput,
  runBenchData,
} from '../../core/bench';
import { allowNamedOutput, chooseFileToRead } from '../../core/write-guard';
import { UserError } from '../../core/user-error';

export const benchPrepareOptions: OptionSpec = {
  arena: { type: 'string', multiple: true },
  'prism-conversations': { type: 'string' },
  'prism-survey': { type: 'string' },
  prefs: { type: 'string', multiple: true },
  out: { type: 'string' },
  judges: { type: 'string', multiple: true },
  agreement: { type: 'string' },
  report: { type: 'string' },
  batch: { type: 'string' },
  'poll-seconds': { type: 'string' },
  'personalizable-prompt': { type: 'string' },
  force: { type: 'boolean' },
};

export const benchPrepareHelp =
  'synthesizeme bench prepare (--arena FILE... | --prism-conversations FILE --prism-survey FILE | --prefs FILE...)\n' +
  `                          --out FILE [options]
  PersonalRewardBench preparation: 1. users with at least --min-pairs pairs; 2. an LLM keeps the
  personalizable pairs (label and reason kept in meta); 3. every judge model votes on every pair
  in both orders and pairs whose agreement with the user lies in --agreement are kept (votes
  kept in meta; an unavailable judge is reported and left out); 4. per-user splits. Writes
  native JSONL (readable by inspect) and a Markdown report. Re-running costs no calls (cache).
  --min-pairs N              users need at least N pairs (default 5)
  --judges M1,M2,...         judge models for step 3 (default: --model); MODEL@URL for a judge
                             served elsewhere
  --agreement LO:HI          kept share of agreeing judge votes (default 0.1:0.9)
  --splits C/V/T             per-user split ratios (default 50/20/30)
  --seed N                   seed for splits and calls (default 0)
  --report FILE              also write the report there
  --batch openai             (openai provider) send steps 2 and 3 through the Batch API;
                             batch ids are kept in FILE.batch.json, so a re-run resumes
  --poll-seconds S           batch polling interval (default 10)
  --personalizable-prompt FILE  the classifier's instructions (default: the built-in prompt)
  --force                    overwrite --out if it exists`;

function parseAgreement(text: string | undefined): [number, number] {
  if (text === undefined) return [0.1, 0.9];
  const parts = text.split(/[:,]/).map((s) => Number(s.trim()));
  let [lo, hi] = parts as [number, number];
  if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi))
    throw new UsageError(`--agreement: expected LO:HI like 0.1:0.9, got "${text}"`);
  if (lo > 1 || hi > 1) [lo, hi] = [lo / 100, hi / 100];
  if (lo < 0 || hi > 1 || lo > hi) throw new UsageError(`--agreement: expected 0 <= LO <= HI <= 1, got "${text}"`);
  return [lo, hi];
}

/** The API key the model options resolve to (the Batch API client needs it). */
function apiKeyFor(args: ParsedArgs, io: CommandIO): string | undefined {
  const urls = listOption(args, 'base-url');
  const apiKeyEnv = stringOption(args, 'api-key-env');
  return resolveLlmConfig(
    { provider: 'openai', ...(urls.length ? { baseUrls: urls } : {}), ...(apiKeyEnv ? { apiKeyEnv } : {}) },
    io.env,
  ).apiKey;
}

/**
 * `--batch openai`: prepare's one batch mode (its steps are single calls, so the Batch API takes them as they come;
 * `bench run`, `fit` and `eval` also take `--batch files`). The option is shared with bench run, hence a value.
 */
function batchRequested(args: ParsedArgs): boolean {
  const mode = stringOption(args, 'batch');
  if (mode === undefined) return false;
  if (mode !== 'openai') throw new UsageError(`bench prepare: --batch takes openai (the Batch API), got "${mode}"`);
  return true;
}

/** The text of a prompt file given by an option, or the default; a missing or empty file is a usage error. */
export async function readPromptOption(
  args: ParsedArgs,
  io: CommandIO,
  option: string,
  fallback: string,
): Promise<string> {
  const file = stringOption(args, option);
  if (file === undefined) return fallback;
  let text: string;
  const path = resolve(io.cwd, file);
  try {
    // Named on the command line, but it may lie in a workspace where a link was planted: the read guard's
    // rules (links out of it, FIFOs, devices, size) apply; its text goes to the model.
    chooseFileToRead(path);
    text = await readOwnText(path, { what: 'prompt file', maxBytes: READ_LIMITS.text });
  } catch (err) {
    if (err instanceof UserError) throw new UsageError(`--${option}: ${err.message}`);
    throw new UsageError(
      `--${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  if (!text.trim()) throw new UsageError(`--${option}: ${file} is empty`);
  return text;
}

function withModel(args: ParsedArgs, model: string, baseUrl?: string): ParsedArgs {
  return { ...args, values: { ...args.values, model, ...(baseUrl ? { 'base-url': [baseUrl] } : {}) } };
}

/** `MODEL` or `MODEL@URL` (a judge served by another server). */
function parseJudge(spec: string): { model: string; baseUrl?: string } {
  const at = spec.search(/@(?=[a-z][a-z0-9+.-]*:\/\/|[\w.-]+:\d+)/i);
  if (at <= 0) return { model: spec };
  return { model: spec.slice(0, at), baseUrl: spec.slice(at + 1) };
}

export async function runBenchPrepare(args: ParsedArgs, io: CommandIO): Promise<number> {
  const inputs = await dataInputs(args, io);
  const json = flag(args, 'json');
  const { classifier, judges, owned } = openPrepareModels(args, io, inputs.out);
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    const plan = await prepareBenchData(
      { ...inputs, classifier, judges },
      { signal: io.signal, onProblems: (problems) => printProblems(io, problems) },
    );
    if (flag(args, 'dry-run')) return printPrepareDryRun(io, json, estimateBenchData(plan));
    if (inputs.batch && classifier.provider !== 'openai')
      throw new UsageError('--batch needs an OpenAI-compatible server: pass --provider openai');
    const outcome = await runBenchData(plan, {
      signal: io.signal,
      onProgress: (step, done, total) => progress.update(step, done, total),
      onNote: (m) => progress.message(m),
    });
    progress.done();
    printPrepareOutcome(io, json, plan, outcome);
    return 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    for (const l of owned) await l.dispose();
  }
}

/** The job's inputs from the options (models apart); the outputs named on the command line may be written. */
async function dataInputs(args: ParsedArgs, io: CommandIO): Promise<Omit<BenchDataInputs, 'classifier' | 'judges'>> {
  const abs = (p: string) => resolve(io.cwd, p);
  const input = rawInputOf(args, abs);
  const out = stringOption(args, 'out');
  if (!out) throw new UsageError('bench prepare: --out FILE is required');
  allowNamedOutput(abs(out));
  const report = stringOption(args, 'report');
  if (report) allowNamedOutput(abs(report));
  const pollSeconds = Number(stringOption(args, 'poll-seconds') ?? '10');
  if (!(pollSeconds >= 0)) throw new UsageError(`--poll-seconds: expected a number >= 0`);
  return {
    input,
    out: abs(out),
    ...(report ? { reportFile: abs(report) } : {}),
    overwrite: flag(args, 'force'),
    minPairs: intOption(args, 'min-pairs', 5, 1),
    agreement: parseAgreement(stringOption(args, 'agreement')),
    splits: parseRatios(stringOption(args, 'splits') ?? '50/20/30'),
    seed: intOption(args, 'seed', 0),
    temperature: temperatureFrom(args, {}),
    classifierPrompt: await readPromptOption(args, io, 'personalizable-prompt', DEFAULT_PROMPTS.personalizable),
    ...(batchRequested(args) ? { batch: { apiKey: apiKeyFor(args, io), pollMs: pollSeconds * 1000 } } : {}),
    existsHint: 'choose another --out or pass --force',
    command: 'bench prepare',
    display: (p) => relative(io.cwd, p) || p,
  };
}

function rawInputOf(args: ParsedArgs, abs: (p: string) => string): RawInput {
  const arena = listOption(args, 'arena');
  const prefs = listOption(args, 'prefs');
  const conv = stringOption(args, 'prism-conversations');
  const survey = stringOption(args, 'prism-survey');
  const given = [arena.length > 0, prefs.length > 0, conv !== undefined].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(
      'bench prepare: give exactly one input: --arena FILE..., --prism-conversations FILE [--prism-survey FILE], or --prefs FILE...',
    );
  if (survey !== undefined && conv === undefined)
    throw new UsageError('bench prepare: --prism-survey goes with --prism-conversations');
  if (arena.length) return { kind: 'arena', files: arena.map(abs) };
  if (prefs.length) return { kind: 'prefs', files: prefs.map(abs) };
  return { kind: 'prism', conversations: abs(conv!), ...(survey ? { survey: abs(survey) } : {}) };
}

/** The classifier and the judges (a judge named like the classifier, on its server, is the same model). */
function openPrepareModels(
  args: ParsedArgs,
  io: CommandIO,
  out: string,
): { classifier: Llm; judges: Llm[]; owned: Llm[] } {
  const cacheDir = join(dirname(out), '.synthesizeme', 'cache');
  const classifier = openLlm(args, io, {}, cacheDir);
  const judgeSpecs = listOption(args, 'judges').map(parseJudge);
  const judges: Llm[] = (judgeSpecs.length ? judgeSpecs : [{ model: classifier.model }]).map((j) =>
    j.model === classifier.model && !j.baseUrl
      ? classifier
      : openLlm(withModel(args, j.model, j.baseUrl), io, {}, cacheDir),
  );
  return { classifier, judges, owned: [classifier, ...judges.filter((j) => j !== classifier)] };
}

function printProblems(io: CommandIO, problems: readonly ImportProblem[]): void {
  for (const p of problems.slice(0, 50)) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
  if (problems.length > 50) io.stderr(`... and ${problems.length - 50} more problem(s)\n`);
}

function printPrepareDryRun(io: CommandIO, json: boolean, est: BenchDataEstimate): number {
  if (json) io.stdout(JSON.stringify(est) + '\n');
  else
    io.stdout(
      `Dry run: ${est.rawPairs} raw pairs, ${est.classifierCalls} after the user filter: ` +
        `${est.classifierCalls} classifier call(s), at most ${est.judgeCallsAtMost} judge call(s).\n`,
    );
  return 0;
}

function printPrepareOutcome(io: CommandIO, json: boolean, plan: BenchDataPlan, outcome: BenchDataOutcome): void {
  const rel = (p: string) => relative(io.cwd, p) || p;
  const judgeNote = outcome.result.report.judgeNote;
  if (!outcome.written)
    io.stderr(
      `note: bench prepare: no pair was kept, so ${rel(plan.inputs.out)} was not written; the report says which step dropped them\n` +
        (judgeNote ? `note: bench prepare: ${judgeNote}\n` : ''),
    );
  if (!json) {
    io.stdout(outcome.markdown);
    return;
  }
  io.stdout(
    JSON.stringify({
      out: rel(outcome.written?.path ?? plan.inputs.out),
      records: outcome.written?.records ?? 0,
      ...(outcome.written ? {} : { written: false }),
      report: outcome.result.report,
      problems: plan.raw.problems.length,
      unreadable: plan.raw.unreadable,
      skipped: plan.raw.skipped,
      calls: outcome.calls,
      cacheHits: outcome.cacheHits,
      batches: outcome.batches,
      ...(outcome.reportFile ? { reportFile: rel(outcome.reportFile) } : {}),
    }) + '\n',
  );
}
