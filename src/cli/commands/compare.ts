// synthesizeme compare: paired statistics between two run files on the same pairs.

import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { flag, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { buildComparisonGrid, compareRuns, type Comparison, gridCsv, gridMarkdown } from '../../core/eval';
import { UsageError } from '../usage-error';
import { chooseFileToRead } from '../../core/write-guard';
import { percentPoints, signedPoints as points } from '../../core/percent';

const pct = (x: number) => (Number.isFinite(x) ? percentPoints(x, 2) : 'n/a');

/** One row per user; printed only when there are several users (with one, it repeats the totals). */
function perUserTable(c: Comparison): string {
  const rows = [
    '| user | pairs | A | B | B - A (points) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...c.perUser.map(
      (u) =>
        `| ${u.user} | ${u.pairs} | ${pct(u.accuracyA)}% | ${pct(u.accuracyB)}% | ${u.difference === 0 ? '0.0' : points(u.difference)} |`,
    ),
  ];
  return rows.join('\n') + '\n';
}

/** The run files named on the command line: chosen, so they are read wherever they are (write-guard.ts allowChosenRead). */
function chosenRuns(positionals: readonly string[], io: CommandIO): string[] {
  return positionals.map((p) => {
    const path = resolve(io.cwd, p);
    // A mistyped path is no damaged run file: say it is missing, and where runs are listed.
    if (!existsSync(path))
      throw new UsageError(
        `compare: no such file: ${p} (synthesizeme runs <workspace> lists the run files under .synthesizeme/runs/)`,
      );
    chooseFileToRead(path);
    return path;
  });
}

const GRID_FORMATS = ['md', 'csv', 'json'] as const;

/** --grid: every run side by side, pair by pair, each later run compared with the first. */
async function printGrid(args: ParsedArgs, io: CommandIO): Promise<number> {
  if (args.positionals.length < 2)
    throw new UsageError('compare --grid: give two or more run files (see synthesizeme compare --help)');
  const format = stringOption(args, 'format') ?? (flag(args, 'json') ? 'json' : 'md');
  if (!(GRID_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format: expected ${GRID_FORMATS.join(', ')}, got "${format}"`);
  const rel = (p: string) => relative(io.cwd, p) || p;
  const built = await buildComparisonGrid(chosenRuns(args.positionals, io), { display: rel });
  const grid = { ...built, runs: built.runs.map((r) => ({ ...r, path: rel(r.path) })) };
  // Said on stderr in every format: Markdown and JSON carry them too, but stdout is often a file nobody reads
  // before using it (a skipped run-file line must not pass unseen); a CSV has no place for them at all.
  for (const w of grid.warnings) io.stderr(`warning: ${w}\n`);
  io.stdout(format === 'csv' ? gridCsv(grid) : format === 'json' ? JSON.stringify(grid) + '\n' : gridMarkdown(grid));
  return 0;
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare two runs on the same pairs (paired interval, exact pair-level test, per user)',
  help: `Usage: synthesizeme compare <runA> <runB> [--json]
       synthesizeme compare --grid <run1> <run2> [<run3>...] [--format md|csv|json]

The accuracy difference (B - A) over the pairs both runs judged, with a paired 95% interval
and an exact sign-flip test on the pair differences (a pair's score is the mean of its two
orders; on whole-pair outcomes this is McNemar's exact test over pairs). When the pairs belong
to several users, the user is the unit: the difference's interval is clustered by user and the
test flips users' differences (fewer than 6 users cannot show a significant difference), and
a per-user table says who improved and who was hurt.

--json adds "users": {"improved", "hurt", "unchanged"} and "perUser": [{user, pairs,
accuracyA, accuracyB, difference}].

--grid puts two or more runs side by side, pair by pair: one row per pair (the first run's pairs
first), one column per run with both orders and the pair's score (the mean of its orders). A pair
is flipped when its score differs from the first run's, wrong everywhere when every run scored it
0, inconsistent when a run named the same letter in both orders (position bias). Each run's
accuracy with its 95% interval, and for every later run its difference from the first with the
interval and p that "compare <run1> <runN>" gives, over the pairs both judged.
  --format md     a summary table, then the flipped pairs (default)
  --format csv    one row per pair (per run: score, flipped, each order's preference, correct and
                  reasoning), then, after an empty line, one row per run with its figures
  --format json   the whole grid ({runs, rows, summary, warnings}); --json means the same

Examples:
  synthesizeme compare .synthesizeme/runs/default-test-*.run.jsonl .synthesizeme/runs/persona-demos-test-*.run.jsonl
  synthesizeme compare --grid .synthesizeme/runs/*-test-*.run.jsonl --format csv > grid.csv`,
  options: { json: { type: 'boolean' }, grid: { type: 'boolean' }, format: { type: 'string' } },

  async run(args, io) {
    if (flag(args, 'grid')) return printGrid(args, io);
    if (stringOption(args, 'format') !== undefined)
      throw new UsageError('compare: --format goes with --grid (two runs: --json)');
    if (args.positionals.length !== 2)
      throw new UsageError('compare: give exactly two run files (see synthesizeme compare --help)');
    const [a, b] = chosenRuns(args.positionals, io) as [string, string];
    const rel = (p: string) => relative(io.cwd, p) || p;
    let c;
    try {
      c = await compareRuns(a, b, rel);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new UsageError(`compare: no such file: ${(err as NodeJS.ErrnoException).path}`);
      throw err;
    }
    // Before the result: what the runs differ in besides what is compared, and what the pairs can show.
    for (const w of c.warnings) io.stderr(`warning: ${w}\n`);
    if (flag(args, 'json')) {
      io.stdout(JSON.stringify({ ...c, a: { ...c.a, run: rel(c.a.run) }, b: { ...c.b, run: rel(c.b.run) } }) + '\n');
      return 0;
    }
    const t = c.pairedTest;
    const interval = (ci: [number, number]) => `95% CI ${pct(ci[0])} to ${pct(ci[1])}`;
    const several = c.perUser.length > 1;
    let text =
      `A: ${c.a.method} ${pct(c.a.accuracy)}% (${interval(c.a.ci95)})  (${rel(c.a.run)})\n` +
      `B: ${c.b.method} ${pct(c.b.accuracy)}% (${interval(c.b.ci95)})  (${rel(c.b.run)})\n` +
      `B - A: ${c.sentence}\n` +
      `  (${c.power})\n` +
      `  ${c.pairs} pairs, ${c.samples} samples` +
      `${several ? `, ${c.perUser.length} users (the difference's interval and test are over users)` : ''}; ` +
      `discordant pairs: ${t.b01} B better, ${t.b10} A better` +
      `${t.halfDiscordant ? ` (${t.halfDiscordant} of them in one order only)` : ''}; ` +
      `${t.method === 'exact' ? 'exact' : 'Monte Carlo'} sign-flip test over pairs` +
      `${c.unmatched ? `; ${c.unmatched} pair(s) judged in only one run were left out` : ''}\n`;
    if (several) {
      text +=
        `  users: ${c.users.improved} improved, ${c.users.hurt} hurt, ${c.users.unchanged} unchanged\n\n` +
        perUserTable(c);
    }
    io.stdout(text);
    return 0;
  },
};
