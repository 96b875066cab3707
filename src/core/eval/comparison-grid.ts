// Several runs side by side, pair by pair: one row per pair, one column per run, each cell the pair's
// two orders in that run. What `compare` says about two runs in figures, the grid shows on the pairs:
// which ones changed (flipped against the first column), which are wrong in every run, which got the
// same letter in both orders (position bias). The statistics are the project's own: a run's accuracy
// and interval are its summary's (or evaluate.ts `figures` when the run has no summary covering its
// verdicts), and every later column is compared with the first exactly as `synthesizeme compare`
// compares them (compare.ts compareVerdicts: the two orders of a pair are one observation, users are
// clusters, the exact pair-level test), so the grid and `compare` never disagree on a difference.
//
// Work is linear in pairs x runs (one map lookup per cell) plus one paired bootstrap per later column
// (`npm run bench -- grid`: 10,000 pairs x 6 runs).

import { access } from 'node:fs/promises';
import { orderFailed, type OrderVerdict, type PairVerdict } from '../method/judge';
import type { NoDecision, RubricRecord } from '../method/rubric-record';
import { alignRuns, noHeader, runWarnings } from './compare';
import { describeDifference, pairedBootstrap } from './statistics';
import { pairedTest } from './paired-test';
import { figures } from './evaluate';
import { readRun, runProblemLines, type RunContents, type RunHeader } from './run-file';
import { listRuns, type RunStatus } from './runs-list';
import { personaVersionNames } from './persona-version-names';
import { comparisonPowerNote, smallestDetectableDifference, smallSampleNote } from './sample-size';
import type { WorkspaceLayout } from '../workspace/layout';
import { UserError } from '../user-error';
import { csvField } from '../csv-field';
import { percent as pct, signedPoints as points } from '../percent';

export interface GridRunInfo {
  id: string;
  path: string;
  label?: string;
  method: string;
  model: string;
  split: string;
  created: string;
  /** Made with a prompt or persona that has changed since (known only when the workspace is given). */
  stale?: boolean;
  /** complete; incomplete (calls failed); unfinished (no summary yet). */
  status?: RunStatus;
  /**
   * Which persona the run judged with (personaVersionOf): 'no persona', 'current', a history version's name,
   * a short hash when the workspace is not given, or how many versions its users' personas were.
   */
  personaVersion?: string;
}

export interface GridOrder {
  order: 'AB' | 'BA';
  preference: 'A' | 'B' | null;
  correct: boolean;
  reasoning: string;
  failed?: boolean;
  /** A rubric method's criteria, scores and weighted sums (the pair view's table; the hover's sums). */
  rubric?: RubricRecord;
  /** A rubric answer that decided nothing: a tie, or unreadable scores. */
  noDecision?: NoDecision;
}

export interface GridCell {
  orders: GridOrder[];
  /** mean of the orders' correctness over answered orders; null when the pair was not judged or every call failed */
  score: number | null;
  /** score differs from the first column's (both non-null) */
  flipped: boolean;
}

export interface GridRow {
  user: string;
  pairId: string;
  file: string;
  line: number;
  /** One per run, in the runs' order; null where that run did not judge the pair. */
  cells: (GridCell | null)[];
  /** Some cell flipped against the first column. */
  flipped: boolean;
  /** Every judged column scored 0. */
  wrongEverywhere: boolean;
  /** Some column named the same letter in both orders (position bias). */
  inconsistent: boolean;
}

export interface GridComparison {
  /** This run minus the first, as a proportion, over the pairs both judged. */
  difference: number;
  ci95: [number, number];
  /** The exact sign-flip test (paired-test.ts): over pairs for one user, over users for several. */
  p: number;
  pairs: number;
  users: number;
  /** What the interval resampled: pairs (one user) or users, then pairs. */
  resampling?: 'pairs' | 'users, then pairs' | 'users';
  /** The comparison in one sentence (statistics.ts describeDifference), as `compare` prints it. */
  sentence?: string;
  /** What this many pairs can show (sample-size.ts). */
  power?: string;
}

export interface GridSummary {
  accuracy: number | null;
  ci95: [number, number] | null;
  pairs: number;
  versusFirst?: GridComparison;
}

export interface ComparisonGrid {
  runs: GridRunInfo[];
  rows: GridRow[];
  summary: GridSummary[];
  warnings: string[];
}

export interface GridOptions {
  /** Seed of the intervals; default the first run's seed (what `compare` uses). */
  seed?: number;
  /** The workspace the runs belong to: fills in each run's `stale` (runs-list.ts) and names its persona versions. */
  layout?: WorkspaceLayout;
  /** How a run file's path is shown in the warnings about its skipped lines (the CLI: relative to the current folder). */
  display?: (path: string) => string;
  /** The run files already read, in `paths`' order (the report reads them once for its provenance too). */
  contents?: readonly RunContents[];
  /** The fewest runs the grid takes (default 2: a comparison; the report shows one run's pairs, too). */
  minRuns?: number;
}

function gridOrder(o: OrderVerdict): GridOrder {
  return {
    order: o.order,
    preference: o.preference,
    correct: o.correct,
    reasoning: o.reasoning,
    ...(orderFailed(o) ? { failed: true } : {}),
    ...(o.rubric ? { rubric: o.rubric } : {}),
    ...(o.noDecision ? { noDecision: o.noDecision } : {}),
  };
}

/** A pair's cell in one run (flipped is set by the grid, against its first column). */
export function gridCellOf(v: PairVerdict | undefined): GridCell | null {
  if (!v) return null;
  const orders = v.orders.map(gridOrder);
  const answered = orders.filter((o) => !o.failed);
  const score = answered.length ? answered.filter((o) => o.correct).length / answered.length : null;
  return { orders, score, flipped: false };
}

/** Both orders named the same letter: the answer followed the position, not the response. */
function sameLetter(cell: GridCell | null): boolean {
  if (!cell) return false;
  const named = cell.orders.filter((o) => !o.failed && o.preference !== null);
  return named.length >= 2 && named.every((o) => o.preference === named[0]!.preference);
}

/** A run file for a grid (or the report): refused with one line when it is missing or has no header. */
export async function readRunFile(path: string): Promise<RunContents> {
  try {
    await access(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: no such run file`, 2);
    throw err;
  }
  const run = await readRun(path);
  if (!run.header) throw new UserError(noHeader(path, run), 2);
  return run;
}

const statusOf = (r: RunContents): RunStatus =>
  !r.summary ? 'unfinished' : r.summary.complete === false ? 'incomplete' : 'complete';

/**
 * A later column against the first: what compare.ts compareVerdicts computes for the difference, from
 * the same inputs (the common pairs in sorted key order, orders aligned by name, users as clusters)
 * through the same functions (pairedBootstrap, pairedTest, describeDifference) with the same seed, so
 * the numbers are the ones `compare` prints (the unit test holds them equal). compareVerdicts itself
 * would also bootstrap both accuracies over the common pairs, which the grid does not show: two thirds
 * of its time at 10,000 pairs.
 */
function versusFirst(
  a: ReadonlyMap<string, PairVerdict>,
  b: ReadonlyMap<string, PairVerdict>,
  seed: number,
): Omit<GridComparison, 'power'> | undefined {
  const { pa, pb, users } = alignRuns(a, b);
  if (!pa.length) return undefined;
  const boot = pairedBootstrap(pa, pb, { seed, users });
  const test = pairedTest(pa, pb, { seed, users });
  return {
    difference: boot.difference,
    ci95: [boot.low, boot.high],
    p: test.pValue,
    pairs: pa.length,
    users: new Set(users).size,
    resampling: boot.resampling,
    sentence: describeDifference(boot.difference, boot.low, boot.high, test.pValue),
  };
}

/** A history file's name without its kind: `2026-12-07T05-00-00-000Z.persona.yaml` is `2026-12-07T05-00-00-000Z`. */
const versionStem = (name: string) => name.replace(/\.persona\.yaml$/, '');

/**
 * Each run's persona version (GridRunInfo.personaVersion): the versions of its users' persona hashes, named
 * by the workspace's history when it is given, else by the hash's first 8 digits.
 */
async function personaVersionsOf(headers: readonly RunHeader[], layout?: WorkspaceLayout): Promise<string[]> {
  const namers = new Map<string, Promise<(hash: string) => string | undefined>>();
  const namerOf = (user: string) => {
    if (!namers.has(user))
      namers.set(user, layout ? personaVersionNames(layout, user) : Promise.resolve(() => undefined));
    return namers.get(user)!;
  };
  return Promise.all(
    headers.map(async (h) => {
      const names = new Set<string>();
      for (const [key, hash] of Object.entries(h.inputs ?? {})) {
        if (!key.startsWith('persona:')) continue;
        const known = (await namerOf(key.slice('persona:'.length)))(hash);
        names.add(known !== undefined ? versionStem(known) : hash.replace(/^sha256:/, '').slice(0, 8));
      }
      return names.size === 0 ? 'no persona' : names.size === 1 ? [...names][0]! : `${names.size} versions`;
    }),
  );
}

/**
 * A run's name where a column stands for it (the exports): its label when it has one, method, model, persona
 * version and date, so a reader of the file knows which run a column is without the runs section.
 */
export function gridRunName(r: GridRunInfo, separator = ' · '): string {
  const persona =
    r.personaVersion === undefined || r.personaVersion === 'no persona' ? 'no persona' : `persona ${r.personaVersion}`;
  return [...(r.label ? [r.label] : []), r.method, r.model, persona, r.created.slice(0, 10)].join(separator);
}

/** runWarnings speaks of runs A and B; in a grid they are run 1 and run n. */
function relabel(warning: string, n: number): string {
  return warning
    .replace(/^run A /, 'run 1 ')
    .replace(/^run B /, `run ${n} `)
    .replace(/^the runs differ in /, `runs 1 and ${n} differ in `)
    .replace(/^the runs were made with /, `runs 1 and ${n} were made with `)
    .replace(/^the runs were judged on /, `runs 1 and ${n} were judged on `);
}

export async function buildComparisonGrid(paths: readonly string[], opts: GridOptions = {}): Promise<ComparisonGrid> {
  const min = opts.minRuns ?? 2;
  if (paths.length < min)
    throw new UserError(
      `a comparison grid needs ${min === 1 ? 'a run file' : 'two or more run files'} (got ${paths.length})`,
      2,
    );
  const contents = opts.contents ?? (await Promise.all(paths.map(readRunFile)));
  const seen = new Map<string, string>();
  paths.forEach((p, i) => {
    const id = contents[i]!.header!.id;
    const other = seen.get(id);
    if (other !== undefined)
      throw new UserError(`${other} and ${p} are the same run (id ${id}): give each run once`, 2);
    seen.set(id, p);
  });
  const stale = opts.layout ? new Map((await listRuns(opts.layout)).map((l) => [l.id, l.stale])) : undefined;
  const personas = await personaVersionsOf(
    contents.map((r) => r.header!),
    opts.layout,
  );
  const runs: GridRunInfo[] = contents.map((r, i) => {
    const h = r.header!;
    const s = stale?.get(h.id);
    return {
      id: h.id,
      path: paths[i]!,
      ...(h.label ? { label: h.label } : {}),
      method: h.method,
      model: h.model,
      split: h.split,
      created: h.created,
      ...(s !== undefined ? { stale: s } : {}),
      status: statusOf(r),
      personaVersion: personas[i]!,
    };
  });
  const rows = gridRows(contents);
  const warnings = new Set<string>();
  // A damaged line is skipped, and said at its file and line.
  contents.forEach((r, i) =>
    runProblemLines((opts.display ?? ((p) => p))(paths[i]!), r.problems).forEach((w) => warnings.add(w)),
  );
  const summary: GridSummary[] = [];
  for (const [i, run] of contents.entries()) {
    // Each bootstrap is a few hundred milliseconds at 10,000 pairs: the extension host gets a turn between them.
    if (i > 0) await new Promise((done) => setImmediate(done));
    summary.push(summarize(contents[0]!, run, i, opts, warnings));
  }
  return { runs, rows, summary, warnings: [...warnings] };
}

/** Rows: the first run's pairs in its order, then each later run's new pairs in its order; a cell per run. */
function gridRows(contents: readonly RunContents[]): GridRow[] {
  const rows: GridRow[] = [];
  const keys: string[] = [];
  const seenPairs = new Set<string>();
  for (const run of contents) {
    for (const [key, v] of run.verdicts) {
      if (seenPairs.has(key)) continue;
      seenPairs.add(key);
      keys.push(key);
      rows.push({
        user: v.userId,
        pairId: v.pairId,
        file: v.file,
        line: v.line,
        cells: [],
        flipped: false,
        wrongEverywhere: false,
        inconsistent: false,
      });
    }
  }
  rows.forEach((row, r) => fillRow(row, keys[r]!, contents));
  return rows;
}

/** A row's cells, and its flags: flipped against the first run, wrong in every run, one letter for both orders. */
function fillRow(row: GridRow, key: string, contents: readonly RunContents[]): void {
  let judged = 0;
  let wrong = 0;
  for (let c = 0; c < contents.length; c++) {
    const cell = gridCellOf(contents[c]!.verdicts.get(key));
    row.cells.push(cell);
    if (!cell) continue;
    if (sameLetter(cell)) row.inconsistent = true;
    if (cell.score === null) continue;
    judged++;
    if (cell.score === 0) wrong++;
    const first = row.cells[0];
    if (c > 0 && first && first.score !== null && first.score !== cell.score) {
      cell.flipped = true;
      row.flipped = true;
    }
  }
  row.wrongEverywhere = judged > 0 && wrong === judged;
}

/** A run's accuracy, and for a later run its difference against the first; what limits them goes to `warnings`. */
function summarize(
  first: RunContents,
  run: RunContents,
  i: number,
  opts: GridOptions,
  warnings: Set<string>,
): GridSummary {
  const verdicts = [...run.verdicts.values()];
  const n = i + 1;
  const small = smallSampleNote(verdicts.length);
  if (small) warnings.add(`run ${n}: ${small}`);
  let accuracy: number | null = null;
  let ci95: [number, number] | null = null;
  if (verdicts.length && run.summary && run.summary.pairs === verdicts.length) {
    // The run's own figures, as every other view shows them.
    accuracy = run.summary.accuracy;
    ci95 = run.summary.ci95;
  } else if (verdicts.length) {
    const f = figures(verdicts, opts.seed ?? run.header!.seed);
    accuracy = f.accuracy;
    ci95 = f.ci95;
  }
  const out: GridSummary = { accuracy, ci95, pairs: verdicts.length };
  if (i === 0) return out;
  for (const w of runWarnings(first, run)) warnings.add(relabel(w, n));
  const versus = versusFirstOf(first, run, n, opts.seed ?? first.header!.seed, warnings);
  if (versus) out.versusFirst = versus;
  return out;
}

/** Run n against run 1 over their common pairs, with what the common pairs leave out said in `warnings`. */
function versusFirstOf(
  first: RunContents,
  run: RunContents,
  n: number,
  seed: number,
  warnings: Set<string>,
): GridComparison | undefined {
  let common = 0;
  for (const key of run.verdicts.keys()) if (first.verdicts.has(key)) common++;
  if (common === 0) {
    warnings.add(`run ${n} has no pairs in common with run 1: there is no difference to compute`);
    return undefined;
  }
  if (common < first.verdicts.size)
    warnings.add(
      `run ${n} judged ${common} of the first run's ${first.verdicts.size} pairs: its difference is over those ${common}`,
    );
  if (common < run.verdicts.size)
    warnings.add(
      `run ${n} judged ${run.verdicts.size - common} pair(s) the first run did not: they are left out of its difference`,
    );
  const c = versusFirst(first.verdicts, run.verdicts, seed);
  if (!c) return undefined;
  const split = run.header!.split === first.header!.split ? run.header!.split : 'common';
  const power = comparisonPowerNote(c.pairs, split, c.users);
  if (smallestDetectableDifference(c.pairs, c.users) === undefined) warnings.add(`run ${n} against run 1: ${power}`);
  return { ...c, power };
}

// --- CSV -------------------------------------------------------------------------------------------
//
// Layout (decision): two sections separated by one empty line, each with its own header row.
//  1. Pairs: user, pair_id, file, line, flipped, wrong_everywhere, inconsistent, then per run k
//     (1-based, in the grid's order) columns named by the run, `run<k> / <label / >method / model /
//     persona <version> / <date>` (gridRunName: a column says which run it is without a lookup), each
//     followed by ` / score`, ` / flipped`, and for each order AB, BA: ` / <order> preference` (A, B, or
//     empty when no letter), ` / <order> correct` (1, 0, `failed`, or empty when the run did not judge
//     it) and ` / <order> reasoning`. Flags are 1/0.
//  2. Runs: run (run<k>), id, label, method, model, split, created, path, status, pairs, accuracy,
//     ci95_low, ci95_high, then against run1: difference, difference_ci95_low, difference_ci95_high, p,
//     common_pairs, users (empty for run1 and for runs without common pairs), then persona_version and
//     name (the run's name in section 1's columns).
// A pairs section first keeps the file's first line a header; the runs section is small and at the end
// where a reader of section 1 stops at the empty line. Cells are spelled by csvField (csv-field.ts):
// quoted when they hold a quote, a comma, CR or LF (quotes doubled), records end with CRLF (RFC 4180),
// and text that a spreadsheet would run as a formula (a model's reasoning is untrusted text) gets a
// leading quote. `spreadsheetSafe: false` writes text as it is, for analysis tools only.

const ORDERS = ['AB', 'BA'] as const;

export function gridCsv(grid: ComparisonGrid, opts: { spreadsheetSafe?: boolean } = {}): string {
  const raw = opts.spreadsheetSafe === false;
  const t = (s: string | undefined) => csvField(s, { raw });
  const record = (fields: string[]) => fields.join(',') + '\r\n';
  const prefixes = grid.runs.map((_, i) => `run${i + 1}`);
  const names = grid.runs.map((r, i) => `${prefixes[i]} / ${gridRunName(r, ' / ')}`);
  let out = record([
    'user',
    'pair_id',
    'file',
    'line',
    'flipped',
    'wrong_everywhere',
    'inconsistent',
    ...names.flatMap((p) =>
      [
        `${p} / score`,
        `${p} / flipped`,
        ...ORDERS.flatMap((o) => [`${p} / ${o} preference`, `${p} / ${o} correct`, `${p} / ${o} reasoning`]),
      ].map((h) => t(h)),
    ),
  ]);
  for (const row of grid.rows) {
    const fields = [
      t(row.user),
      t(row.pairId),
      t(row.file),
      csvField(row.line),
      csvField(row.flipped),
      csvField(row.wrongEverywhere),
      csvField(row.inconsistent),
    ];
    for (const cell of row.cells) {
      fields.push(csvField(cell?.score), cell ? csvField(cell.flipped) : '');
      for (const name of ORDERS) {
        const o = cell?.orders.find((x) => x.order === name);
        fields.push(csvField(o?.preference), o ? (o.failed ? 'failed' : csvField(o.correct)) : '', t(o?.reasoning));
      }
    }
    out += record(fields);
  }
  out += '\r\n';
  out += record([
    'run',
    'id',
    'label',
    'method',
    'model',
    'split',
    'created',
    'path',
    'status',
    'pairs',
    'accuracy',
    'ci95_low',
    'ci95_high',
    'difference',
    'difference_ci95_low',
    'difference_ci95_high',
    'p',
    'common_pairs',
    'users',
    'persona_version',
    'name',
  ]);
  grid.runs.forEach((r, i) => {
    const s = grid.summary[i]!;
    const v = s.versusFirst;
    out += record([
      prefixes[i]!,
      t(r.id),
      t(r.label),
      t(r.method),
      t(r.model),
      t(r.split),
      t(r.created),
      t(r.path),
      csvField(r.status),
      csvField(s.pairs),
      csvField(s.accuracy),
      csvField(s.ci95?.[0]),
      csvField(s.ci95?.[1]),
      csvField(v?.difference),
      csvField(v?.ci95[0]),
      csvField(v?.ci95[1]),
      csvField(v?.p),
      csvField(v?.pairs),
      csvField(v?.users),
      t(r.personaVersion),
      t(names[i]),
    ]);
  });
  return out;
}

// --- Markdown --------------------------------------------------------------------------------------

/** A table cell: `|` escaped, newlines folded to spaces, `<` and `>` as entities (no HTML from data or models). */
function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const scoreText = (c: GridCell | null) => (c === null || c.score === null ? '–' : String(Number(c.score.toFixed(3))));
const runName = (r: GridRunInfo, i: number) => `${i + 1}. ${r.label ?? r.id}`;
/** A run's column in the flipped pairs' table: its number and its name (gridRunName). */
const runColumn = (r: GridRunInfo, i: number) => `${i + 1}. ${gridRunName(r)}`;

export function gridMarkdown(grid: ComparisonGrid): string {
  const lines = [
    '| run | method | model | split | pairs | accuracy (95% CI) | vs run 1, points (95% CI) | p |',
    '| --- | --- | --- | --- | ---: | --- | --- | ---: |',
  ];
  grid.runs.forEach((r, i) => {
    const s = grid.summary[i]!;
    const acc =
      s.accuracy === null ? 'n/a' : `${pct(s.accuracy)} (${s.ci95 ? `${pct(s.ci95[0])} to ${pct(s.ci95[1])}` : 'n/a'})`;
    const v = s.versusFirst;
    const diff =
      i === 0
        ? '–'
        : v
          ? `${points(v.difference)} (${points(v.ci95[0])} to ${points(v.ci95[1])}) ` +
            `over ${v.pairs} pairs${v.users > 1 ? `, ${v.users} users` : ''}`
          : 'no pairs in common';
    const p = i === 0 || !v ? '–' : v.p.toPrecision(2);
    lines.push(
      `| ${[runName(r, i), r.method, r.model, r.split, String(s.pairs), acc, diff, p].map(mdCell).join(' | ')} |`,
    );
  });
  if (grid.warnings.length) lines.push('', ...grid.warnings.map((w) => `- ${mdCell(w)}`));
  const flipped = grid.rows.filter((r) => r.flipped);
  lines.push('', `Flipped pairs (score differs from run 1): ${flipped.length} of ${grid.rows.length}`);
  if (flipped.length) {
    lines.push(
      '',
      `| user | pair | file:line | ${grid.runs.map((r, i) => mdCell(runColumn(r, i))).join(' | ')} |`,
      `| --- | --- | --- | ${grid.runs.map(() => '---:').join(' | ')} |`,
    );
    for (const row of flipped)
      lines.push(
        `| ${[row.user, row.pairId, `${row.file}:${row.line}`].map(mdCell).join(' | ')} | ${row.cells.map(scoreText).join(' | ')} |`,
      );
  }
  return lines.join('\n') + '\n';
}

// --- Search ---------------------------------------------------------------------------------------

// In its own module, with no Node import, so that the static report's page searches with it too.
export { searchGrid } from './grid-search';
