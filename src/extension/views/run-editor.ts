// A run file's own editor: `*.run.jsonl` opens read-only in the Verdicts page (the same page, host and protocol as
// Show Verdicts...), with "Open in Grid" (Compare Runs on this run and the runs drawn beside it) and "Open as Text".
// It reads only the file the person opened, and the runs folder of the workspace folder it lies in: a file outside
// the workspace, or one a link leads out of it, is refused in the editor before a byte is read.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import type { HostToVerdicts, VerdictsToHost } from '../protocol';
import type { HostedEditor } from './webview-host';
import { loadVerdicts, onVerdictsMessage } from './verdicts-panel';
import { checkRead } from '../../core/read-guard';
import { UserError } from '../../core/user-error';

/** package.json's `contributes.customEditors` view type. */
export const RUN_EDITOR = 'synthesizeme.runFile';

/** What the editor shows: a run with its grid's runs, or why it cannot. */
type Shown =
  | { kind: 'run'; message: HostToVerdicts; folder: Folder; path: string; comparable: string[] }
  | { kind: 'notice'; message: HostToVerdicts };

function notice(title: string, text: string): Shown {
  return { kind: 'notice', message: { type: 'notice', title, text } };
}

/** Reads the run, or says why not: outside the workspace (nothing read), a link out of it, not a run file. */
async function load(ctx: Ctx, uri: vscode.Uri): Promise<Shown> {
  const name = uri.path.split('/').pop() ?? uri.path;
  const folder = uri.scheme === 'file' ? ctx.folders.of(uri) : undefined;
  if (!folder)
    return notice(
      `${name} is outside the workspace`,
      `SynthesizeMe shows the run files of the open workspace folders only (a run's pairs, personas and settings ` +
        `come from its folder), so it has not read ${uri.scheme === 'file' ? uri.fsPath : uri.toString()}. ` +
        'Open the folder it belongs to, or open the file as text.',
    );
  try {
    // A link inside the folder that leads out of it is refused, as every read of the tool's own files is.
    await checkRead(uri.fsPath, folder.uri.fsPath);
    const { message, comparable } = await loadVerdicts(folder, uri.fsPath);
    return { kind: 'run', message: { ...message, inEditor: true }, folder, path: uri.fsPath, comparable };
  } catch (err) {
    if (!(err instanceof UserError)) ctx.log.error('run editor', err as Error);
    const why = err instanceof Error ? err.message : String(err);
    return notice(`${name} cannot be shown as a run`, `${why}. A run file is written by Evaluate or Re-validate.`);
  }
}

/**
 * The grid of this run: beside it, the runs the Verdicts chart compares it with; with none, Compare Runs asks which
 * runs to set beside it (this one already picked).
 */
async function openGrid(shown: Shown & { kind: 'run' }): Promise<void> {
  const folder = shown.folder.uri.toString();
  const args = shown.comparable.length
    ? { runs: [shown.path, ...shown.comparable], folder }
    : { folder, with: shown.path };
  await vscode.commands.executeCommand(CommandIds.compareRuns, args);
}

async function onMessage(ctx: Ctx, uri: vscode.Uri, shown: Shown, m: VerdictsToHost): Promise<void> {
  if (m.type === 'openAsText') await vscode.commands.executeCommand('vscode.openWith', uri, 'default');
  else if (shown.kind !== 'run') return;
  else if (m.type === 'openGrid') await openGrid(shown);
  else await onVerdictsMessage(ctx, shown.folder, shown.message, m, shown.path);
}

async function show(ctx: Ctx, view: HostedEditor<'verdicts'>, uri: vscode.Uri): Promise<void> {
  const shown = await load(ctx, uri);
  view.show(shown.message, (m) => onMessage(ctx, uri, shown, m));
}

class RunEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly ctx: Ctx) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const view = this.ctx.webviews.editor('verdicts', panel, document.uri);
    await show(this.ctx, view, document.uri);
    // A run being written (or resumed) grows: the editor follows it, as a text editor would.
    if (document.uri.scheme !== 'file' || !this.ctx.folders.of(document.uri)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, '..'), document.uri.path.split('/').pop()!),
      true,
      false,
      true,
    );
    // A run appends a line per verdict: one reload per second at most.
    let timer: NodeJS.Timeout | undefined;
    watcher.onDidChange(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void show(this.ctx, view, document.uri);
      }, 1000);
    });
    panel.onDidDispose(() => {
      clearTimeout(timer);
      watcher.dispose();
    });
  }
}

export function registerRunEditor(ctx: Ctx): void {
  ctx.register(
    vscode.window.registerCustomEditorProvider(RUN_EDITOR, new RunEditorProvider(ctx), {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    }),
  );
}
