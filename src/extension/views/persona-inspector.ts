// The Persona Inspector: a webview view in the side bar showing the selected user's persona,
// provenance, demonstrations, figures and history, with Fit / Re-validate / Edit / Compare.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';
import { folderArg, type Folder } from '../folders';
import { pickUser, readPersonaOf } from '../commands/run-inputs';
import { isInspectorToHost, type HostToInspector } from '../protocol';
import { personaView } from './persona-data';
import { webviewHtml, webviewOptions } from './webview-html';

export const INSPECTOR_VIEW_ID = 'synthesizeme.personaInspector';

export class PersonaInspector implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private userId: string | undefined;
  private folder: Folder | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.register(ctx.folders.onDidChange(() => void this.refresh()));
    ctx.register(ctx.runs.onDidChange((n) => this.post({ type: 'busy', busy: n > 0 })));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.ctx.extension.extensionUri);
    view.webview.html = webviewHtml(
      view.webview,
      this.ctx.extension.extensionUri,
      'persona-inspector',
      'Persona Inspector',
    );
    view.webview.onDidReceiveMessage((msg: unknown) => this.receive(msg));
    view.onDidChangeVisibility(() => view.visible && void this.refresh());
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  async show(userId: string, folder: Folder): Promise<void> {
    this.userId = userId;
    this.folder = folder;
    if (!this.view) await vscode.commands.executeCommand(`${INSPECTOR_VIEW_ID}.focus`);
    else this.view.show(true);
    await this.refresh();
  }

  get current(): string | undefined {
    return this.userId;
  }

  private post(msg: HostToInspector): void {
    if (this.view && this.ready) void this.view.webview.postMessage(msg);
  }

  async refresh(): Promise<void> {
    if (!this.view || !this.ready) return;
    if (!this.userId || !this.folder) {
      this.post({ type: 'show', userId: null, persona: null, message: 'Select a user in the Users view.' });
      return;
    }
    try {
      const persona = await personaView(this.folder, this.userId);
      this.post({
        type: 'show',
        userId: this.userId,
        persona,
        ...(persona ? {} : { message: `${this.userId} has no persona yet.` }),
      });
    } catch (err) {
      this.post({
        type: 'show',
        userId: this.userId,
        persona: null,
        message: `The persona file cannot be read: ${(err as Error).message}`,
      });
    }
  }

  /** A demonstration opened in the pair view: the user's demonstrations are the list to move through. */
  private async openPairView(folder: Folder, file: string, line: number): Promise<void> {
    const { pairAt, showPair } = await import('./pair-panel');
    const pair = await pairAt(folder, file, line);
    if (!pair) return openAt(folder, file, line);
    const found = this.userId ? await readPersonaOf(folder, this.userId).catch(() => undefined) : undefined;
    const keys = found ? found.model.demos.map((d) => ({ user: found.model.userId, pairId: d.pairId })) : [];
    await showPair(
      this.ctx,
      {
        folder,
        key: { user: pair.userId, pairId: pair.pairId },
        ...(keys.length ? { list: { name: 'demonstrations', keys } } : {}),
      },
      keys.length ? 'list' : 'file',
    );
  }

  private receive(msg: unknown): void {
    if (!isInspectorToHost(msg)) {
      this.ctx.log.warn('inspector', 'ignored a malformed message from the webview');
      return;
    }
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        void this.refresh();
        return;
      case 'action': {
        const command = {
          fit: CommandIds.fitUser,
          revalidate: CommandIds.revalidatePersona,
          edit: CommandIds.openPersona,
          compare: CommandIds.comparePersonaVersions,
          history: CommandIds.showHistory,
        }[msg.action];
        // The webview names the user; the folder is the one the inspector shows.
        void vscode.commands.executeCommand(command, {
          userId: msg.userId,
          ...(this.folder ? { folder: this.folder.uri.toString() } : {}),
        });
        return;
      }
      case 'openPair':
        if (this.folder) void openAt(this.folder, msg.file, msg.line);
        return;
      case 'openPairView':
        if (this.folder) void this.openPairView(this.folder, msg.file, msg.line);
        return;
    }
  }
}

/** Opens a folder's file (a name its index knows, or a folder-relative path) at a 1-based line. */
export async function openAt(folder: Folder, file: string, line: number): Promise<void> {
  const root = folder.uri;
  const uri = folder.files.uriOf(file) ?? vscode.Uri.joinPath(root, file);
  if (!uri.fsPath.startsWith(root.fsPath)) return;
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: true });
}

let inspector: PersonaInspector | undefined;

export function registerPersonaInspector(ctx: Ctx): PersonaInspector {
  inspector = new PersonaInspector(ctx);
  ctx.register(
    vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, inspector, {
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );
  return inspector;
}

export async function showPersonaInspector(ctx: Ctx, arg: unknown): Promise<string | undefined> {
  const userId =
    typeof arg === 'string'
      ? arg
      : typeof (arg as { userId?: unknown })?.userId === 'string'
        ? (arg as { userId: string }).userId
        : undefined;
  if (!userId || !inspector) return undefined;
  // The folder named, else the folder that has this user (a pick when several do), else the first.
  let folder: Folder | undefined;
  if (folderArg(arg) !== undefined) folder = await ctx.folders.choose(arg, 'Inspect persona');
  else {
    const having = [];
    for (const f of ctx.folders.all()) if ((await f.files.get()).user(userId)) having.push(f);
    folder =
      having.length > 1 ? (await pickUser(ctx, userId, 'Inspect persona'))?.folder : (having[0] ?? ctx.folders.first());
  }
  if (!folder) return undefined;
  await inspector.show(userId, folder);
  ctx.log.info('inspector', `showing ${userId}`);
  return userId;
}
