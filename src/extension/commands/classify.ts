// Classify Pairs as Personalizable: the engine's personalizable classifier (PersonalRewardBench
// step 2) over the active preference file, as it is in the editor (saved or not). The counts go
// to a message, each label to the log, and a Markdown report to .synthesizeme/bench/.

import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { type Classification } from '../../core/bench';
import type { Ctx } from '../ctx';
import { benchDir, mdCell, openMarkdownReport } from './bench-files';
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

export function classifyMarkdown(file: string, results: readonly Classification[], model: string): string {
  const yes = results.filter((r) => r.personalizable === true).length;
  const no = results.filter((r) => r.personalizable === false).length;
  const lines = [
    `# Personalizable pairs: ${file}`,
    '',
    `${yes} of ${results.length} pair(s) personalizable, ${no} not, ${results.length - yes - no} without a label (${model}).`,
    '',
  ];
  lines.push('| pair | user | personalizable | reason |', '| --- | --- | --- | --- |');
  for (const r of results)
    lines.push(
      `| ${mdCell(r.pairId)} | ${mdCell(r.userId)} | ${r.personalizable === null ? 'no label' : r.personalizable ? 'yes' : 'no'} | ${mdCell(r.error ? rephraseAdvice(r.error) : r.reason)} |`,
    );
  return lines.join('\n') + '\n';
}

export async function classifyCommand(ctx: Ctx, arg: unknown): Promise<ClassifyOutcome | undefined> {
  const opening = targetDocument(arg);
  if (!opening) throw new UserError('open a preference file first (Classify works on the active file)');
  const doc = await opening;
  const [{ parseText }, { formatOf }, { classifyPairs }] = await Promise.all([
    import('../../core/data/read-file'),
    import('../../core/data/file-text'),
    import('../../core/bench/classify'),
  ]);
  const rel = vscode.workspace.asRelativePath(doc.uri);
  const format = formatOf(doc.uri.fsPath);
  if (!format) throw new UserError(`${rel} is not a preference file (.jsonl, .json or .yaml)`);
  const parse = parseText(doc.getText(), rel, format);
  for (const p of parse.problems) ctx.log.warn('classify', `${p.file}:${p.line}:${p.column}: ${p.message}`);
  if (!parse.pairs.length) throw new UserError(`no valid preference pair in ${rel}`);
  // A file in a workspace folder uses that folder's model and prompts; a file outside, the chosen folder's.
  const folder = ctx.folders.of(doc.uri) ?? (await ctx.folders.choose(arg, "Classify with which folder's model?"));
  if (!folder) return undefined;
  const inputs = await runInputs(folder);
  // The workspace's editable prompt (written with the default on first use), like the CLI's default.
  const instructions = (await inputs.prompts.get('personalizable')).text;
  const results = await ctx.runs.run(
    `classifying ${parse.pairs.length} pair(s) of ${basename(rel)}`,
    (signal, report) => {
      let done = 0;
      return classifyPairs(inputs.llm, instructions, parse.pairs, {
        temperature: inputs.temperature,
        seed: inputs.seed,
        signal,
        onResult: () => report(++done, parse.pairs.length),
      });
    },
  );
  for (const r of results)
    ctx.log.info(
      'classify',
      `${r.pairId}: ${r.personalizable === null ? 'no label' : r.personalizable ? 'personalizable' : 'not personalizable'}: ${r.error ?? r.reason}`,
    );
  const yes = results.filter((r) => r.personalizable === true).length;
  const no = results.filter((r) => r.personalizable === false).length;
  const reportPath = join(benchDir(inputs.layout), `classify-${basename(doc.uri.fsPath).replace(/[^\w.-]+/g, '_')}.md`);
  const message = `${yes} of ${results.length} pair(s) in ${basename(rel)} personalizable, ${no} not${results.length - yes - no ? `, ${results.length - yes - no} without a label` : ''}.`;
  await openMarkdownReport(reportPath, classifyMarkdown(rel, results, inputs.llm.model), message);
  return {
    file: rel,
    pairs: results.length,
    personalizable: yes,
    notPersonalizable: no,
    unlabelled: results.length - yes - no,
    report: reportPath,
    results,
  };
}
