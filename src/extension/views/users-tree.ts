// The Users tree: each user with pair counts per split, whether a persona exists and its last
// validation accuracy; context menu Fit / Evaluate / Open persona. In a multi-root workspace the users
// are grouped under a node per folder (the same id in two folders is two users); with one folder the
// list is flat.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { readPersonaOf } from '../persona-of';
import { readRun } from '../../core/eval';
import { pairsBySplit } from '../../core/workspace';
import { percent } from '../../core/percent';

/** A workspace folder's node (multi-root only): its users are its children. */
export class FolderItem extends vscode.TreeItem {
  /** The folder's URI: a command given this item works in that folder (`{ folder }`). */
  readonly folder: string;

  constructor(
    readonly workspaceFolder: Folder,
    users: number | undefined,
  ) {
    super(workspaceFolder.name, vscode.TreeItemCollapsibleState.Expanded);
    this.folder = workspaceFolder.uri.toString();
    this.id = `folder:${this.folder}`;
    this.description = users === undefined ? '' : `${users} user${users === 1 ? '' : 's'}`;
    this.tooltip = workspaceFolder.uri.fsPath;
    this.iconPath = vscode.ThemeIcon.Folder;
    this.resourceUri = workspaceFolder.uri;
    this.contextValue = 'folder';
  }
}

export type UsersTreeItem = FolderItem | UserItem;

type PersonaFigures = { accuracy?: number; edited?: boolean; test?: number } | undefined;

/** The persona part of a user's line: " · persona val 70% test 65% (edited)". */
function personaShort(persona: PersonaFigures): string {
  if (!persona) return '';
  const acc = persona.accuracy !== undefined ? ` val ${percent(persona.accuracy, 0)}` : '';
  const test = persona.test !== undefined ? ` test ${percent(persona.test, 0)}` : '';
  return ` · persona${acc}${test}${persona.edited ? ' (edited)' : ''}`;
}

/** The persona line of a user's tooltip. */
function personaLong(persona: PersonaFigures): string {
  if (!persona) return 'persona: not fitted yet';
  const acc = persona.accuracy !== undefined ? `, last validation ${percent(persona.accuracy, 1)}` : '';
  const test = persona.test !== undefined ? `, last test run (persona+demos) ${percent(persona.test, 1)}` : '';
  return `persona: yes${persona.edited ? ' (edited by hand)' : ''}${acc}${test}`;
}

export class UserItem extends vscode.TreeItem {
  /** The folder's URI: commands given this item work in that folder. */
  readonly folder: string;

  constructor(
    folder: { uri: vscode.Uri; name: string; shown: boolean },
    readonly userId: string,
    counts: { context: number; validation: number; test: number },
    persona: PersonaFigures,
    tooSmall: boolean,
  ) {
    super(userId, vscode.TreeItemCollapsibleState.None);
    this.folder = folder.uri.toString();
    this.description = `ctx ${counts.context} · val ${counts.validation} · test ${counts.test}${personaShort(persona)}`;
    this.tooltip = new vscode.MarkdownString();
    this.tooltip.appendText(
      `${userId}${folder.shown ? ` (${folder.name})` : ''}\n` +
        `context ${counts.context}, validation ${counts.validation}, test ${counts.test}` +
        `${tooSmall ? ' (too small to split)' : ''}\n${personaLong(persona)}`,
    );
    this.iconPath = new vscode.ThemeIcon(persona ? 'account' : 'person');
    this.contextValue = persona ? 'user.persona' : 'user';
    this.id = folder.shown ? `user:${this.folder}:${userId}` : `user:${userId}`;
    this.command = {
      command: 'synthesizeme.inspectPersona',
      title: 'Inspect persona',
      arguments: [{ userId, folder: this.folder }],
    };
  }
}

export class UsersTree implements vscode.TreeDataProvider<UsersTreeItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly parents = new Map<string, FolderItem>();

  constructor(private readonly ctx: Ctx) {
    ctx.register(ctx.folders.onDidChange(() => this.changed.fire()));
    ctx.register(this.changed);
  }

  getTreeItem(item: UsersTreeItem): UsersTreeItem {
    return item;
  }

  /** With several folders, a node per folder; with one, its users. A folder node's children are its users. */
  async getChildren(parent?: UsersTreeItem): Promise<UsersTreeItem[]> {
    if (parent instanceof UserItem) return [];
    if (parent instanceof FolderItem) return this.usersOf(parent.workspaceFolder, true, parent);
    const folders = this.ctx.folders.all();
    if (folders.length === 1) return this.usersOf(folders[0]!, false);
    this.parents.clear();
    return folders.map((f) => new FolderItem(f, f.files.current()?.users().length));
  }

  getParent(item: UsersTreeItem): FolderItem | undefined {
    return item instanceof UserItem && item.id ? this.parents.get(item.id) : undefined;
  }

  /** Every user of every folder, whatever the grouping (for tests and callers that look a user up). */
  async userItems(): Promise<UserItem[]> {
    const top = await this.getChildren();
    const nested = await Promise.all(top.map((i) => (i instanceof FolderItem ? this.getChildren(i) : [i])));
    return nested.flat().filter((i): i is UserItem => i instanceof UserItem);
  }

  private async usersOf(folder: Folder, shown: boolean, parent?: FolderItem): Promise<UserItem[]> {
    const [index, tests] = await Promise.all([folder.files.get(), lastTestAccuracy(folder)]);
    const where = { uri: folder.uri, name: folder.name, shown };
    return Promise.all(
      index.users().map(async (u) => {
        const s = pairsBySplit(u);
        let persona: { accuracy?: number; edited?: boolean } | undefined;
        if (folder.files.hasPersona(u.id)) {
          const p = await readPersonaOf(folder, u.id).catch(() => undefined);
          // Only a run made with this very version of the persona (its hash) speaks for it.
          const test = p ? tests.get(`${u.id}\u0000${p.hash}`) : undefined;
          persona = {
            ...(p?.model.provenance.validation ? { accuracy: p.model.provenance.validation.accuracy } : {}),
            ...(p?.model.provenance.edited ? { edited: true } : {}),
            ...(test !== undefined ? { test } : {}),
          };
        }
        const item = new UserItem(
          where,
          u.id,
          { context: s.context.length, validation: s.validation.length, test: s.test.length },
          persona,
          u.split.tooSmall,
        );
        if (parent && item.id) this.parents.set(item.id, parent);
        return item;
      }),
    );
  }
}

/**
 * Each user's accuracy in the newest finished persona+demos run on the test split, keyed by user and the
 * hash of the persona file that run used: a hand-edited persona is not credited with an older version's
 * figure, nor with a benchmark's run over other persona files.
 */
async function lastTestAccuracy(folder: Folder): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const dir = vscode.Uri.file((await folder.files.layout()).runsDir);
  let names: string[];
  try {
    names = (await vscode.workspace.fs.readDirectory(dir))
      .map(([n]) => n)
      .filter((n) => n.startsWith('persona-demos-test-') && n.endsWith('.run.jsonl'));
  } catch {
    return out;
  }
  const runs = await Promise.all(
    names.map(async (n) => ({
      uri: vscode.Uri.joinPath(dir, n),
      mtime: (await vscode.workspace.fs.stat(vscode.Uri.joinPath(dir, n))).mtime,
    })),
  );
  for (const { uri } of runs.sort((a, b) => b.mtime - a.mtime)) {
    // The one run-file reader: under the read guard, damaged lines skipped.
    const run = await readRun(uri.fsPath).catch(() => undefined);
    const summary = run?.summary;
    // An unfinished or damaged run has no summary.
    if (!summary || summary.complete === false) continue;
    for (const u of summary.users) {
      const hash = run.header?.inputs[`persona:${u.id}`];
      const key = `${u.id}\u0000${hash}`;
      if (hash && !out.has(key) && typeof u.accuracy === 'number') out.set(key, u.accuracy);
    }
  }
  return out;
}

export function registerUsersTree(ctx: Ctx): UsersTree {
  const tree = new UsersTree(ctx);
  ctx.register(vscode.window.createTreeView('synthesizeme.users', { treeDataProvider: tree, showCollapseAll: false }));
  return tree;
}
