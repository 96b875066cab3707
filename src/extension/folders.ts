// Multi-root workspaces: each workspace folder is its own SynthesizeMe workspace, with its own
// settings (folder-level values win), preference index, personas, runs, cache and model session, so a
// call about a second folder's file goes to that folder's server with that folder's model.
//
// Which folder a command works in: the one its argument names (a tree item, a file, `{ folder }`),
// else the active editor's, else the only one, else the user picks.

import * as vscode from 'vscode';
import type { Log } from './log';
import { ModelSession, type ServerCall } from './model-session';
import type { Secrets } from './secrets';
import { WorkspaceFiles } from './workspace-files';
import { UserError } from '../core/user-error';

export class Folder implements vscode.Disposable {
  readonly files: WorkspaceFiles;
  readonly model: ModelSession;

  constructor(
    readonly workspaceFolder: vscode.WorkspaceFolder,
    log: Log,
    secrets: Secrets,
  ) {
    this.files = new WorkspaceFiles(workspaceFolder, log);
    this.model = new ModelSession(this.files, secrets, log);
  }

  get name(): string {
    return this.workspaceFolder.name;
  }

  get uri(): vscode.Uri {
    return this.workspaceFolder.uri;
  }

  /** A path for messages: relative to this folder, with the folder's name when there are several. */
  relative(path: string | vscode.Uri): string {
    return vscode.workspace.asRelativePath(path, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
  }

  dispose(): void {
    this.model.dispose();
    this.files.dispose();
  }
}

function noFolder(): Error {
  return new UserError('open a folder with preference files first');
}

/** A folder named by a command argument: `{ folder: '<uri>' }` (tree items, lenses, webviews, tests). */
export function folderArg(arg: unknown): string | undefined {
  const f = (arg as { folder?: unknown } | undefined)?.folder;
  return typeof f === 'string' ? f : undefined;
}

export class Folders implements vscode.Disposable {
  private readonly byUri = new Map<string, { folder: Folder; subscriptions: vscode.Disposable[] }>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly modelChanged = new vscode.EventEmitter<void>();
  private readonly called = new vscode.EventEmitter<ServerCall & { folder: Folder }>();
  /** After each call any folder's model sent to its server (see ModelSession.onDidCall). */
  readonly onDidCall = this.called.event;
  /** Fires when any folder's index or persona files change, and when folders are added or removed. */
  readonly onDidChange = this.changed.event;
  /** Fires when any folder's model session was rebuilt. */
  readonly onDidChangeModel = this.modelChanged.event;
  private readonly watcher: vscode.Disposable;

  constructor(
    private readonly log: Log,
    private readonly secrets: Secrets,
  ) {
    this.sync();
    this.watcher = vscode.workspace.onDidChangeWorkspaceFolders(() => {
      this.sync();
      this.changed.fire();
      this.modelChanged.fire();
    });
  }

  private sync(): void {
    const now = new Set<string>();
    for (const wf of vscode.workspace.workspaceFolders ?? []) {
      const key = wf.uri.toString();
      now.add(key);
      if (this.byUri.has(key)) continue;
      const folder = new Folder(wf, this.log, this.secrets);
      this.byUri.set(key, {
        folder,
        subscriptions: [
          folder.files.onDidChange(() => this.changed.fire()),
          folder.model.onDidChange(() => this.modelChanged.fire()),
          folder.model.onDidCall((c) => this.called.fire({ ...c, folder })),
        ],
      });
    }
    for (const [key, entry] of this.byUri) {
      if (now.has(key)) continue;
      entry.subscriptions.forEach((s) => s.dispose());
      entry.folder.dispose();
      this.byUri.delete(key);
    }
  }

  /** Every folder, in the workspace's order. */
  all(): Folder[] {
    return (vscode.workspace.workspaceFolders ?? [])
      .map((wf) => this.byUri.get(wf.uri.toString())?.folder)
      .filter((f): f is Folder => f !== undefined);
  }

  get multiple(): boolean {
    return this.all().length > 1;
  }

  /** The folder a file belongs to (the innermost one when folders nest). */
  of(uri: vscode.Uri): Folder | undefined {
    const wf = vscode.workspace.getWorkspaceFolder(uri);
    return wf ? this.byUri.get(wf.uri.toString())?.folder : undefined;
  }

  /** The folder of a file, or an expected error naming the file. */
  ofFile(uri: vscode.Uri): Folder {
    const f = this.of(uri);
    if (!f)
      throw new UserError(
        `${uri.fsPath} is not inside a workspace folder: SynthesizeMe reads its settings, personas and runs from the folder a file is in`,
      );
    return f;
  }

  first(): Folder {
    const f = this.all()[0];
    if (!f) throw noFolder();
    return f;
  }

  /** The active editor's folder, else the first (the status bar's folder). */
  active(): Folder | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return (uri && this.of(uri)) || this.all()[0];
  }

  /** The folder a command works in (see the top of this file); undefined when the pick was cancelled. */
  async choose(arg: unknown, title: string): Promise<Folder | undefined> {
    const named = folderArg(arg);
    if (named !== undefined) {
      const f = this.byUri.get(named)?.folder ?? this.all().find((x) => x.uri.fsPath === named);
      if (!f) throw new UserError(`"${named}" is not a folder of this workspace`);
      return f;
    }
    const all = this.all();
    if (!all.length) throw noFolder();
    const editor = vscode.window.activeTextEditor?.document.uri;
    const fromEditor = editor && this.of(editor);
    if (fromEditor) return fromEditor;
    if (all.length === 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((f) => ({ label: f.name, description: f.uri.fsPath, folder: f })),
      { title, placeHolder: 'Which workspace folder? (each folder has its own settings, personas and runs)' },
    );
    return pick?.folder;
  }

  dispose(): void {
    this.watcher.dispose();
    for (const { folder, subscriptions } of this.byUri.values()) {
      subscriptions.forEach((s) => s.dispose());
      folder.dispose();
    }
    this.byUri.clear();
    this.changed.dispose();
    this.modelChanged.dispose();
    this.called.dispose();
  }
}
