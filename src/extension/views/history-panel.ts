// "Show History": the versions of a persona or a prompt over time (the engine's version history),
// with their scores as a chart, each version's runs, and "Compare with current", which opens the
// diff editor and the comparison grid of the two versions' runs on the pairs that flipped.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { type ChartView, type HistoryToHost, type HistoryView } from '../protocol';
import { showGrid } from './compare-grid-panel';
import { showVerdicts } from './verdicts-panel';
import { historySeries, historyWarnings, personaVersions, promptVersions, type VersionEntry } from '../../core/eval';
import { DEFAULT_PROMPTS, loadPersona, type PromptName } from '../../core/method';
import { UserError } from '../../core/user-error';

const PROMPTS: PromptName[] = ['judge', 'bootstrap', 'persona-synthesis', 'memory', 'personalizable', 'rubric'];

/** Scores over versions, one series per split, method and model (the engine's historySeries): never a mix of models. */
export function historyChart(name: string, versions: readonly VersionEntry[]): ChartView {
  const series = historySeries(versions).map((s) => ({ name: s.name, points: s.points }));
  return { title: `${name}: accuracy by version`, xLabel: 'version', yLabel: 'accuracy', series };
}

export async function showHistory(
  ctx: Ctx,
  folder: Folder,
  kind: 'persona' | 'prompt',
  name: string,
): Promise<HistoryView> {
  const layout = await folder.files.layout();
  const versions =
    kind === 'persona' ? await personaVersions(layout, name) : await promptVersions(layout, name as PromptName);
  if (!versions.length)
    throw new UserError(
      kind === 'persona' ? `user "${name}" has no persona yet: fit first` : `prompt "${name}" has no versions yet`,
    );
  const history: HistoryView = {
    kind,
    name,
    versions: versions.map((v) => ({
      id: v.id,
      created: v.created,
      origin: v.origin,
      current: v.current,
      ...(v.validation !== undefined ? { validation: v.validation } : {}),
      runs: v.runs,
    })),
    chart: historyChart(name, versions),
  };
  const warnings = historyWarnings(versions);
  if (warnings.length) history.warnings = warnings;
  const message = { type: 'history', history, sentAt: Date.now() } as const;
  ctx.webviews.panel('history').show(`History: ${name}`, message, (m) => onMessage(ctx, folder, versions, m));
  return history;
}

async function onMessage(ctx: Ctx, folder: Folder, versions: VersionEntry[], m: HistoryToHost): Promise<void> {
  if (m.type === 'ready') return;
  const v = versions[m.version];
  if (!v) return;
  if (m.type === 'openRun') {
    const r = v.runs[m.run];
    if (r) await showVerdicts(ctx, { run: r.path });
    return;
  }
  await compareWithCurrent(ctx, folder, v, versions.find((x) => x.current) ?? versions[versions.length - 1]!);
}

/**
 * The diff of the two texts, then the grid of the newest runs of each version on the same split and method, on the
 * flipped pairs.
 */
export async function compareWithCurrent(
  ctx: Ctx,
  folder: Folder,
  older: VersionEntry,
  now: VersionEntry,
): Promise<void> {
  const text = async (v: VersionEntry) =>
    v.path
      ? vscode.Uri.file(v.path)
      : (
          await vscode.workspace.openTextDocument({
            content: v.kind === 'prompt' ? DEFAULT_PROMPTS[v.name as PromptName] : '',
            language: 'markdown',
          })
        ).uri;
  await vscode.commands.executeCommand(
    'vscode.diff',
    await text(older),
    await text(now),
    `${now.name}: ${older.id} ↔ ${now.current ? 'current' : now.id}`,
  );
  for (const a of [...older.runs].sort((x, y) => y.created.localeCompare(x.created))) {
    const b = [...now.runs]
      .sort((x, y) => y.created.localeCompare(x.created))
      .find((r) => r.split === a.split && r.method === a.method && r.path !== a.path);
    if (b) {
      await showGrid(ctx, folder, [a.path, b.path], 'flipped');
      return;
    }
  }
  const which = older.id === now.id ? 'this version' : 'each version';
  void vscode.window.showInformationMessage(
    'No runs of both versions on the same split and method to compare pair by pair: ' +
      `evaluate or re-validate with ${which} first.`,
  );
}

/** The command: a user ({folder, user}), a prompt ({folder, prompt}), a persona or prompt file (a URI), or a pick. */
export async function showHistoryCommand(ctx: Ctx, arg: unknown): Promise<HistoryView | undefined> {
  const a = (arg ?? {}) as { user?: unknown; userId?: unknown; prompt?: unknown };
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  const folder =
    arg instanceof vscode.Uri
      ? ctx.folders.ofFile(arg)
      : await ctx.folders.choose(arg, 'Show the history of which folder?');
  if (!folder) return undefined;
  const user = typeof a.user === 'string' ? a.user : typeof a.userId === 'string' ? a.userId : undefined;
  if (user) return showHistory(ctx, folder, 'persona', user);
  if (typeof a.prompt === 'string' && (PROMPTS as string[]).includes(a.prompt))
    return showHistory(ctx, folder, 'prompt', a.prompt);
  if (uri) {
    const base = uri.path.split('/').pop() ?? '';
    const prompt = PROMPTS.find((p) => base === `${p}.prompt.md`);
    if (prompt) return showHistory(ctx, folder, 'prompt', prompt);
    if (base.endsWith('.persona.yaml')) {
      const model = await loadPersona(uri.fsPath, folder.relative(uri.fsPath)).catch(() => undefined);
      if (model) return showHistory(ctx, folder, 'persona', model.userId);
    }
  }
  const index = await folder.files.get();
  const items = [
    ...index
      .users()
      .filter((u) => folder.files.hasPersona(u.id))
      .map((u) => ({ label: u.id, description: 'persona', what: 'persona' as const, name: u.id })),
    ...PROMPTS.map((p) => ({ label: p, description: 'prompt', what: 'prompt' as const, name: p })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Show the history of which persona or prompt?' });
  return pick ? showHistory(ctx, folder, pick.what, pick.name) : undefined;
}
