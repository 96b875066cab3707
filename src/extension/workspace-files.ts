// One workspace folder's preference files in the engine's index, kept up to date by file watchers:
// a change re-reads only the file that changed (the index re-splits only the users it touches).
// File names in the index are relative to the folder; the folder's own settings apply.

import * as vscode from 'vscode';
import {
  pinLegacySplits,
  readSplitState,
  type SplitState,
  workspaceLayout,
  type WorkspaceLayout,
} from '../core/workspace';
import {
  failedFile,
  findPreferencePaths,
  includeMatcher,
  isIncludedFile,
  isPreferenceFile,
  linkOutside,
  PreferenceIndex,
  readPreferenceFile,
} from '../core/data';
import { parsePersona, readPersonaText } from '../core/method';
import { engineSettings, readConfig, type Config } from './config';
import type { Log } from './log';

export class WorkspaceFiles implements vscode.Disposable {
  private index: PreferenceIndex | undefined;
  private loading: Promise<PreferenceIndex> | undefined;
  private readonly uris = new Map<string, vscode.Uri>();
  private readonly personas = new Set<string>();
  private watchers: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after the index (or the set of persona files) changed. */
  readonly onDidChange = this.changed.event;
  private pending: ReturnType<typeof setTimeout> | undefined;
  config: Config;
  /** How the pairs are split (split-record.ts): read with the index, pinned by the first run that writes. */
  private splits: SplitState | undefined;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly log: Log,
  ) {
    this.config = readConfig(folder.uri);
  }

  /** The folder: where its personas, prompts, runs and cache live. */
  get root(): vscode.Uri {
    return this.folder.uri;
  }

  async layout(): Promise<WorkspaceLayout> {
    return workspaceLayout(this.root.fsPath, engineSettings(this.config));
  }

  /** A file's name in this folder's index: relative to the folder, never prefixed with its name. */
  nameOf(uri: vscode.Uri): string {
    return vscode.workspace.asRelativePath(uri, false);
  }

  /** Whether a file is this folder's own (not a nested workspace folder's, which has its own settings). */
  owns(uri: vscode.Uri): boolean {
    return vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() === this.folder.uri.toString();
  }

  /** The index, read on first use. */
  get(): Promise<PreferenceIndex> {
    if (this.index) return Promise.resolve(this.index);
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  current(): PreferenceIndex | undefined {
    return this.index;
  }

  uriOf(file: string): vscode.Uri | undefined {
    return this.uris.get(file);
  }

  hasPersona(userId: string): boolean {
    return this.personas.has(userId);
  }

  /**
   * Before a run that writes (runInputs): a legacy workspace's splits are pinned, and said once in the log
   * and a notification. The CLI does the same (run-context.ts pinSplits).
   */
  async pinSplits(): Promise<void> {
    const index = await this.get();
    const splits = this.splits;
    if (!splits) return;
    const target = { root: this.root.fsPath, index, split: this.config.split, splits };
    const note = await pinLegacySplits(target);
    this.splits = target.splits;
    if (!note) return;
    this.log.info('splits', `${this.folder.name}: ${note}`);
    void vscode.window.showInformationMessage(`SynthesizeMe: ${note}.`);
  }

  /** The split record changed on disk (a CLI run pinned it): the index follows it. */
  private async rereadSplits(): Promise<void> {
    const index = this.index;
    if (!index) return;
    this.splits = await readSplitState(await this.layout(), this.config.split);
    index.setSplitBasis(this.splits.basis);
  }

  /** Settings that do not change which pairs there are (model, provider, temperature). */
  refreshConfig(): void {
    this.config = readConfig(this.folder.uri, (line) => this.log.warn('settings', `${this.folder.name}: ${line}`));
  }

  /** Settings changed: re-read everything with the new globs and splits. */
  async reload(): Promise<void> {
    this.refreshConfig();
    this.index = undefined;
    await this.get();
  }

  private async load(): Promise<PreferenceIndex> {
    const t0 = Date.now();
    // Reading never writes: a workspace fitted under the earlier split rule is shown with its splits until a run pins them.
    this.splits = await readSplitState(await this.layout(), this.config.split);
    for (const line of this.splits.notes) this.log.warn('splits', `${this.folder.name}: ${line}`);
    const index = new PreferenceIndex(this.config.split, this.splits.basis);
    this.uris.clear();
    // The CLI's own search (globs, skipped folders, links, sniffed JSONL): both faces read the same files.
    const { files, refused } = await findPreferencePaths([this.root.fsPath], this.config.include);
    for (const r of refused) {
      const uri = vscode.Uri.file(r.path);
      if (!this.owns(uri)) continue;
      this.uris.set(this.nameOf(uri), uri);
      index.setFile(failedFile(this.nameOf(uri), r.message, 1, 1, r.severity));
    }
    for (const file of files) {
      const uri = vscode.Uri.file(file);
      if (!this.owns(uri)) continue;
      this.uris.set(this.nameOf(uri), uri);
      index.setFile(await readPreferenceFile(file, this.nameOf(uri)));
    }
    await this.readPersonas();
    this.index = index;
    this.watch();
    const counts = `${index.fileNames().length} files, ${index.pairCount()} pairs, ${index.users().length} users`;
    this.log.info(
      'index',
      `${this.folder.name}: ${counts}, ${index.problems().length} problems in ${Date.now() - t0} ms`,
    );
    this.changed.fire();
    return index;
  }

  /** A file the watcher saw change: read as the search above would (a link out is reported, not read). */
  private async readInto(index: PreferenceIndex, uri: vscode.Uri): Promise<void> {
    const name = this.nameOf(uri);
    if (!(await isPreferenceFile(uri.fsPath))) {
      index.removeFile(name);
      this.uris.delete(name);
      return;
    }
    this.uris.set(name, uri);
    // VS Code's file search follows links: one planted to a file outside the folder is reported, not read.
    const outside = await linkOutside(uri.fsPath, this.root.fsPath);
    if (outside) {
      index.setFile(failedFile(name, outside, 1, 1, 'warning'));
      return;
    }
    index.setFile(await readPreferenceFile(uri.fsPath, name));
  }

  private async readPersonas(): Promise<void> {
    this.personas.clear();
    const layout = await this.layout();
    let entries: [string, vscode.FileType][] = [];
    try {
      entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(layout.personaDir));
    } catch {
      return;
    }
    for (const [name, type] of entries) {
      if (type !== vscode.FileType.File || !name.endsWith('.persona.yaml')) continue;
      try {
        // Under the read guard (a FIFO or a link out is refused, then reported when the persona is used).
        const text = await readPersonaText(`${layout.personaDir}/${name}`);
        if (text !== undefined) this.personas.add(parsePersona(text, name).userId);
      } catch {
        // A broken persona file is reported when it is used.
      }
    }
  }

  private watch(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    const folder = this.folder;
    // The search's own matcher decides which changes count, not VS Code's glob syntax: the same files as the CLI.
    const matches = includeMatcher(this.config.include);
    // Editors save in bursts: one re-read per file per burst.
    const pendingFiles = new Map<string, ReturnType<typeof setTimeout>>();
    this.watchers.push({ dispose: () => pendingFiles.forEach((t) => clearTimeout(t)) });
    const onFile = (uri: vscode.Uri, deleted: boolean) => {
      if (!this.owns(uri) || !isIncludedFile(this.nameOf(uri), matches)) return;
      clearTimeout(pendingFiles.get(uri.fsPath));
      pendingFiles.set(
        uri.fsPath,
        setTimeout(() => {
          pendingFiles.delete(uri.fsPath);
          reread(uri, deleted);
        }, 30),
      );
    };
    const reread = (uri: vscode.Uri, deleted: boolean) => {
      const index = this.index;
      if (!index) return;
      const name = this.nameOf(uri);
      void (async () => {
        if (deleted) {
          index.removeFile(name);
          this.uris.delete(name);
        } else await this.readInto(index, uri);
        this.log.info('index', `${folder.name}: ${deleted ? 'removed' : 're-read'} ${name}`);
        this.fireSoon();
      })().catch((err) => this.log.error('index', err as Error));
    };
    this.watchGlob('**/*', onFile);
    this.watchGlob('**/*.persona.yaml', () => void this.readPersonas().then(() => this.fireSoon()));
    this.watchGlob(
      '.synthesizeme/splits.json',
      () =>
        void this.rereadSplits().then(
          () => this.fireSoon(),
          (err: Error) => this.log.error('splits', err),
        ),
    );
    this.watchGlob('.synthesizeme/runs/*.run.jsonl', () => this.fireSoon(), 'create');
  }

  /** Watches `glob` in the folder until the next watch(): `on` hears creations and (unless 'create') changes and deletions. */
  private watchGlob(
    glob: string,
    on: (uri: vscode.Uri, deleted: boolean) => void,
    events: 'all' | 'create' = 'all',
  ): void {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.folder, glob));
    watcher.onDidCreate((u) => on(u, false));
    if (events === 'all') {
      watcher.onDidChange((u) => on(u, false));
      watcher.onDidDelete((u) => on(u, true));
    }
    this.watchers.push(watcher);
  }

  /** Saves and generated files come in bursts; one refresh per burst. */
  private fireSoon(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire();
    }, 50);
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const w of this.watchers) w.dispose();
    this.changed.dispose();
  }
}
