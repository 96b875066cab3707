// Where the benchmark commands write (the CLI's .synthesizeme/bench/, so both find the same
// files) and how a Markdown report is written and opened.

import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FitPrompts } from '../../core/method/fit';
import type { Prompt } from '../../core/method/prompt-store';
import type { WorkspaceLayout } from '../../core/workspace/layout';
import type { RunInputs } from './run-inputs';
import type { BenchJobOptions } from '../../core/bench/run';
import type { UserEntry } from '../../core/data/workspace-index';
import type { Ctx } from '../ctx';
import type { RunReport } from '../run-progress';
import { checkWrite } from '../../core/write-guard';

/** .synthesizeme/bench/ of the workspace (the CLI's `bench scaling` writes there too). */
export function benchDir(layout: WorkspaceLayout): string {
  return join(layout.runsDir, '..', 'bench');
}

export async function benchPrompts(inputs: RunInputs): Promise<FitPrompts & { memory: Prompt }> {
  const p = inputs.prompts;
  return { bootstrap: await p.get('bootstrap'), personaSynthesis: await p.get('persona-synthesis'), judge: await p.get('judge'), memory: await p.get('memory') };
}

/**
 * The settings every benchmark job takes from the extension: the workspace's model, prompts,
 * seed and temperature, the default fit parameters, and progress and log wired to the run.
 */
export function benchJobOptions(
  ctx: Ctx,
  inputs: RunInputs,
  job: { users: readonly UserEntry[]; prompts: FitPrompts & { memory: Prompt }; fit: { k: number; stopScore: number }; signal: AbortSignal; report: RunReport; tag: string },
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
  return text.replace(/\s+/g, ' ').replace(/[|<>\\`*_[\]]/g, (c) => `\\${c}`).trim();
}

export async function writeText(path: string, text: string): Promise<vscode.Uri> {
  // Reports and charts land in the workspace or where the user chose: never through a planted link.
  await checkWrite(path);
  const uri = vscode.Uri.file(path);
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

/** Writes the report and opens it beside the current editor; the message offers the preview. */
export async function openMarkdownReport(path: string, markdown: string, message: string): Promise<vscode.Uri> {
  const uri = await writeText(path, markdown);
  await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  void vscode.window.showInformationMessage(`SynthesizeMe: ${message}`, 'Open Preview').then((pick) => {
    if (pick) void vscode.commands.executeCommand('markdown.showPreview', uri);
  });
  return uri;
}
