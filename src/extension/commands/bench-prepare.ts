// Benchmark: Prepare Data Set...: the engine's PersonalRewardBench preparation (METHOD.md 6)
// from raw Arena, PRISM or native files into one native JSONL file, with the current model as
// the personalizable classifier and the judge. The report is written beside the output and opened.

import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { type RawInput } from '../../core/bench';
import type { Ctx } from '../ctx';
import { allowChosenFile } from '../../core/write-guard';
import { benchDir, openMarkdownReport, showMarkdownReport, writeText } from './bench-files';
import { UserError } from '../../core/user-error';

export interface PrepareArgs {
  kind?: 'arena' | 'prism' | 'prefs';
  files?: string[];
  /** PRISM only: the survey file. */
  survey?: string;
  out?: string;
  minPairs?: number;
  /** The workspace folder whose model and settings are used (its URI). */
  folder?: string;
}

export interface PrepareOutcome {
  /** The output file chosen; written only when some pair was kept (`written`). */
  out: string;
  written: boolean;
  records: number;
  report: string;
}

const KINDS = [
  {
    label: 'arena',
    source: 'arena' as const,
    description: 'Chatbot Arena conversations (JSON, JSONL, CSV or Parquet export)',
  },
  { label: 'prism', source: 'prism' as const, description: 'PRISM conversations (and optionally the survey)' },
  { label: 'prefs', source: 'prefs' as const, description: 'SynthesizeMe preference files' },
];

const pickFiles = async (title: string, many: boolean) =>
  (
    await vscode.window.showOpenDialog({ title, canSelectMany: many, canSelectFiles: true, canSelectFolders: false })
  )?.map((u) => u.fsPath);

/** The input, from the arguments or dialogs; undefined when the user cancels a dialog. */
async function inputFrom(a: PrepareArgs): Promise<RawInput | undefined> {
  const kind =
    a.kind ?? (await vscode.window.showQuickPick(KINDS, { title: 'Prepare: which kind of raw data?' }))?.source;
  if (!kind) return undefined;
  const files =
    a.files ?? (await pickFiles(kind === 'prism' ? 'PRISM conversations file' : `Raw ${kind} files`, kind !== 'prism'));
  if (!files?.length) return undefined;
  if (kind !== 'prism') return { kind, files };
  // The survey is optional: cancelling its dialog goes on without it.
  const survey = a.files ? a.survey : (await pickFiles('PRISM survey file (cancel for none)', false))?.[0];
  return { kind, conversations: files[0]!, ...(survey ? { survey } : {}) };
}

export async function benchPrepareCommand(ctx: Ctx, arg: unknown): Promise<PrepareOutcome | undefined> {
  const a = (arg ?? {}) as PrepareArgs;
  const input = await inputFrom(a);
  if (!input) return undefined;
  const inputs = input.kind === 'prism' ? [input.conversations, ...(input.survey ? [input.survey] : [])] : input.files;
  const folder = await ctx.folders.choose(a, "Prepare with which folder's model and settings?");
  if (!folder) return undefined;
  // Offered under .synthesizeme/bench/ (where the other benchmark outputs go, and out of the index: a
  // prepared copy at the root would be read as a second set of the same users); anywhere the user picks goes.
  const defaultUri = vscode.Uri.file(join(benchDir(await folder.files.layout()), 'prepared.prefs.jsonl'));
  // The dialog opens in that folder only if it exists.
  if (!a.out) await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(defaultUri, '..'));
  const out =
    a.out ??
    (
      await vscode.window.showSaveDialog({
        title: 'Prepared data set (native JSONL)',
        saveLabel: 'Prepare',
        filters: { 'Preference JSONL': ['jsonl'] },
        defaultUri,
      })
    )?.fsPath;
  if (!out) return undefined;
  // Chosen in the save dialog (or given by the caller): that folder may be written.
  allowChosenFile(out);
  const [{ readRawInput }, { preparePipeline }, { prepareReportMarkdown }, { writeNativeJsonl }, { DEFAULT_PROMPTS }] =
    await Promise.all([
      import('../../core/bench/raw-input'),
      import('../../core/bench/prepare'),
      import('../../core/bench/report'),
      import('../../core/data/importers/index'),
      import('../../core/method/default-prompts'),
    ]);
  const rel = (p: string) => vscode.workspace.asRelativePath(p);
  const llm = await folder.model.get();
  const config = folder.files.config;
  const before = llm.counters();
  const { written, markdown } = await ctx.runs.run(`preparing ${basename(out)}`, async (signal, report) => {
    const raw = await readRawInput(input, { displayPath: rel, signal });
    for (const p of raw.problems)
      ctx.log.warn('prepare', `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    if (!raw.records.length)
      throw new UserError(
        `no valid preference pair in the input${raw.unreadable.length ? ` (not read: ${raw.unreadable.join(', ')})` : ''}`,
      );
    const result = await preparePipeline(raw.records, {
      minPairs: a.minPairs ?? config.split.minPairs,
      agreement: [0.1, 0.9],
      splits: config.split.ratios,
      seed: config.split.seed,
      temperature: config.temperature,
      classifier: llm,
      classifierPrompt: DEFAULT_PROMPTS.personalizable,
      judges: [llm],
      judgePrompt: DEFAULT_PROMPTS.judge,
      signal,
      onProgress: (step, done, total) => report(done, total, `${step}: ${done} of ${total}`),
      log: (m) => ctx.log.info('prepare', m),
    });
    // No pair kept: no file (an empty one would read as a data set with no users); the report says which step dropped them.
    const written = result.records.length ? await writeNativeJsonl(result.records, out, { inputs }) : undefined;
    const c = llm.counters();
    const usage = `${c.calls - before.calls} call(s), ${c.cacheHits - before.cacheHits} from cache`;
    const source = `${input.kind} (${inputs.map((f) => basename(f)).join(', ')})`;
    const target = written ? rel(written.path) : `nothing (no pair was kept; ${rel(out)} was not written)`;
    return {
      written,
      markdown: prepareReportMarkdown(result.report, {
        source,
        problems: raw.problems,
        skipped: raw.skipped,
        unreadable: raw.unreadable,
        out: target,
        usage,
      }),
    };
  });
  const reportPath = out.replace(/(\.prefs)?\.jsonl$/i, '') + '.report.md';
  if (!written) {
    await writeText(reportPath, markdown);
    await showMarkdownReport(vscode.Uri.file(reportPath));
    void vscode.window.showWarningMessage(
      `SynthesizeMe: no pair was kept by the preparation, so ${rel(out)} was not written; the report says which step dropped them.`,
    );
    return { out, written: false, records: 0, report: reportPath };
  }
  await openMarkdownReport(reportPath, markdown, `prepared ${written.records} pair(s) into ${rel(written.path)}.`);
  return { out: written.path, written: true, records: written.records, report: reportPath };
}
