// The report job: one self-contained HTML file a co-author opens without the tool (no server, no network).
// Plan: which runs (run files, or a workspace folder's newest of each kind), of which workspace, how many
// users and pairs, where it writes; every refusal (a missing file, a file that is no run, runs of two
// workspaces, an output that exists) before anything is computed. Run: the comparison grid, the pairs'
// texts, the personas, then the file, written whole.

import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buildComparisonGrid } from '../eval/comparison-grid';
import type { RunContents } from '../eval/run-file';
import { openWorkspace, type Workspace } from '../workspace/open-workspace';
import { replaceWhole } from '../atomic-write';
import { mkdirChecked } from '../write-guard';
import { UserError } from '../user-error';
import { readReportPage } from './page-script';
import { reportDetail, reportHead, reportPair, reportRows } from './report-data';
import { reportHtml } from './report-html';
import type { ReportPair } from './report-model';
import { userPersonas } from './report-personas';
import { resolveRuns } from './report-inputs';

export interface ReportInputs {
  /** Run files, or a workspace folder whose runs are taken (a benchmark's). */
  inputs: readonly string[];
  /** The workspace the runs belong to; default: the one they lie in. */
  workspace?: string;
  /** The HTML file to write. */
  out: string;
  /** Replace `out` when it exists. */
  force?: boolean;
  /** The workspace's own settings may name folders outside it (--trust-workspace). */
  trustWorkspace?: boolean;
  /** The folder relative paths are taken from (the CLI's current folder); default: the process's. */
  cwd?: string;
  /** The tool and version the report says wrote it (the faces know their version). */
  tool?: string;
}

export interface ReportPlanRun {
  path: string;
  id: string;
  method: string;
  model: string;
  split: string;
  created: string;
  label?: string;
  pairs: number;
}

export interface ReportPlan {
  out: string;
  runs: ReportPlanRun[];
  /** The workspace whose pairs and personas go in; absent for runs outside any (the report then has verdicts only). */
  workspace?: string;
  users: number;
  pairs: number;
  trustWorkspace: boolean;
  tool: string;
  /** The runs as read by the plan (read once). */
  readonly contents: readonly RunContents[];
}

export interface ReportProgress {
  step: 'comparing' | 'pairs' | 'personas' | 'writing';
  done: number;
  total: number;
  message: string;
}

export interface ReportHooks {
  signal?: AbortSignal;
  onProgress?: (p: ReportProgress) => void;
  /** How a run file's path is shown in warnings (the CLI: relative to the current folder). */
  display?: (path: string) => string;
}

export interface ReportResult {
  path: string;
  bytes: number;
  runs: number;
  pairs: number;
  users: number;
  /** What limits the figures (the grid's warnings), and what the report could not include. */
  warnings: string[];
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export async function prepareReport(inputs: ReportInputs): Promise<ReportPlan> {
  const cwd = inputs.cwd ?? process.cwd();
  const out = resolve(cwd, inputs.out);
  const resolved = await resolveRuns(inputs.inputs, inputs.workspace, { cwd, trust: inputs.trustWorkspace === true });
  if (resolved.paths.includes(out)) throw new UserError(`${inputs.out} is one of the runs: choose another output`, 2);
  if (!inputs.force && (await exists(out)))
    throw new UserError(`${inputs.out} exists: choose another path, or pass --force to replace it`, 2);
  const keys = new Set<string>();
  const users = new Set<string>();
  for (const c of resolved.contents)
    for (const [k, v] of c.verdicts) {
      keys.add(k);
      users.add(v.userId);
    }
  return {
    out,
    runs: resolved.contents.map((c, i) => planRun(resolved.paths[i]!, c)),
    ...(resolved.workspace ? { workspace: resolved.workspace } : {}),
    users: users.size,
    pairs: keys.size,
    trustWorkspace: inputs.trustWorkspace === true,
    tool: inputs.tool ?? 'SynthesizeMe Studio',
    contents: resolved.contents,
  };
}

function planRun(path: string, c: RunContents): ReportPlanRun {
  const h = c.header!;
  return {
    path,
    id: h.id,
    method: h.method,
    model: h.model,
    split: h.split,
    created: h.created,
    ...(h.label ? { label: h.label } : {}),
    pairs: c.verdicts.size,
  };
}

export async function runReport(plan: ReportPlan, hooks: ReportHooks = {}): Promise<ReportResult> {
  const say = (step: ReportProgress['step'], done: number, message: string) => {
    hooks.signal?.throwIfAborted();
    hooks.onProgress?.({ step, done, total: 4, message });
  };
  say('pairs', 0, 'reading the workspace');
  const warnings: string[] = [];
  const ws = await workspaceOf(plan, warnings);
  say('comparing', 1, `comparing ${plan.runs.length} run(s) over ${plan.pairs} pairs`);
  const paths = plan.runs.map((r) => r.path);
  const grid = await buildComparisonGrid(paths, {
    contents: plan.contents,
    minRuns: 1,
    ...(ws ? { layout: ws.layout } : {}),
    ...(hooks.display ? { display: hooks.display } : {}),
  });
  say('personas', 2, 'reading the personas');
  const pairOf = pairLookup(ws);
  const headers = plan.contents.map((c) => c.header!);
  const personas = ws ? await userPersonas(ws.layout, headers, pairOf) : [];
  say('writing', 3, 'writing the report');
  const head = reportHead({
    grid,
    contents: plan.contents,
    generated: new Date().toISOString(),
    tool: plan.tool,
    ...(plan.workspace ? { workspace: plan.workspace } : {}),
  });
  head.warnings = [...head.warnings, ...warnings];
  const html = reportHtml({
    head,
    rows: reportRows(grid, head.users),
    detail: reportDetail(grid, pairOf, personas),
    script: await readReportPage(),
  });
  hooks.signal?.throwIfAborted();
  await mkdirChecked(dirname(plan.out));
  await replaceWhole(plan.out, html, 'report');
  hooks.onProgress?.({ step: 'writing', done: 4, total: 4, message: 'written' });
  return {
    path: plan.out,
    bytes: Buffer.byteLength(html, 'utf8'),
    runs: plan.runs.length,
    pairs: grid.rows.length,
    users: head.users.length,
    warnings: head.warnings,
  };
}

/** The workspace, opened for its pairs and personas; one that cannot be read leaves them out, and says why. */
async function workspaceOf(plan: ReportPlan, warnings: string[]): Promise<Workspace | undefined> {
  if (!plan.workspace) {
    warnings.push('the runs lie in no workspace: the report has their verdicts, not the pairs’ texts or the personas');
    return undefined;
  }
  try {
    return await openWorkspace(plan.workspace, { trustWorkspace: plan.trustWorkspace });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    warnings.push(`the workspace could not be read (${err.message}): the report has no pair texts or personas`);
    return undefined;
  }
}

function pairLookup(ws: Workspace | undefined): (user: string, pairId: string) => ReportPair | undefined {
  if (!ws) return () => undefined;
  const byUser = new Map<string, Map<string, ReportPair>>();
  return (user, pairId) => {
    let pairs = byUser.get(user);
    if (!pairs) {
      pairs = new Map((ws.index.user(user)?.pairs ?? []).map((p) => [p.pairId, reportPair(p)]));
      byUser.set(user, pairs);
    }
    return pairs.get(pairId);
  };
}
