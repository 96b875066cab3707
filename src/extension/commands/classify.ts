// Classify Pairs as Personalizable: the engine's personalizable classifier (PersonalRewardBench
// step 2) over the active preference file, as it is in the editor (saved or not). The counts go
// to a message, each label to the log, and a Markdown report to .synthesizeme/bench/.

import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { benchDir, type Classification, labelText, prepareClassify, runClassify } from '../../core/bench';
import { type Problem } from '../../core/data';
import type { Ctx } from '../ctx';
import { openMarkdownReport } from './bench-files';
import { runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { rephraseAdvice } from '../error-notice';

export interface ClassifyOutcome {
  file: string;
  pairs: number;
  personalizable: number;
  notPersonalizable: number;
  unlabelled: number;
  report: string;
  results: Classification[];
}

function targetDocument(arg: unknown): Promise<vscode.TextDocument> | undefined {
  // With a webview focused there is no active editor: the visible preference file is meant.
  const editor =
    vscode.window.activeTextEditor ??
    vscode.window.visibleTextEditors.find((e) => /\.(jsonl|ndjson|json|ya?ml)$/i.test(e.document.uri.fsPath));
  const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : editor?.document.uri;
  return uri ? Promise.resolve(vscode.workspace.openTextDocument(uri)) : undefined;
}

export async function classifyCommand(ctx: Ctx, arg: unknown): Promise<ClassifyOutcome | undefined> {
  const opening = targetDocument(arg);
  if (!opening) throw new UserError('open a preference file first (Classify works on the active file)');
  const doc = await opening;
  const rel = vscode.workspace.asRelativePath(doc.uri);
  // A file in a workspace folder uses that folder's model and prompts; a file outside, the chosen folder's.
  const folder = ctx.folders.of(doc.uri) ?? (await ctx.folders.choose(arg, "Classify with which folder's model?"));
  if (!folder) return undefined;
  const inputs = await runInputs(folder);
  const plan = await prepareClassify(
    {
      source: { path: doc.uri.fsPath, display: rel, text: doc.getText() },
      model: inputs.llm,
      // The workspace's editable prompt (written with the default on first use), like the CLI's default.
      instructions: (await inputs.prompts.get('personalizable')).text,
      temperature: inputs.temperature,
      seed: inputs.seed,
      reportFile: join(benchDir(inputs.layout), `classify-${basename(doc.uri.fsPath).replace(/[^\w.-]+/g, '_')}.md`),
      errorText: rephraseAdvice,
    },
    { onProblems: (problems) => logProblems(ctx, problems) },
  );
  const outcome = await ctx.runs.run(`classifying ${plan.pairs.length} pair(s) of ${basename(rel)}`, (signal, report) =>
    runClassify(plan, { signal, onProgress: (done, total) => report(done, total) }),
  );
  for (const r of outcome.results) ctx.log.info('classify', `${r.pairId}: ${labelText(r)}: ${r.error ?? r.reason}`);
  const { personalizable: yes, notPersonalizable: no, unlabelled, pairs } = outcome;
  const message =
    `${yes} of ${pairs} pair(s) in ${basename(rel)} personalizable, ` +
    `${no} not${unlabelled ? `, ${unlabelled} without a label` : ''}.`;
  await openMarkdownReport(ctx, outcome.reportFile!, message);
  return {
    file: rel,
    pairs,
    personalizable: yes,
    notPersonalizable: no,
    unlabelled,
    report: outcome.reportFile!,
    results: outcome.results,
  };
}

function logProblems(ctx: Ctx, problems: readonly Problem[]): void {
  for (const p of problems) ctx.log.warn('classify', `${p.file}:${p.line}:${p.column}: ${p.message}`);
}
