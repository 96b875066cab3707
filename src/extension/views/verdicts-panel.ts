// The Verdicts panel: every per-pair verdict of a run file (both orders, correct or not, the
// reasoning), accuracy per method side by side, filters; clicking a row opens the pair.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import {
  type ChartView,
  type HostToVerdicts,
  type RunMessage,
  type RunView,
  type VerdictRow,
  type VerdictsToHost,
} from '../protocol';
import { openAt } from './open-at';
import { pairAt, showPair } from './pair-panel';
import { showTranscript } from './transcript-panel';
import { UserError } from '../../core/user-error';
import { percent } from '../../core/percent';
import { compareVerdicts, figures, listRuns, readRun, type RunListing } from '../../core/eval';

type Run = Awaited<ReturnType<typeof readRun>>;

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

function runView(name: string, r: Run): RunView {
  return {
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
  };
}

/**
 * Beside the opened run, the newest finished run of each other method on the same split and model that judged
 * every pair of this one: its figures are then taken over these pairs, with the paired difference. A newer run of
 * that method over other pairs (another user's) is not drawn as if comparable (it is counted), and does not hide
 * the older one that is.
 */
async function otherMethods(
  folder: Folder,
  path: string,
  run: Run,
): Promise<{ views: RunView[]; paths: string[]; skipped: number }> {
  const header = run.header!;
  const seen = new Set<string>([header.method]);
  const keys = [...run.verdicts.keys()];
  const views: RunView[] = [];
  const paths: string[] = [];
  let skipped = 0;
  for (const f of await runFiles(folder)) {
    if (f.path === path) continue;
    const r = await readRun(f.path);
    if (!r.summary || r.header?.split !== header.split || r.header?.model !== header.model) continue;
    if (seen.has(r.header.method)) continue;
    if (!keys.length || !keys.every((k) => r.verdicts.has(k))) {
      skipped++;
      continue;
    }
    seen.add(r.header.method);
    const same = new Map(keys.map((k) => [k, r.verdicts.get(k)!]));
    const fig = figures([...same.values()], header.seed);
    const c = compareVerdicts(run.verdicts, same, header.seed);
    views.push({
      ...runView(f.name, r),
      accuracy: fig.accuracy,
      ci95: fig.ci95,
      consistency: fig.consistency,
      pairs: fig.pairs,
      versus: { points: 100 * c.difference, ci95: [100 * c.ci95[0], 100 * c.ci95[1]], p: c.mcnemar.p },
    });
    paths.push(f.path);
  }
  return { views, paths, skipped };
}

export async function verdictsMessage(folder: Folder, path: string): Promise<RunMessage> {
  return (await loadVerdicts(folder, path)).message;
}

/** A run's Verdicts state, and the runs drawn beside it (the other methods' runs over its pairs: its grid's columns). */
export async function loadVerdicts(
  folder: Folder,
  path: string,
): Promise<{ message: RunMessage; comparable: string[] }> {
  const run = await readRun(path);
  if (!run.header) throw new UserError(`${folder.relative(path)} is not a run file (no header)`);
  const name = path.split(/[\\/]/).pop()!;
  // The opened run first, as it is; then the comparable runs of other methods.
  const others = await otherMethods(folder, path, run);
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
  const message: RunMessage = {
    type: 'run',
    run: runView(name, run),
    methods: [runView(name, run), ...others.views],
    ...(others.skipped ? { notComparable: others.skipped } : {}),
    rows,
    sentAt: Date.now(),
  };
  return { message, comparable: others.paths };
}

/** How the run picker describes a run: what made it (as `synthesizeme runs`), its figures, and whether it is stale. */
function runDescription(r: RunListing, folderName: string | undefined): string {
  const acc = r.accuracy === null ? 'no figures yet' : `${percent(r.accuracy)} over ${r.pairs} pairs`;
  return [
    ...(folderName ? [folderName] : []),
    r.model,
    new Date(r.created).toLocaleString(),
    acc,
    ...(r.status !== 'complete' ? [r.status.toUpperCase()] : []),
    ...(r.stale ? ['stale'] : []),
    r.id,
  ].join(' · ');
}

/** The run picker: every run of every folder, newest first. */
async function pickRun(ctx: Ctx): Promise<{ path: string; folder: Folder } | undefined> {
  const several = ctx.folders.multiple;
  const items: (vscode.QuickPickItem & { path: string; folder: Folder; created: string })[] = [];
  for (const f of ctx.folders.all()) {
    for (const r of await listRuns(await f.files.layout())) {
      items.push({
        label: `${r.label ? `${r.label} · ` : ''}${r.method} on ${r.split}`,
        description: runDescription(r, several ? f.name : undefined),
        ...(r.stale ? { detail: `stale: ${r.staleBecause.join(', ')}` } : {}),
        path: r.path,
        folder: f,
        created: r.created,
      });
    }
  }
  if (!items.length) throw new UserError('no run files yet: run Evaluate first');
  return vscode.window.showQuickPick(
    items.sort((a, b) => b.created.localeCompare(a.created)),
    { title: 'Show verdicts of which run?', matchOnDescription: true },
  );
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
    const pick = await pickRun(ctx);
    if (!pick) return undefined;
    ({ path, folder } = pick);
  }
  folder ??= await folderOfRun(ctx, path);
  const message = { ...(await verdictsMessage(folder, path)), ...(comparison ? { comparison } : {}) };
  openPanel(ctx, folder, `Verdicts: ${message.run.method} on ${message.run.split}`, message, path);
  return message.rows.length;
}

/** A verdict row opens the pair view, with the filtered rows as its list; a pair no longer in the index opens its line. */
async function openPairOfRow(
  ctx: Ctx,
  folder: Folder,
  message: HostToVerdicts,
  msg: { file: string; line: number; list?: number[] },
): Promise<void> {
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
  openPanel(ctx, folder, `Chart: ${chart.title}`, { type: 'chart', chart, sentAt: Date.now() });
}

/** The one Verdicts panel; each run or chart loads a fresh page (its filters and scroll start over). */
function openPanel(ctx: Ctx, folder: Folder, title: string, message: HostToVerdicts, run?: string): void {
  ctx.webviews.panel('verdicts').show(title, message, (m) => onVerdictsMessage(ctx, folder, message, m, run), {
    reload: true,
  });
}

/** The Verdicts page's messages, wherever it is shown (the panel, a run file's editor). */
export async function onVerdictsMessage(
  ctx: Ctx,
  folder: Folder,
  message: HostToVerdicts,
  m: VerdictsToHost,
  run?: string,
): Promise<void> {
  if (m.type === 'openPair') await openPairOfRow(ctx, folder, message, m);
  else if (m.type === 'transcript') {
    const row = message.type === 'run' ? message.rows[m.row] : undefined;
    if (row && run) await showTranscript(ctx, { folder, run, user: row.user, pairId: row.pairId });
  } else if (m.type === 'painted') ctx.log.info('verdicts', `first paint of ${m.rows} rows in ${m.ms.toFixed(1)} ms`);
  else if (m.type === 'chartPainted') ctx.log.info('verdicts', `chart drawn with ${m.points} point(s)`);
}
