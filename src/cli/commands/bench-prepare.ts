// synthesizeme bench prepare: PersonalRewardBench preparation (METHOD.md section 6) from raw
// Chatbot Arena, PRISM or native files into one native JSONL file with splits, and a report.

import { READ_LIMITS, checkNamedDataFile, readOwnText } from '../../core/read-guard';
import { access } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
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
import { rethrowCancelled, usageLine } from '../run-context';
import { UsageError } from '../usage-error';
import { type Llm, resolveLlmConfig } from '../../core/llm';
import { writeNativeJsonl } from '../../core/data';
import { DEFAULT_PROMPTS } from '../../core/method';
import {
  BatchChatModel,
  BatchStateStore,
  preparePipeline,
  prepareReportMarkdown,
  type RawInput,
  readRawInput,
  type StepModel,
} from '../../core/bench';
import { allowNamedOutput, checkWrite, chooseFileToRead } from '../../core/write-guard';
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
  batch: { type: 'boolean' },
  'poll-seconds': { type: 'string' },
  'personalizable-prompt': { type: 'string' },
  force: { type: 'boolean' },
};

export const benchPrepareHelp = `synthesizeme bench prepare (--arena FILE... | --prism-conversations FILE --prism-survey FILE | --prefs FILE...)
                          --out FILE [options]
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
  --batch                    (openai provider) send steps 2 and 3 through the Batch API;
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
  const abs = (p: string) => resolve(io.cwd, p);
  const rel = (p: string) => relative(io.cwd, p) || p;
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
  const out = stringOption(args, 'out');
  if (!out) throw new UsageError('bench prepare: --out FILE is required');
  const outPath = abs(out);
  allowNamedOutput(outPath);
  // Both outputs are checked before any call is spent: a refused report after the work wasted it all.
  const reportGiven = stringOption(args, 'report');
  if (reportGiven) {
    allowNamedOutput(abs(reportGiven));
    await checkWrite(abs(reportGiven));
  }
  await checkWrite(outPath);
  if (
    !flag(args, 'force') &&
    (await access(outPath).then(
      () => true,
      () => false,
    ))
  )
    throw new UsageError(`bench prepare: ${out} exists; choose another --out or pass --force`);
  const minPairs = intOption(args, 'min-pairs', 5, 1);
  const agreement = parseAgreement(stringOption(args, 'agreement'));
  const splits = parseRatios(stringOption(args, 'splits') ?? '50/20/30');
  const seed = intOption(args, 'seed', 0);
  const temperature = temperatureFrom(args, {});
  const pollSeconds = Number(stringOption(args, 'poll-seconds') ?? '10');
  if (!(pollSeconds >= 0)) throw new UsageError(`--poll-seconds: expected a number >= 0`);
  const json = flag(args, 'json');
  const input: RawInput = arena.length
    ? { kind: 'arena', files: arena.map(abs) }
    : prefs.length
      ? { kind: 'prefs', files: prefs.map(abs) }
      : { kind: 'prism', conversations: abs(conv!), ...(survey ? { survey: abs(survey) } : {}) };
  const source = arena.length
    ? `Chatbot Arena (${arena.join(', ')})`
    : prefs.length
      ? `preference files (${prefs.join(', ')})`
      : `PRISM (${[conv, survey].filter(Boolean).join(', ')})`;

  // The inputs are named on the command line, but one may lie in a workspace where a link was planted: its
  // text goes to the classifier and the judges, so it is read under the read guard's rules (write-guard.ts).
  for (const f of [...arena, ...prefs, conv, survey].filter((x): x is string => !!x).map(abs)) {
    await checkNamedDataFile(f, 'bench prepare');
  }
  const raw = await readRawInput(input, { displayPath: rel, signal: io.signal });
  for (const p of raw.problems.slice(0, 50))
    io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
  if (raw.problems.length > 50) io.stderr(`... and ${raw.problems.length - 50} more problem(s)\n`);
  if (raw.records.length === 0)
    throw new UsageError(
      `bench prepare: no valid preference pair in the input${raw.unreadable.length ? ` (not read: ${raw.unreadable.join(', ')})` : ''}`,
    );

  const cacheDir = join(dirname(outPath), '.synthesizeme', 'cache');
  const classifier = openLlm(args, io, {}, cacheDir);
  const judgeSpecs = listOption(args, 'judges').map(parseJudge);
  const judgeLlms: Llm[] = (judgeSpecs.length ? judgeSpecs : [{ model: classifier.model }]).map((j) =>
    j.model === classifier.model && !j.baseUrl
      ? classifier
      : openLlm(withModel(args, j.model, j.baseUrl), io, {}, cacheDir),
  );
  const owned = [classifier, ...judgeLlms.filter((j) => j !== classifier)];
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    if (flag(args, 'dry-run')) {
      const users = new Map<string, number>();
      for (const r of raw.records) users.set(r.user_id, (users.get(r.user_id) ?? 0) + 1);
      const step1 = raw.records.filter((r) => users.get(r.user_id)! >= minPairs).length;
      const est = { classifierCalls: step1, judgeCallsAtMost: step1 * 2 * judgeLlms.length };
      if (json) io.stdout(JSON.stringify({ rawPairs: raw.records.length, ...est }) + '\n');
      else
        io.stdout(
          `Dry run: ${raw.records.length} raw pairs, ${step1} after the user filter: ${est.classifierCalls} classifier call(s), at most ${est.judgeCallsAtMost} judge call(s).\n`,
        );
      return 0;
    }
    let classifierModel: StepModel = classifier;
    let judges: StepModel[] = judgeLlms;
    const batches: BatchChatModel[] = [];
    if (flag(args, 'batch')) {
      if (classifier.provider !== 'openai')
        throw new UsageError('--batch needs an OpenAI-compatible server: pass --provider openai');
      const statePath = `${outPath}.batch.json`;
      const apiKey = apiKeyFor(args, io);
      const store = new BatchStateStore(statePath);
      const make = (model: string, step: string) => {
        const b = new BatchChatModel(model, {
          baseUrl: classifier.config.baseUrls[0]!,
          ...(apiKey ? { apiKey } : {}),
          statePath,
          store,
          step,
          pollMs: pollSeconds * 1000,
          log: (m) => progress.message(m),
        });
        batches.push(b);
        return b;
      };
      classifierModel = make(classifier.model, 'personalizable');
      judges = judgeLlms.map((j) => make(j.model, `judge-${j.model}`));
    }
    const result = await preparePipeline(raw.records, {
      minPairs,
      agreement,
      splits,
      seed,
      temperature,
      classifier: classifierModel,
      classifierPrompt: await readPromptOption(args, io, 'personalizable-prompt', DEFAULT_PROMPTS.personalizable),
      judges,
      judgePrompt: DEFAULT_PROMPTS.judge,
      // A judge server that cannot be reached is left out at once; a missing model shows up on
      // its first call (some servers serve models they do not list).
      judgeCheck: flag(args, 'batch')
        ? undefined
        : async (_judge, i) => {
            const llm = judgeLlms[i]!;
            if (llm === classifier) return undefined;
            const report = await llm.checkConnection(io.signal);
            const down = report.endpoints.every((e) => !e.ok && e.errorKind !== 'not-found');
            return down
              ? new Error(report.endpoints.map((e) => `${e.baseUrl}: ${e.error ?? 'unreachable'}`).join('; '))
              : undefined;
          },
      signal: io.signal,
      onProgress: (step, done, total) => progress.update(step, done, total),
      log: (m) => progress.message(m),
    });
    progress.done();
    const written = await writeNativeJsonl(result.records, outPath, {
      inputs: [...arena, ...prefs, conv, survey].filter((x): x is string => !!x).map(abs),
    });
    const calls = owned.reduce((n, l) => n + l.counters().calls, 0);
    const hits = owned.reduce((n, l) => n + l.counters().cacheHits, 0);
    const usage = batches.length
      ? `Batch API: ${batches.reduce((n, b) => n + b.counters.uploaded, 0)} request(s) uploaded in ${batches.reduce((n, b) => n + b.counters.batchesCreated, 0)} batch(es), ${batches.reduce((n, b) => n + b.counters.fromSavedOutput, 0)} answered from saved output`
      : owned.length === 1
        ? usageLine(classifier)
        : `${calls} call(s), ${hits} from cache (${owned.map((l) => `${l.model}: ${usageLine(l)}`).join('; ')})`;
    const markdown = prepareReportMarkdown(result.report, {
      source,
      problems: raw.problems,
      skipped: raw.skipped,
      unreadable: raw.unreadable,
      out: rel(written.path),
      usage,
    });
    const reportPath = stringOption(args, 'report');
    if (reportPath) {
      allowNamedOutput(abs(reportPath));
      await writeFile(abs(reportPath), markdown);
    }
    if (json) {
      io.stdout(
        JSON.stringify({
          out: rel(written.path),
          records: written.records,
          report: result.report,
          problems: raw.problems.length,
          unreadable: raw.unreadable,
          skipped: raw.skipped,
          calls,
          cacheHits: hits,
          batches: batches.map((b) => ({ model: b.model, ...b.counters })),
          ...(reportPath ? { reportFile: rel(abs(reportPath)) } : {}),
        }) + '\n',
      );
    } else io.stdout(markdown);
    return 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    for (const l of owned) await l.dispose();
  }
}
