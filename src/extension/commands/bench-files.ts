// How the benchmark commands show a Markdown report the engine wrote: rendered, in the report group that
// Ctx owns (markdown-reports.ts). Where reports go is the engine's (benchDir, .synthesizeme/bench/), so the
// CLI and VS Code find the same files.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/** Shows a Markdown report rendered, in the report group (see MarkdownReports). */
export function showMarkdownReport(ctx: Ctx, uri: vscode.Uri): Promise<void> {
  return ctx.reports.show(uri);
}

/** Shows a report the engine wrote, rendered, with a message. */
export async function openMarkdownReport(ctx: Ctx, path: string, message: string): Promise<vscode.Uri> {
  const uri = vscode.Uri.file(path);
  await ctx.reports.show(uri);
  void vscode.window.showInformationMessage(`SynthesizeMe: ${message}`);
  return uri;
}
