// Where the benchmark commands write (the CLI's .synthesizeme/bench/, so both find the same
// files) and how a Markdown report is written and opened.

import { join } from 'node:path';
import * as vscode from 'vscode';
import { type FitPrompts, type Prompt } from '../../core/method';
import { type WorkspaceLayout } from '../../core/workspace';
import { type BenchJobOptions } from '../../core/bench';
import { type UserEntry } from '../../core/data';
import type { RunInputs } from './run-inputs';
import type { Ctx } from '../ctx';
import type { RunReport } from '../run-progress';
import { checkWrite } from '../../core/write-guard';

/** .synthesizeme/bench/ of the workspace (the CLI's `bench scaling` writes there too). */
export function benchDir(layout: WorkspaceLayout): string {
  return join(layout.runsDir, '..', 'bench');
}

export async function benchPrompts(inputs: RunInputs): Promise<FitPrompts & { memory: Prompt }> {
  const p = inputs.prompts;
  return {
    bootstrap: await p.get('bootstrap'),
    personaSynthesis: await p.get('persona-synthesis'),
    judge: await p.get('judge'),
    memory: await p.get('memory'),
  };
}

/**
 * The settings every benchmark job takes from the extension: the workspace's model, prompts,
 * seed and temperature, the default fit parameters, and progress and log wired to the run.
 */
export function benchJobOptions(
  ctx: Ctx,
  inputs: RunInputs,
  job: {
    users: readonly UserEntry[];
    prompts: FitPrompts & { memory: Prompt };
    fit: { k: number; stopScore: number };
    signal: AbortSignal;
    report: RunReport;
    tag: string;
  },
): BenchJobOptions {
  return {
    users: job.users,
    runsDir: inputs.layout.runsDir,
    prompts: job.prompts,
    temperature: inputs.temperature,
    seed: inputs.seed,
    k: job.fit.k,
    stopScore: job.fit.stopScore,
    signal: job.signal,
    onProgress: (label, done, total) => job.report(done, total, `${label}: ${done} of ${total}`),
    log: (m) => ctx.log.warn(job.tag, m),
  };
}

/** Model text inside a Markdown table cell: one line, no pipes, no HTML. */
export function mdCell(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[|<>\\`*_[\]]/g, (c) => `\\${c}`)
    .trim();
}

export async function writeText(path: string, text: string): Promise<vscode.Uri> {
  // Reports and charts land in the workspace or where the user chose: never through a planted link.
  await checkWrite(path);
  const uri = vscode.Uri.file(path);
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

/**
 * The editor group reports are shown in: the one the last report went to while it is still open, so that
 * a run of reports replaces its preview there instead of opening a new group each time.
 */
let reportColumn: vscode.ViewColumn | undefined;

const isMarkdownPreview = (t: vscode.Tab) =>
  t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType);

/**
 * Shows a Markdown report rendered (`markdown.showPreview`), in the report group (else beside the active
 * editor). The preview command opens in the active editor's group, so the file is opened there first and
 * its text tab closed once the preview stands in for it. Without the Markdown extension, the text stays.
 */
export async function showMarkdownReport(uri: vscode.Uri): Promise<void> {
  const open = reportColumn !== undefined && vscode.window.tabGroups.all.some((g) => g.viewColumn === reportColumn);
  const column = open ? reportColumn! : vscode.ViewColumn.Beside;
  const sameFile = (t: vscode.Tab) =>
    t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString();
  const textWasOpen = open && vscode.window.tabGroups.all.some((g) => g.viewColumn === column && g.tabs.some(sameFile));
  const editor = await vscode.window.showTextDocument(uri, { viewColumn: column, preview: true });
  reportColumn = editor.viewColumn;
  if (!(await vscode.commands.getCommands(true)).includes('markdown.showPreview')) return;
  await vscode.commands.executeCommand('markdown.showPreview', uri);
  // The text tab this opened goes (one the user had open stays).
  if (textWasOpen) return;
  const group = vscode.window.tabGroups.all.find((g) => g.viewColumn === reportColumn);
  const text = group?.tabs.find(sameFile);
  if (text && group?.tabs.some(isMarkdownPreview)) await vscode.window.tabGroups.close(text, true);
}

/** Writes the report and shows it rendered in the report group, with a message. */
export async function openMarkdownReport(path: string, markdown: string, message: string): Promise<vscode.Uri> {
  const uri = await writeText(path, markdown);
  await showMarkdownReport(uri);
  void vscode.window.showInformationMessage(`SynthesizeMe: ${message}`);
  return uri;
}
