// The Verdicts panel: every per-pair verdict of a run file (both orders, correct or not, the
// reasoning), accuracy per method side by side, filters; clicking a row opens the pair.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import {
  isVerdictsToHost,
  type ChartView,
  type HostToVerdicts,
  type RunMessage,
  type RunView,
  type VerdictRow,
} from '../protocol';
import { openAt } from './persona-inspector';
import { webviewHtml, webviewOptions } from './webview-html';
import { UserError } from '../../core/user-error';
import { listRuns, readRun } from '../../core/eval';

let panel: vscode.WebviewPanel | undefined;
let listener: vscode.Disposable | undefined;
/** The last first-paint figure the webview reported (the browser test prints it). */
export let lastPaint: { rows: number; ms: number } | undefined;
/** How many chart points the webview last drew (the integration test checks the chart arrived). */
let lastChartPaint: { points: number } | undefined;
export const chartPaint = (): { points: number } | undefined => lastChartPaint;

interface RunFile {
  name: string;
  path: string;
  mtime: number;
  folder: Folder;
}

/** A folder's run files, newest first. */
async function runFiles(folder: Folder): Promise<RunFile[]> {
  const layout = await folder.files.layout();
  try {
    const entries = (await vscode.workspace.fs.readDirectory(vscode.Uri.file(layout.runsDir))).filter(([n]) =>
      n.endsWith('.run.jsonl'),
    );
    const out = [];
    for (const [name] of entries) {
      const path = `${layout.runsDir}/${name}`;
      out.push({ name, path, mtime: (await vscode.workspace.fs.stat(vscode.Uri.file(path))).mtime, folder });
    }
    return out.sort((a, b) => b.mtime - a.mtime);
  } catch {
    return [];
  }
}

/** The folder a run file belongs to: the folder whose runs folder holds it, else the folder it lies in. */
async function folderOfRun(ctx: Ctx, path: string): Promise<Folder> {
  for (const f of ctx.folders.all()) if ((await runFiles(f)).some((r) => r.path === path)) return f;
  return ctx.folders.of(vscode.Uri.file(path)) ?? ctx.folders.first();
}

export async function verdictsMessage(folder: Folder, path: string): Promise<RunMessage> {
  const run = await readRun(path);
  if (!run.header) throw new UserError(`${folder.relative(path)} is not a run file (no header)`);
  const [{ figures }, { compareVerdicts }] = await Promise.all([
    import('../../core/eval/evaluate'),
    import('../../core/eval/compare'),
  ]);
  const seed = run.header.seed;
  const view = (name: string, r: Awaited<ReturnType<typeof readRun>>): RunView => ({
    name,
    method: r.header?.method ?? '?',
    split: r.header?.split ?? '?',
    model: r.header?.model ?? '?',
    ...(r.summary
      ? {
          accuracy: r.summary.accuracy,
          ci95: r.summary.ci95,
          consistency: r.summary.consistency,
          pairs: r.summary.pairs,
          complete: r.summary.complete !== false,
          ...(r.summary.failed ? { failedCalls: r.summary.failed.calls } : {}),
          ...(r.summary.unparseable !== undefined ? { unparseable: r.summary.unparseable } : {}),
        }
      : {}),
  });
  const name = path.split(/[\\/]/).pop()!;
  // The opened run first, as it is. Beside it, the newest finished run of each other method on the same
  // split and model, but only when it judged every pair of this one: its figures are then taken over
  // these pairs, with the paired difference. A run over other pairs is not drawn as if comparable.
  const methods: RunView[] = [view(name, run)];
  const seen = new Set<string>([run.header.method]);
  const keys = [...run.verdicts.keys()];
  let notComparable = 0;
  for (const f of await runFiles(folder)) {
    if (f.path === path) continue;
    const r = await readRun(f.path);
    if (
      !r.summary ||
      r.header?.split !== run.header.split ||
      r.header?.model !== run.header.model ||
      seen.has(r.header.method)
    )
      continue;
    seen.add(r.header.method);
    if (!keys.length || !keys.every((k) => r.verdicts.has(k))) {
      notComparable++;
      continue;
    }
    const same = new Map(keys.map((k) => [k, r.verdicts.get(k)!]));
    const fig = figures([...same.values()], seed);
    const c = compareVerdicts(run.verdicts, same, seed);
    methods.push({
      ...view(f.name, r),
      accuracy: fig.accuracy,
      ci95: fig.ci95,
      consistency: fig.consistency,
      pairs: fig.pairs,
      versus: { points: 100 * c.difference, ci95: [100 * c.ci95[0], 100 * c.ci95[1]], p: c.mcnemar.p },
    });
  }
  const rows: VerdictRow[] = [...run.verdicts.values()].map((v) => ({
    user: v.userId,
    pairId: v.pairId,
    file: v.file,
    line: v.line,
    orders: v.orders.map((o) => ({
      order: o.order,
      preference: o.preference,
      correct: o.correct,
      reasoning: o.reasoning,
    })),
  }));
  return {
    type: 'run',
    run: view(name, run),
    methods,
    ...(notComparable ? { notComparable } : {}),
    rows,
    sentAt: Date.now(),
  };
}

export async function showVerdicts(ctx: Ctx, arg: unknown): Promise<number | undefined> {
  const given = arg as { run?: unknown; comparison?: unknown } | undefined;
  const comparison = typeof given?.comparison === 'string' ? given.comparison : undefined;
  let path =
    typeof arg === 'string'
      ? arg
      : arg instanceof vscode.Uri
        ? arg.fsPath
        : typeof given?.run === 'string'
          ? given.run
          : undefined;
  let folder: Folder | undefined;
  if (!path) {
    // The run picker says what made each run (the engine's run listing, as `synthesizeme runs`): method,
    // model, date, accuracy, label, complete or not, and stale when a prompt or persona changed since.
    const several = ctx.folders.multiple;
    const items: (vscode.QuickPickItem & { path: string; folder: Folder; created: string })[] = [];
    for (const f of ctx.folders.all()) {
      for (const r of await listRuns(await f.files.layout())) {
        const acc = r.accuracy === null ? 'no figures yet' : `${(100 * r.accuracy).toFixed(1)}% over ${r.pairs} pairs`;
        items.push({
          label: `${r.label ? `${r.label} · ` : ''}${r.method} on ${r.split}`,
          description: `${several ? `${f.name} · ` : ''}${r.model} · ${new Date(r.created).toLocaleString()} · ${acc}${r.status !== 'complete' ? ` · ${r.status.toUpperCase()}` : ''}${r.stale ? ' · stale' : ''} · ${r.id}`,
          ...(r.stale ? { detail: `stale: ${r.staleBecause.join(', ')}` } : {}),
          path: r.path,
          folder: f,
          created: r.created,
        });
      }
    }
    if (!items.length) throw new UserError('no run files yet: run Evaluate first');
    const pick = await vscode.window.showQuickPick(
      items.sort((a, b) => b.created.localeCompare(a.created)),
      { title: 'Show verdicts of which run?', matchOnDescription: true },
    );
    if (!pick) return undefined;
    ({ path, folder } = pick);
  }
  folder ??= await folderOfRun(ctx, path);
  const message = { ...(await verdictsMessage(folder, path)), ...(comparison ? { comparison } : {}) };
  openPanel(ctx, folder, `Verdicts: ${message.run.method} on ${message.run.split}`, message);
  return message.rows.length;
}

/** A verdict row opens the pair view, with the filtered rows as its list; a pair no longer in the index opens its line. */
async function openPairOfRow(
  ctx: Ctx,
  folder: Folder,
  message: HostToVerdicts,
  msg: { file: string; line: number; list?: number[] },
): Promise<void> {
  const { pairAt, showPair } = await import('./pair-panel');
  const pair = await pairAt(folder, msg.file, msg.line);
  if (!pair) return openAt(folder, msg.file, msg.line);
  const rows = message.type === 'run' ? message.rows : [];
  const keys = (msg.list ?? [])
    .map((i) => rows[i])
    .filter((r) => r !== undefined)
    .map((r) => ({ user: r.user, pairId: r.pairId }));
  await showPair(
    ctx,
    {
      folder,
      key: { user: pair.userId, pairId: pair.pairId },
      ...(keys.length ? { list: { name: 'verdict rows', keys } } : {}),
    },
    keys.length ? 'list' : 'file',
  );
}

/** Shows a chart (Benchmark: Scaling Plot) in the same panel, sent as numbers, drawn by the webview. */
export function showChart(ctx: Ctx, folder: Folder, chart: ChartView): void {
  lastChartPaint = undefined;
  openPanel(ctx, folder, `Chart: ${chart.title}`, { type: 'chart', chart, sentAt: Date.now() });
}

/** The one panel, created on first use; the webview asks for its message with `ready` after each load. */
function openPanel(ctx: Ctx, folder: Folder, title: string, message: HostToVerdicts): void {
  if (!panel) {
    panel = vscode.window.createWebviewPanel('synthesizeme.verdicts', 'Verdicts', vscode.ViewColumn.Active, {
      ...webviewOptions(ctx.extension.extensionUri),
      retainContextWhenHidden: true,
    });
    panel.onDidDispose(() => {
      panel = undefined;
      listener?.dispose();
    });
  }
  const p = panel;
  p.title = title;
  const send = () => void p.webview.postMessage({ ...message, sentAt: Date.now() });
  listener?.dispose();
  listener = p.webview.onDidReceiveMessage((msg: unknown) => {
    if (!isVerdictsToHost(msg)) {
      ctx.log.warn('verdicts', 'ignored a malformed message from the webview');
      return;
    }
    if (msg.type === 'ready') send();
    else if (msg.type === 'openPair') void openPairOfRow(ctx, folder, message, msg);
    else if (msg.type === 'painted') {
      lastPaint = { rows: msg.rows, ms: msg.ms };
      ctx.log.info('verdicts', `first paint of ${msg.rows} rows in ${msg.ms.toFixed(1)} ms`);
    } else if (msg.type === 'chartPainted') {
      lastChartPaint = { points: msg.points };
      ctx.log.info('verdicts', `chart drawn with ${msg.points} point(s)`);
    }
  });
  p.webview.html = webviewHtml(p.webview, ctx.extension.extensionUri, 'verdicts', 'Verdicts');
  p.reveal();
}
