// The report's data from the engine's own results: the comparison grid (eval/comparison-grid.ts: rows,
// each run's figures, each later run against the first with the sentence `compare` prints), the per-user
// outcomes (eval/compare.ts perUserOutcomes), Holm's correction when several runs are compared with the
// first (eval/multiple-comparisons.ts, as the benchmark's table does), the run headers (provenance) and
// the workspace (pair texts). Nothing here computes a statistic of its own.

import { basename } from 'node:path';
import type { ComparisonGrid, GridCell } from '../eval/comparison-grid';
import { perUserOutcomes } from '../eval/compare';
import { holmAdjust } from '../eval/multiple-comparisons';
import { describeDifference } from '../eval/statistics';
import type { RunContents } from '../eval/run-file';
import { PERSONA_AT, SIMILAR_OF } from '../eval/evaluate';
import type { Pair } from '../data/pair';
import {
  REPORT_FORMAT,
  ROW_FLAGS,
  type ReportCell,
  type ReportComparison,
  type ReportDetail,
  type ReportHead,
  type ReportPair,
  type ReportRow,
  type ReportRun,
  type ReportUserPersonas,
} from './report-model';

const PERSONA = 'persona:';

export interface HeadSources {
  grid: ComparisonGrid;
  contents: readonly RunContents[];
  generated: string;
  tool: string;
  workspace?: string;
}

export function reportHead(s: HeadSources): ReportHead {
  const users = [...new Set(s.grid.rows.map((r) => r.user))].sort();
  return {
    format: REPORT_FORMAT,
    generated: s.generated,
    tool: s.tool,
    ...(s.workspace ? { workspace: basename(s.workspace) } : {}),
    runs: s.grid.runs.map((_, i) => reportRun(s.grid, s.contents[i]!, i)),
    comparisons: comparisons(s.grid, s.contents),
    warnings: s.grid.warnings,
    users,
    pairs: s.grid.rows.length,
  };
}

function reportRun(grid: ComparisonGrid, run: RunContents, i: number): ReportRun {
  const info = grid.runs[i]!;
  const h = run.header!;
  const figures = grid.summary[i]!;
  const inputs = Object.entries(h.inputs ?? {});
  return {
    id: h.id,
    ...(h.label ? { label: h.label } : {}),
    method: h.method,
    provider: h.provider,
    model: h.model,
    ...(h.modelDigest ? { modelDigest: h.modelDigest } : {}),
    split: h.split,
    created: h.created,
    ...(run.summary ? { completed: run.summary.completed } : {}),
    seed: h.seed,
    temperature: h.temperature,
    status: info.status ?? 'complete',
    ...(info.personaVersion ? { personaVersion: info.personaVersion } : {}),
    ...(info.stale ? { stale: true } : {}),
    file: basename(info.path),
    ...(h.testSet ? { testSet: h.testSet } : {}),
    pairs: figures.pairs,
    users: new Set([...run.verdicts.values()].map((v) => v.userId)).size,
    accuracy: figures.accuracy,
    ci95: figures.ci95,
    prompts: inputs
      .filter(([k]) => !k.startsWith(PERSONA) && !k.startsWith(PERSONA_AT) && !k.startsWith(SIMILAR_OF))
      .map(([name, hash]) => ({ name, hash })),
    personas: inputs.filter(([k]) => k.startsWith(PERSONA)).map(([name, hash]) => ({ name, hash })),
    ...(run.summary?.failed ? { failedCalls: run.summary.failed.calls } : {}),
  };
}

/** Each later run against the first; with two or more, each p also Holm-adjusted over all of them. */
function comparisons(grid: ComparisonGrid, contents: readonly RunContents[]): ReportComparison[] {
  const out: ReportComparison[] = [];
  grid.summary.forEach((s, run) => {
    const v = s.versusFirst;
    if (run === 0 || !v) return;
    const { users: outcomes, perUser } = perUserOutcomes(contents[0]!.verdicts, contents[run]!.verdicts);
    out.push({
      run,
      difference: v.difference,
      ci95: v.ci95,
      p: v.p,
      pairs: v.pairs,
      users: v.users,
      ...(v.resampling ? { resampling: v.resampling } : {}),
      sentence: v.sentence ?? describeDifference(v.difference, v.ci95[0], v.ci95[1], v.p),
      ...(v.power ? { power: v.power } : {}),
      outcomes,
      perUser,
    });
  });
  // Several runs against one baseline are one family of tests: one of them "significant" by chance is likely.
  if (out.length >= 2) {
    const adjusted = holmAdjust(out.map((c) => c.p));
    out.forEach((c, i) => {
      c.pHolm = adjusted[i]!;
      c.holmSentence = describeDifference(c.difference, c.ci95[0], c.ci95[1], c.pHolm, 0.95, { pLabel: 'Holm p' });
    });
  }
  return out;
}

function reportCell(c: GridCell | null): ReportCell {
  if (!c) return 0;
  return [
    c.score,
    c.flipped ? 1 : 0,
    c.orders.map((o) => [o.order, o.preference ?? '', o.correct ? 1 : 0, o.failed ? 1 : 0]),
  ];
}

export function reportRows(grid: ComparisonGrid, users: readonly string[]): ReportRow[] {
  const userIndex = new Map(users.map((u, i) => [u, i]));
  return grid.rows.map((r) => [
    userIndex.get(r.user)!,
    r.pairId,
    (r.flipped ? ROW_FLAGS.flipped : 0) |
      (r.wrongEverywhere ? ROW_FLAGS.wrongEverywhere : 0) |
      (r.inconsistent ? ROW_FLAGS.inconsistent : 0),
    r.cells.map(reportCell),
  ]);
}

/** A pair as the report shows it: where it is, the conversation, the chosen and the rejected response. */
export function reportPair(p: Pair): ReportPair {
  return {
    file: p.source.file,
    line: p.source.line,
    context: p.context.map((t) => ({ role: t.role, content: t.content })),
    chosen: p.chosen.content,
    rejected: p.rejected.content,
  };
}

export function reportDetail(
  grid: ComparisonGrid,
  pairOf: (user: string, pairId: string) => ReportPair | undefined,
  personas: ReportUserPersonas[],
): ReportDetail {
  return {
    reasoning: grid.rows.map((r) => r.cells.map((c) => (c ? c.orders.map((o) => o.reasoning) : 0))),
    pairs: grid.rows.map((r) => pairOf(r.user, r.pairId) ?? 0),
    personas,
  };
}
