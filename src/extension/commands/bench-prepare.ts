// Benchmark: Prepare Data Set...: the engine's PersonalRewardBench preparation (METHOD.md 6)
// from raw Arena, PRISM or native files into one native JSONL file, with the current model as
// the personalizable classifier and the judges it asks for (models on the same server). The report is
// written beside the output and opened; a data set one judge alone emptied says why (the engine's note).

import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import {
  benchDir,
  type BenchDataInputs,
  type BenchDataOutcome,
  estimateBenchData,
  prepareBenchData,
  type RawInput,
  runBenchData,
} from '../../core/bench';
import { type ImportProblem } from '../../core/data';
import { type Llm } from '../../core/llm';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { allowChosenFile } from '../../core/write-guard';
import { openMarkdownReport, showMarkdownReport } from './bench-files';

export interface PrepareArgs {
  kind?: 'arena' | 'prism' | 'prefs';
  files?: string[];
  /** PRISM only: the survey file. */
  survey?: string;
  out?: string;
  minPairs?: number;
  /**
   * The judges of step 3 (models on the folder's server). Asked when the files were not given;
   * default: the folder's model, which is also the classifier.
   */
  judges?: string[];
  /** The workspace folder whose model and settings are used (its URI). */
  folder?: string;
}

export interface PrepareOutcome {
  /** The output file chosen; written only when some pair was kept (`written`). */
  out: string;
  written: boolean;
  records: number;
  report: string;
  /** Why the disagreement filter kept nothing or everything (one judge alone), as the report says. */
  judgeNote?: string;
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
  const folder = await ctx.folders.choose(a, "Prepare with which folder's model and settings?");
  if (!folder) return undefined;
  const out = await outputFrom(a, folder);
  if (!out) return undefined;
  // Chosen in the save dialog (or given by the caller): that folder may be written.
  allowChosenFile(out);
  const llm = await folder.model.get();
  const judgeNames = await judgesFrom(a, llm);
  if (!judgeNames) return undefined;
  // A judge named like the classifier is the same model (one cache, one scheduler); the others are opened here.
  const judges = await Promise.all(judgeNames.map((m) => (m === llm.model ? llm : folder.model.another(m))));
  try {
    return await prepare(ctx, inputsOf(a, folder, input, out, llm, judges));
  } finally {
    for (const j of judges) if (j !== llm) await j.dispose();
  }
}

function inputsOf(
  a: PrepareArgs,
  folder: Folder,
  input: RawInput,
  out: string,
  llm: Llm,
  judges: readonly Llm[],
): BenchDataInputs & { reportFile: string } {
  const config = folder.files.config;
  const reportFile = out.replace(/(\.prefs)?\.jsonl$/i, '') + '.report.md';
  return {
    input,
    out,
    reportFile,
    // The save dialog asked before replacing the file.
    overwrite: true,
    minPairs: a.minPairs ?? config.split.minPairs,
    splits: config.split.ratios,
    seed: config.split.seed,
    temperature: config.temperature,
    classifier: llm,
    judges,
    display: (p) => vscode.workspace.asRelativePath(p),
  };
}

async function prepare(ctx: Ctx, inputs: BenchDataInputs & { reportFile: string }): Promise<PrepareOutcome> {
  const { out, reportFile } = inputs;
  const outcome = await ctx.runs.run(`preparing ${basename(out)}`, async (signal, report) => {
    const plan = await prepareBenchData(inputs, { signal, onProblems: (problems) => logProblems(ctx, problems) });
    const est = estimateBenchData(plan);
    ctx.log.info(
      'prepare',
      `${est.rawPairs} raw pairs: ${est.classifierCalls} classifier call(s), at most ${est.judgeCallsAtMost} judge call(s)`,
    );
    return runBenchData(plan, {
      signal,
      onProgress: (step, done, total) => report(done, total, `${step}: ${done} of ${total}`),
      onNote: (m) => ctx.log.info('prepare', m),
    });
  });
  return showPrepared(ctx, out, reportFile, outcome);
}

/**
 * The judges: given; the folder's model when the files were given (a caller that chose without dialogs);
 * otherwise picked among the server's models (typed when it lists none). Undefined: cancelled.
 */
async function judgesFrom(a: PrepareArgs, llm: Llm): Promise<string[] | undefined> {
  if (a.judges?.length) return a.judges;
  if (a.files) return [llm.model];
  const models = await llm.listModels().catch(() => []);
  if (!models.length) {
    const typed = await vscode.window.showInputBox({
      title: 'Prepare: judge models (step 3, the disagreement filter)',
      prompt:
        'Model names on the same server, separated by commas. ' +
        'One judge alone can only keep pairs it answers differently in the two orders.',
      value: llm.model,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return undefined;
    const names = [...new Set(typed.split(/[\s,]+/).filter(Boolean))];
    return names.length ? names : [llm.model];
  }
  const picked = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.name,
      ...(m.name === llm.model ? { description: 'the current model (also the classifier)' } : {}),
      picked: m.name === llm.model,
    })),
    {
      title: 'Prepare: judge models (step 3, the disagreement filter)',
      placeHolder:
        'Pick two or more for a graded filter: one judge alone keeps only pairs it answers differently in the two orders',
      canPickMany: true,
      ignoreFocusOut: true,
    },
  );
  if (!picked) return undefined;
  return picked.length ? picked.map((p) => p.label) : [llm.model];
}

/** The output file: given, or from the save dialog (offered under .synthesizeme/bench/). */
async function outputFrom(a: PrepareArgs, folder: Folder): Promise<string | undefined> {
  if (a.out) return a.out;
  // Offered under .synthesizeme/bench/ (where the other benchmark outputs go, and out of the index: a
  // prepared copy at the root would be read as a second set of the same users); anywhere the user picks goes.
  const defaultUri = vscode.Uri.file(join(benchDir(await folder.files.layout()), 'prepared.prefs.jsonl'));
  // The dialog opens in that folder only if it exists.
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(defaultUri, '..'));
  const picked = await vscode.window.showSaveDialog({
    title: 'Prepared data set (native JSONL)',
    saveLabel: 'Prepare',
    filters: { 'Preference JSONL': ['jsonl'] },
    defaultUri,
  });
  return picked?.fsPath;
}

function logProblems(ctx: Ctx, problems: readonly ImportProblem[]): void {
  for (const p of problems) ctx.log.warn('prepare', `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
}

async function showPrepared(
  ctx: Ctx,
  out: string,
  reportFile: string,
  outcome: BenchDataOutcome,
): Promise<PrepareOutcome> {
  const rel = (p: string) => vscode.workspace.asRelativePath(p);
  const { written } = outcome;
  const judgeNote = outcome.result.report.judgeNote;
  const note = judgeNote ? ` ${judgeNote}` : '';
  const noted = judgeNote ? { judgeNote } : {};
  if (!written) {
    await showMarkdownReport(ctx, vscode.Uri.file(reportFile));
    void vscode.window.showWarningMessage(
      `SynthesizeMe: no pair was kept by the preparation, so ${rel(out)} was not written; the report says which step dropped them.${note}`,
    );
    return { out, written: false, records: 0, report: reportFile, ...noted };
  }
  await openMarkdownReport(ctx, reportFile, `prepared ${written.records} pair(s) into ${rel(written.path)}.${note}`);
  return { out: written.path, written: true, records: written.records, report: reportFile, ...noted };
}
