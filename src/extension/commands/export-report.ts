// Export Report...: the engine's report job (src/core/report, the job `synthesizeme report` runs) on runs of a
// folder, picked one by one or taken as the folder's newest of each kind (a benchmark's), written where the
// person chooses, then offered to the browser. This face only asks and formats; what goes in the file is the engine's.

import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { wasCancelled } from '../run-progress';
import { listRuns } from '../../core/eval';
import { prepareReport, runReport, type ReportResult } from '../../core/report';
import { percent } from '../../core/percent';
import { UserError } from '../../core/user-error';
import { allowChosenFile } from '../../core/write-guard';

/** What a caller may give instead of asking (tests, other commands): the runs or the folder, and the output. */
interface ExportArgs {
  folder?: string;
  /** Run files, the first the baseline. */
  runs?: string[];
  /** The folder's newest run of each method, model and label (as `synthesizeme report <folder>`). */
  newest?: boolean;
  /** The HTML file: no save dialog. */
  out?: string;
  /** Replace `out` when it exists (the save dialog asks itself). */
  force?: boolean;
}

const OPEN = 'Open in Browser';

/** The run files, or the folder standing for its newest runs; undefined when the person cancels. */
async function inputsFrom(a: ExportArgs, folder: Folder): Promise<string[] | undefined> {
  if (Array.isArray(a.runs) && a.runs.length && a.runs.every((r) => typeof r === 'string')) return a.runs;
  if (a.newest === true) return [folder.uri.fsPath];
  const runs = await listRuns(await folder.files.layout());
  if (!runs.length) throw new UserError(`${folder.name} has no runs yet: Evaluate or Re-validate writes them`);
  const newest = {
    label: `$(folder) Newest run of each method, model and label`,
    description: `as for a benchmark of ${folder.name}, the default method first`,
    paths: [folder.uri.fsPath],
  };
  const items = runs.map((r) => ({
    label: `${r.label ? `${r.label} · ` : ''}${r.method} on ${r.split}`,
    description: [
      r.model,
      new Date(r.created).toLocaleString(),
      r.accuracy === null ? 'no figures yet' : `${percent(r.accuracy)} over ${r.pairs} pairs`,
      ...(r.stale ? ['stale'] : []),
      r.id,
    ].join(' · '),
    paths: [r.path],
  }));
  const picked = await vscode.window.showQuickPick([newest, ...items], {
    title: 'Export a report of which runs? (one or more, or the newest of each kind)',
    canPickMany: true,
    matchOnDescription: true,
  });
  if (!picked?.length) return undefined;
  if (picked.includes(newest)) {
    if (picked.length > 1) throw new UserError('pick the newest runs of each kind, or runs one by one, not both');
    return newest.paths;
  }
  if (picked.length === 1) return picked[0]!.paths;
  const base = await vscode.window.showQuickPick(
    picked.map((p) => ({ ...p, picked: false })),
    { title: 'Which run is the baseline (the one the others are compared with)?', matchOnDescription: true },
  );
  if (!base) return undefined;
  return [...base.paths, ...picked.filter((p) => p.paths[0] !== base.paths[0]).flatMap((p) => p.paths)];
}

/** Where the report goes: given, or chosen in the save dialog (offered in the workspace folder). */
async function outputFrom(a: ExportArgs, folder: Folder): Promise<{ out: string; force: boolean } | undefined> {
  if (typeof a.out === 'string' && a.out) return { out: a.out, force: a.force === true };
  const stamp = new Date().toISOString().slice(0, 10);
  const picked = await vscode.window.showSaveDialog({
    title: 'Save the report (one HTML file that opens in any browser, offline)',
    saveLabel: 'Export Report',
    filters: { 'HTML report': ['html'] },
    defaultUri: vscode.Uri.file(join(folder.uri.fsPath, `synthesizeme-report-${stamp}.html`)),
  });
  if (!picked) return undefined;
  if (picked.scheme !== 'file') throw new UserError(`the report is written to a local file, not ${picked.toString()}`);
  // The dialog asked before replacing a file.
  return { out: picked.fsPath, force: true };
}

export async function exportReportCommand(ctx: Ctx, arg: unknown): Promise<ReportResult | undefined> {
  const a = (arg ?? {}) as ExportArgs;
  const folder = await ctx.folders.choose(arg, 'Export a report of which folder’s runs?');
  if (!folder) return undefined;
  const inputs = await inputsFrom(a, folder);
  if (!inputs) return undefined;
  const target = await outputFrom(a, folder);
  if (!target) return undefined;
  // Chosen in the save dialog (or by the caller): written there, even in an untrusted workspace.
  allowChosenFile(target.out);
  const version = String((ctx.extension.extension.packageJSON as { version?: unknown }).version ?? '');
  let result: ReportResult;
  try {
    result = await ctx.runs.run('exporting a report', async (signal, report) => {
      const plan = await prepareReport({
        inputs,
        out: target.out,
        force: target.force,
        workspace: folder.uri.fsPath,
        // As --trust-workspace: the folder's own settings may name folders outside it only when VS Code trusts it.
        trustWorkspace: vscode.workspace.isTrusted,
        cwd: folder.uri.fsPath,
        tool: `SynthesizeMe Studio ${version} (Export Report)`,
      });
      return runReport(plan, {
        signal,
        display: (p) => folder.relative(p),
        onProgress: (p) => report(p.done, p.total, p.message),
      });
    });
  } catch (err) {
    if (!wasCancelled(err)) throw err;
    // Written whole at the end: a cancelled report left nothing behind (not the runs' "calls are cached").
    void vscode.window.showInformationMessage('SynthesizeMe: report cancelled; nothing was written.');
    return undefined;
  }
  for (const w of result.warnings) ctx.log.warn('report', w);
  offerBrowser(ctx, result);
  return result;
}

/** Says what was written, and opens it in the browser on request (not awaited: the command's result comes first). */
function offerBrowser(ctx: Ctx, r: ReportResult): void {
  const size =
    r.bytes >= 1048576 ? `${(r.bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(r.bytes / 1024))} KB`;
  const warned = r.warnings.length ? ` ${r.warnings.length} warning(s) in the log.` : '';
  ctx.log.info('report', `wrote ${r.path} (${r.bytes} bytes): ${r.runs} run(s), ${r.pairs} pairs, ${r.users} user(s)`);
  void vscode.window
    .showInformationMessage(
      `SynthesizeMe: report written to ${vscode.workspace.asRelativePath(r.path)} (${size}): ` +
        `${r.runs} run(s), ${r.pairs.toLocaleString('en-US')} pairs, ${r.users} user(s).${warned}`,
      OPEN,
    )
    .then(async (choice) => {
      if (choice === OPEN) await vscode.env.openExternal(vscode.Uri.file(r.path));
    });
}
