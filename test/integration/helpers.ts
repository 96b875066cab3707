/// <reference types="mocha" />
// Shared by the integration suites: the activated extension's API, the workspace folder, waiting.

import { appendFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension/main';
import type { PairScope } from '../../src/extension/protocol';

export const EXTENSION_ID = 'synthesizeme.synthesizeme-studio';

export async function api(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  const a = ext.isActive ? ext.exports : await ext.activate();
  if (!a) throw new Error('activation returned no API');
  return a;
}

/** The extension's one test API: activate() returns it in the extension's Test mode only. */
export async function testApi(): Promise<NonNullable<ExtensionApi['test']>> {
  const t = (await api()).test;
  if (!t) throw new Error('activation returned no test API (is the extension in Test mode?)');
  return t;
}

/** The pair view's keys without a browser (as the page sends them), and what it last showed. */
export async function pairViewOf(): Promise<{
  navigate: (scope: PairScope, delta: 1 | -1) => Promise<void>;
  last: () => { user: string; pairId: string; scope: PairScope; judgements: number } | undefined;
}> {
  const { webviews } = await testApi();
  return {
    navigate: (scope, delta) => webviews.receive('pair', { type: 'navigate', scope, delta }),
    last: () => {
      const m = webviews.shown('pair');
      if (m?.type !== 'pair') return undefined;
      return { user: m.pair.user, pairId: m.pair.pairId, scope: m.pair.scope, judgements: m.pair.judgements.length };
    },
  };
}

/** How many points the Verdicts webview last drew in a chart (reported by the page). */
export async function chartPaintOf(): Promise<() => { points: number } | undefined> {
  const { webviews } = await testApi();
  return () => webviews.reported('verdicts', 'chartPainted');
}

export function folder(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the tests need a workspace folder');
  return f.uri;
}

/** The second workspace folder (the harness opens a multi-root workspace of two). */
export function secondFolder(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[1];
  if (!f) throw new Error('the tests need a second workspace folder (a .code-workspace of two folders)');
  return f.uri;
}

/** Where the Workspace target writes: the .code-workspace file of a multi-root workspace, else the folder's settings. */
export function workspaceSettingsFile(): vscode.Uri {
  return vscode.workspace.workspaceFile ?? file('.vscode/settings.json');
}

export function file(name: string): vscode.Uri {
  return vscode.Uri.joinPath(folder(), name);
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function lensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}

export async function writeText(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
}

export async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

/** The tail of the extension's log (its LogOutputChannel file), for a failing test's report. */
export async function logTail(lines = 30): Promise<string> {
  const { ctx } = await api();
  const logs = vscode.Uri.joinPath(ctx.extension.logUri, '..', '..');
  const found: vscode.Uri[] = [];
  const walk = async (dir: vscode.Uri, depth: number): Promise<void> => {
    if (depth > 4) return;
    for (const [name, type] of await vscode.workspace.fs
      .readDirectory(dir)
      .then(undefined, () => [] as [string, vscode.FileType][])) {
      const uri = vscode.Uri.joinPath(dir, name);
      if (type === vscode.FileType.Directory) await walk(uri, depth + 1);
      else if (name.endsWith('SynthesizeMe.log')) found.push(uri);
    }
  };
  await walk(logs, 0);
  if (!found.length) return `(no SynthesizeMe.log under ${logs.fsPath})`;
  const texts = await Promise.all(found.map((u) => readText(u)));
  return texts.join('\n').split('\n').slice(-lines).join('\n');
}

/** Prints the extension's log after a failed test. */
export function printLogOnFailure(): void {
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      say(`      --- SynthesizeMe log (tail) ---\n${(await logTail()).replace(/^/gm, '      ')}`);
  });
}

/** A line in the test output (a remote extension host's console goes to the browser, not here). */
export function say(line: string): void {
  const file = process.env['EXT_TEST_LOG_FILE'];
  if (file) appendFileSync(file, line + '\n');
  else console.log(line);
}

/** Rendered Markdown previews (`markdown.showPreview`), each with the group it is in. */
export function markdownPreviews(): { tab: vscode.Tab; group: vscode.TabGroup }[] {
  return vscode.window.tabGroups.all.flatMap((group) =>
    group.tabs
      .filter((t) => t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType))
      .map((tab) => ({ tab, group })),
  );
}

/**
 * Points the first folder at a loopback Ollama (provider, baseUrls, model in the workspace settings) and waits
 * until its model session has taken them; returns what puts the earlier workspace values back.
 */
export async function useLoopbackOllama(
  port: number,
  url: string,
  model = 'llama3.1:8b',
): Promise<() => Promise<void>> {
  const { ctx } = await api();
  const c = vscode.workspace.getConfiguration('synthesizeme');
  const saved = new Map<string, unknown>();
  for (const [key, value] of [
    ['provider', 'ollama'],
    ['baseUrls', [url]],
    ['model', model],
  ] as const) {
    saved.set(key, c.inspect(key)?.workspaceValue);
    await c.update(key, value, vscode.ConfigurationTarget.Workspace);
  }
  const f = ctx.folders.first();
  await waitFor(
    'the model settings',
    async () => (await f.model.describe()).baseUrls.some((u) => u.includes(String(port))) || undefined,
  );
  return async () => {
    for (const [key, value] of saved) await c.update(key, value, vscode.ConfigurationTarget.Workspace);
  };
}

/** Invokes a language-model tool through VS Code's own API and returns its text (said in the log, first lines). */
export async function invokeTool(name: string, input: object, token?: vscode.CancellationToken): Promise<string> {
  const r = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, token);
  // Text parts, read by shape: the result crosses from the tool's extension host to the caller's.
  const text = r.content
    .map((p) => (p as { value?: unknown }).value)
    .filter((v): v is string => typeof v === 'string')
    .join('');
  say(`      (${name}: ${text.split('\n').slice(0, 3).join(' | ')})`);
  return text;
}

/**
 * Waits until the first folder's index no longer lists a user whose file a suite removed: the watcher sees the
 * deletion a moment later, and a later suite that fits every user must not find it still there.
 */
export async function waitUserGone(user: string): Promise<void> {
  const f = (await api()).ctx.folders.first();
  await waitFor(
    `${user} gone from the index`,
    async () => ((await f.files.get()).user(user) ? undefined : true),
    30_000,
  );
}
