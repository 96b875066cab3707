// "Compare Runs...": two or more runs of a folder in one grid (the engine's comparison grid). The
// host keeps the grid and the pair text: it answers the webview's searches, opens the pair view
// on a click (with the filtered rows as the list to move through), and writes the exports.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { type GridFilter, type GridToHost, type HostToGrid } from '../protocol';
import { showPair } from './pair-panel';
import { showTranscript } from './transcript-panel';
import { UserError } from '../../core/user-error';
import { percent } from '../../core/percent';
import { checkWrite } from '../../core/write-guard';
import { buildComparisonGrid, cellHover, gridCsv, gridMarkdown, listRuns, searchGrid } from '../../core/eval';

type Grid = Awaited<ReturnType<typeof buildComparisonGrid>>;

export function gridMessage(grid: Grid, filter?: GridFilter): HostToGrid {
  return {
    type: 'grid',
    runs: grid.runs.map((r) => ({
      id: r.id,
      ...(r.label ? { label: r.label } : {}),
      method: r.method,
      model: r.model,
      split: r.split,
      created: r.created,
      ...(r.stale ? { stale: true } : {}),
      ...(r.personaVersion ? { personaVersion: r.personaVersion } : {}),
    })),
    summary: grid.summary,
    rows: grid.rows.map((r) => ({
      user: r.user,
      pairId: r.pairId,
      flipped: r.flipped,
      wrongEverywhere: r.wrongEverywhere,
      inconsistent: r.inconsistent,
      cells: r.cells.map((c) =>
        c
          ? {
              score: c.score,
              flipped: c.flipped,
              orders: c.orders.map((o) => ({ order: o.order, preference: o.preference ?? '', correct: o.correct })),
            }
          : null,
      ),
    })),
    warnings: grid.warnings,
    users: [...new Set(grid.rows.map((r) => r.user))].sort(),
    sentAt: Date.now(),
    ...(filter ? { filter } : {}),
  };
}

/**
 * Builds the grid of these run files and shows it; `filter` preselects a filter (history's "compare with" opens on
 * the flipped pairs).
 */
export async function showGrid(ctx: Ctx, folder: Folder, paths: readonly string[], filter?: GridFilter): Promise<Grid> {
  // The seed of the intervals: the first run's own (its header), so the grid's figures are the compare command's.
  const grid = await buildComparisonGrid(paths, { layout: await folder.files.layout() });
  const title = `Compare ${grid.runs.length} runs`;
  ctx.webviews.panel('grid').show(title, gridMessage(grid, filter), (m) => onMessage(ctx, folder, grid, m));
  return grid;
}

async function onMessage(ctx: Ctx, folder: Folder, grid: Grid, m: GridToHost): Promise<void> {
  switch (m.type) {
    case 'search': {
      const index = await folder.files.get();
      const text = (user: string, pairId: string) => {
        const p = index.user(user)?.pairs.find((x) => x.pairId === pairId);
        return p ? [...p.context.map((t) => t.content), p.chosen.content, p.rejected.content].join('\n') : undefined;
      };
      ctx.webviews.panel('grid').post({ type: 'searchResult', query: m.query, rows: searchGrid(grid, m.query, text) });
      return;
    }
    case 'openPair': {
      const row = grid.rows[m.row];
      if (!row) return;
      const keys = m.list
        .map((i) => grid.rows[i])
        .filter((r) => r !== undefined)
        .map((r) => ({ user: r.user, pairId: r.pairId }));
      await showPair(
        ctx,
        { folder, key: { user: row.user, pairId: row.pairId }, list: { name: 'grid rows', keys } },
        'list',
      );
      return;
    }
    case 'transcript': {
      const row = grid.rows[m.row];
      const run = grid.runs[m.column];
      if (row && run) await showTranscript(ctx, { folder, run: run.path, user: row.user, pairId: row.pairId });
      return;
    }
    case 'hover': {
      // Asked when a cell is hovered, not sent with the grid: 10,000 rows x 6 runs of reasoning would weigh
      // megabytes on the first paint.
      const cell = grid.rows[m.row]?.cells[m.column];
      if (cell)
        ctx.webviews.panel('grid').post({ type: 'hover', row: m.row, column: m.column, text: cellHover(cell.orders) });
      return;
    }
    case 'export':
      await exportGrid(ctx, folder, grid, m.format);
      return;
    case 'painted':
      ctx.log.info('compare', `first paint of ${m.rows} rows x ${m.columns} runs in ${m.ms.toFixed(1)} ms`);
      return;
    case 'ready':
      return;
  }
}

/** Writes the grid under `.synthesizeme/exports/` and opens it (Markdown as a preview). */
async function exportGrid(ctx: Ctx, folder: Folder, grid: Grid, format: 'csv' | 'md'): Promise<void> {
  const layout = await folder.files.layout();
  const dir = vscode.Uri.joinPath(vscode.Uri.file(layout.runsDir), '..', 'exports');
  const name = `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
  const uri = vscode.Uri.joinPath(dir, name);
  await checkWrite(uri.fsPath);
  await vscode.workspace.fs.createDirectory(dir);
  await vscode.workspace.fs.writeFile(
    uri,
    new TextEncoder().encode(format === 'csv' ? gridCsv(grid) : gridMarkdown(grid)),
  );
  ctx.log.info('compare', `exported ${grid.rows.length} rows to ${folder.relative(uri.fsPath)}`);
  if (format === 'md') await vscode.commands.executeCommand('markdown.showPreview', uri);
  else await vscode.window.showTextDocument(uri, { preview: true });
}

/**
 * The command: pick two or more runs of a folder (the first picked is the baseline column), or take them from the
 * argument. `with` (a run's path, from a run's editor that has no comparable run beside it) is listed first and
 * already picked, so that only the runs to set beside it are left to choose.
 */
export async function compareRunsCommand(ctx: Ctx, arg: unknown): Promise<Grid | undefined> {
  const a = (arg ?? {}) as { runs?: unknown; filter?: unknown; with?: unknown };
  const folder = await ctx.folders.choose(arg, 'Compare runs of which folder?');
  if (!folder) return undefined;
  const filter =
    typeof a.filter === 'string' && ['all', 'flipped', 'wrong', 'inconsistent'].includes(a.filter)
      ? (a.filter as GridFilter)
      : undefined;
  if (Array.isArray(a.runs) && a.runs.every((r) => typeof r === 'string')) {
    if (a.runs.length < 2) throw new UserError('Compare Runs needs two or more runs');
    return showGrid(ctx, folder, a.runs as string[], filter);
  }
  const runs = await listRuns(await folder.files.layout());
  if (runs.length < 2)
    throw new UserError(`${folder.name} has ${runs.length} run(s): evaluate or re-validate at least twice to compare`);
  const mine = typeof a.with === 'string' ? a.with : undefined;
  const ordered = mine ? [...runs.filter((r) => r.path === mine), ...runs.filter((r) => r.path !== mine)] : runs;
  const items = ordered.map((r) => {
    const figures = r.accuracy === null ? 'no figures yet' : `${percent(r.accuracy)} over ${r.pairs} pairs`;
    return {
      label: `${r.label ? `${r.label} · ` : ''}${r.method} on ${r.split}`,
      description: [r.model, new Date(r.created).toLocaleString(), figures, ...(r.stale ? ['stale'] : []), r.id].join(
        ' · ',
      ),
      path: r.path,
      picked: r.path === mine,
    };
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Compare which runs? (two or more)',
    canPickMany: true,
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.length < 2) throw new UserError('pick two or more runs to compare');
  const base = await vscode.window.showQuickPick(
    picked.map((p) => ({ ...p, picked: false })),
    {
      title: 'Which run is the baseline (the first column, that the others are compared with)?',
      matchOnDescription: true,
    },
  );
  if (!base) return undefined;
  return showGrid(ctx, folder, [base.path, ...picked.filter((p) => p.path !== base.path).map((p) => p.path)], filter);
}
