// The comparison grid (compare --grid): real runs made by `synthesizeme eval` against a loopback model,
// laid side by side pair by pair. Flipped rows are exactly the pairs whose score changed, the summary's
// difference is the one `compare` prints for the same two runs, the CSV parses back (quotes, commas,
// newlines in the model's reasoning), the Markdown escapes its cells, search finds a reasoning and a
// pair's text; hand-written run files pin down the flags and the row order.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { hashString } from '../../src/core/random';
import { readRun, RunJournal, runFileName, type RunHeader } from '../../src/core/eval/run-file';
import { figures } from '../../src/core/eval/evaluate';
import { NO_PREFERENCE, type PairVerdict } from '../../src/core/method/judge';
import {
  buildComparisonGrid,
  gridCsv,
  gridMarkdown,
  searchGrid,
  type ComparisonGrid,
} from '../../src/core/eval/comparison-grid';
import { UserError } from '../../src/core/user-error';
import { allowWritesUnder } from '../../src/core/write-guard';
import { cli, ignoringBrain, markerBrain, workspace, writePrompt } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';
const NEEDLE = 'NEEDLE-42';
const TRICKY = ', "quoted", a | pipe\nand a second line';

/** Every judgment's reasoning gets quotes, a comma, a pipe and a newline; some get a needle to search for. */
const needled = (req: BrainRequest) => hashString(req.messages[req.messages.length - 1]?.content ?? '') % 5 === 0;
function tricky(inner: (req: BrainRequest) => string): (req: BrainRequest) => string {
  return (req) => {
    const out = inner(req);
    const a = JSON.parse(out) as { preference?: string; reasoning?: string };
    if (!('preference' in a)) return out;
    return JSON.stringify({ ...a, reasoning: `${a.reasoning}${TRICKY}${needled(req) ? ` ${NEEDLE}` : ''}` });
  };
}

/** The marker is followed on two pairs in three (by the pair's number): the third keep their blind verdicts. */
function partly(
  follow: (req: BrainRequest) => string,
  blind: (req: BrainRequest) => string,
): (req: BrainRequest) => string {
  return (req) => {
    const n = /Question (\d+) from/.exec(req.messages[req.messages.length - 1]?.content ?? '')?.[1];
    return n !== undefined && Number(n) % 3 === 0 ? blind(req) : follow(req);
  };
}

/** RFC 4180, the way a spreadsheet reads it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else field += ch;
  }
  if (field || row.length) endRow();
  return rows;
}

const scoreOf = (v: PairVerdict | undefined) => (v ? v.orders.filter((o) => o.correct).length / v.orders.length : null);
const key = (u: string, p: string) => `${u}\u0000${p}`;

describe('comparison grid', () => {
  let server: LoopbackServer;
  let brain: (req: BrainRequest) => string = ignoringBrain;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: (req) => brain(req) }).then(
    (s) => (server = s),
  );
  after(() => server?.close());

  let dir = '';
  let ws = '';
  // Three runs: a blind judge (A), the judge prompt with an instruction the model follows (B), and the blind judge on one user only (C).
  let A = '';
  let B = '';
  let C = '';
  const evalRun = async (...extra: string[]) => {
    const c = cli(dir);
    // Most pairs in the test split (the intervals then depend on the seed), and a seed of their own that compare and the grid must both use.
    assert.equal(
      await c.run(
        'eval',
        'ws',
        '--method',
        'default',
        '--splits',
        '10/10/80',
        '--seed',
        '5',
        '--base-url',
        server.url,
        '--json',
        ...extra,
      ),
      0,
      c.err(),
    );
    return join(dir, c.json().run as string);
  };
  before(async () => {
    await started;
    ({ dir, ws } = workspace());
    brain = tricky(ignoringBrain);
    A = await evalRun('--all', '--label', 'base|line');
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\n' + MARKER);
    brain = tricky(partly(markerBrain(MARKER), ignoringBrain));
    B = await evalRun('--all', '--label', 'marker');
    // C asks what A asked (the default judge prompt again): the same answers, from the cache.
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge);
    brain = tricky(ignoringBrain);
    C = await evalRun('--user', 'ada', '--label', 'ada only');
  });

  test('flipped rows are exactly the pairs whose score differs; the difference is the one compare prints', async () => {
    const [ra, rb] = await Promise.all([readRun(A), readRun(B)]);
    const grid = await buildComparisonGrid([A, B]);
    assert.deepEqual(
      grid.rows.map((r) => key(r.user, r.pairId)),
      [...ra.verdicts.keys()],
      "one row per pair, in the first run's order",
    );
    const expected = [...ra.verdicts.keys()].filter((k) => scoreOf(ra.verdicts.get(k)) !== scoreOf(rb.verdicts.get(k)));
    assert.ok(
      expected.length > 0 && expected.length < grid.rows.length,
      `some pairs flip (${expected.length} of ${grid.rows.length})`,
    );
    assert.deepEqual(
      grid.rows.filter((r) => r.flipped).map((r) => key(r.user, r.pairId)),
      expected,
    );
    for (const row of grid.rows) {
      const k = key(row.user, row.pairId);
      assert.equal(row.cells[0]!.score, scoreOf(ra.verdicts.get(k)));
      assert.equal(row.cells[1]!.score, scoreOf(rb.verdicts.get(k)));
      assert.equal(row.cells[0]!.flipped, false, 'the first column is the reference');
      assert.equal(row.cells[1]!.flipped, row.flipped);
      const same = [ra, rb].some((r) => {
        const o = r.verdicts.get(k)!.orders;
        return o[0].preference !== null && o[0].preference === o[1].preference;
      });
      assert.equal(row.inconsistent, same, `${row.pairId}: inconsistent when a run named one letter twice`);
      assert.equal(
        row.wrongEverywhere,
        row.cells.every((c) => c!.score === 0),
      );
    }
    assert.ok(
      grid.rows.some((r) => r.inconsistent),
      'the blind judge names one letter twice somewhere',
    );

    const c = cli(dir);
    assert.equal(await c.run('compare', A, B, '--json'), 0, c.err());
    const printed = c.json() as {
      difference: number;
      ci95: [number, number];
      pairedTest: { p: number };
      pairs: number;
      a: { accuracy: number };
    };
    const v = grid.summary[1]!.versusFirst!;
    assert.equal(v.difference, printed.difference);
    assert.deepEqual(v.ci95, printed.ci95);
    assert.equal(v.p, printed.pairedTest.p);
    assert.equal(v.pairs, printed.pairs);
    assert.equal(v.users, 2);
    assert.ok(v.difference > 0, 'the instruction helps');
    assert.equal(grid.summary[0]!.accuracy, ra.summary!.accuracy, "a run's accuracy is its summary's");
    assert.deepEqual(grid.summary[0]!.ci95, ra.summary!.ci95);
    assert.equal(grid.summary[0]!.versusFirst, undefined);
    assert.deepEqual(
      grid.runs.map((r) => [r.label, r.method, r.split, r.status]),
      [
        ['base|line', 'default', 'test', 'complete'],
        ['marker', 'default', 'test', 'complete'],
      ],
    );
    assert.ok(
      grid.warnings.some((w) => /runs 1 and 2 were made with different judge prompt/.test(w)),
      grid.warnings.join('\n'),
    );

    // Without --grid, compare is what it was.
    const plain = cli(dir);
    assert.equal(await plain.run('compare', A, B), 0, plain.err());
    assert.match(plain.out(), /^A: default .*\nB: default .*\nB - A: /);
  });

  test('a 3-run grid: three summaries; a run of fewer pairs is warned about and compared over the pairs it judged', async () => {
    const [ra, rc] = await Promise.all([readRun(A), readRun(C)]);
    const grid = await buildComparisonGrid([A, B, C]);
    assert.equal(grid.summary.length, 3);
    assert.equal(grid.runs.length, 3);
    assert.ok(grid.rows.every((r) => r.cells.length === 3));
    const adaPairs = rc.verdicts.size;
    assert.ok(adaPairs > 0 && adaPairs < ra.verdicts.size);
    assert.ok(
      grid.warnings.includes(
        `run 3 judged ${adaPairs} of the first run's ${ra.verdicts.size} pairs: its difference is over those ${adaPairs}`,
      ),
      grid.warnings.join('\n'),
    );
    const v = grid.summary[2]!.versusFirst!;
    assert.equal(v.pairs, adaPairs);
    assert.equal(v.users, 1);
    assert.equal(v.difference, 0, 'the same answers as run 1 on these pairs');
    assert.ok(
      grid.rows.filter((r) => r.user === 'bruno').every((r) => r.cells[2] === null),
      'run 3 did not judge bruno',
    );
    const c = cli(dir);
    assert.equal(await c.run('compare', A, C, '--json'), 0, c.err());
    assert.deepEqual(v.ci95, (c.json() as { ci95: [number, number] }).ci95);
  });

  test('CSV parses back: quotes, commas and newlines in the reasoning; the runs section after an empty line', async () => {
    const grid = await buildComparisonGrid([A, B, C]);
    const text = gridCsv(grid);
    const records = parseCsv(text);
    const blank = records.findIndex((r) => r.length === 1 && r[0] === '');
    assert.ok(blank > 0);
    const [header, ...pairs] = records.slice(0, blank);
    const runs = records.slice(blank + 1);
    assert.equal(pairs.length, grid.rows.length);
    assert.ok(
      pairs.every((r) => r.length === header!.length),
      'every record has every field',
    );
    const col = (name: string) => header!.indexOf(name);
    // Run columns are named by their run (`run1 / method / model / persona ... / date / score`): found by number and field.
    const runCol = (k: number, field: string) =>
      header!.findIndex((h) => h.startsWith(`run${k} / `) && h.endsWith(` / ${field}`));
    grid.rows.forEach((row, i) => {
      const rec = pairs[i]!;
      assert.equal(rec[col('pair_id')], row.pairId);
      assert.equal(rec[col('flipped')], row.flipped ? '1' : '0');
      assert.equal(rec[runCol(1, 'AB reasoning')], row.cells[0]!.orders.find((o) => o.order === 'AB')!.reasoning);
      assert.equal(rec[runCol(2, 'BA preference')], row.cells[1]!.orders.find((o) => o.order === 'BA')!.preference);
      assert.equal(rec[runCol(3, 'score')], row.cells[2] ? String(row.cells[2].score) : '');
    });
    assert.ok(
      pairs.some((r) => r[runCol(1, 'AB reasoning')]!.includes(TRICKY)),
      'the reasoning came back whole',
    );
    assert.deepEqual(runs[0], [
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
    assert.equal(runs.length, 4);
    assert.equal(Number(runs[2]![runs[0]!.indexOf('difference')]), grid.summary[1]!.versusFirst!.difference);
    assert.equal(runs[1]![2], 'base|line');

    // The CLI prints the same grid, its paths relative to where it runs.
    const c = cli(dir);
    assert.equal(await c.run('compare', '--grid', A, B, C, '--format', 'csv'), 0, c.err());
    const printed = parseCsv(c.out());
    assert.deepEqual(printed.slice(0, blank), records.slice(0, blank));
    assert.equal(printed[blank + 2]![7], join('ws', '.synthesizeme', 'runs', A.split('/').pop()!));
    const j = cli(dir);
    assert.equal(await j.run('compare', '--grid', A, B, C, '--format', 'json'), 0, j.err());
    const parsed = j.json() as unknown as ComparisonGrid;
    assert.equal(parsed.rows.length, grid.rows.length);
    assert.deepEqual(parsed.summary, grid.summary);
    assert.ok(parsed.warnings.some((w) => w.startsWith('run 3 judged')));
    assert.match(c.err(), /warning: run 3 judged/, 'a CSV has no place for warnings: they go to stderr');
  });

  test('Markdown: a summary table whose cells escape | and newlines, then the flipped pairs', async () => {
    const grid = await buildComparisonGrid([A, B]);
    const md = gridMarkdown(grid);
    const lines = md.split('\n');
    const cells = (line: string) => line.split(/(?<!\\)\|/).length - 2;
    assert.equal(cells(lines[0]!), 8);
    assert.match(
      lines[2]!,
      /^\| 1\. base\\\|line \| default \| llama3\.1:8b \| test \| \d+ \| \d+\.\d% \(\d+\.\d% to \d+\.\d%\) \| – \| – \|$/,
    );
    assert.equal(cells(lines[2]!), 8, 'the pipe of the label is escaped');
    const v = grid.summary[1]!.versusFirst!;
    assert.ok(lines[3]!.includes(`| +${(100 * v.difference).toFixed(1)} (`), lines[3]);
    assert.ok(lines[3]!.endsWith(`| ${v.p.toPrecision(2)} |`), lines[3]);
    const flipped = grid.rows.filter((r) => r.flipped);
    assert.ok(md.includes(`Flipped pairs (score differs from run 1): ${flipped.length} of ${grid.rows.length}`));
    const table = lines.filter((l) => /^\| (ada|bruno) \|/.test(l));
    assert.deepEqual(
      table.map((l) => l.split(' | ')[1]),
      flipped.map((r) => r.pairId),
    );

    // A label with a newline, a pipe and a tag stays inside its one cell, as text.
    const odd = { ...grid, runs: grid.runs.map((r, i) => (i === 1 ? { ...r, label: 'two\nlines | <b>x</b>' } : r)) };
    const row = gridMarkdown(odd).split('\n')[3]!;
    assert.ok(row.startsWith('| 2. two lines \\| &lt;b&gt;x&lt;/b&gt; | default |'), row);
    assert.equal(cells(row), 8);
  });

  test('search finds a reasoning and a pair text, case-insensitively', async () => {
    const grid = await buildComparisonGrid([A, B, C]);
    const withNeedle = grid.rows.flatMap((r, i) =>
      r.cells.some((c) => c?.orders.some((o) => o.reasoning.includes(NEEDLE))) ? [i] : [],
    );
    assert.ok(withNeedle.length > 0 && withNeedle.length < grid.rows.length);
    assert.deepEqual(
      searchGrid(grid, NEEDLE.toLowerCase(), () => undefined),
      withNeedle,
    );
    // Pair text from the data file, as the extension's index gives it.
    const text = new Map<string, string>();
    for (const line of readFileSync(join(ws, 'prefs.jsonl'), 'utf8').trim().split('\n')) {
      const p = JSON.parse(line) as {
        user_id: string;
        pair_id: string;
        context: { content: string }[];
        chosen: string;
        rejected: string;
      };
      text.set(key(p.user_id, p.pair_id), [...p.context.map((m) => m.content), p.chosen, p.rejected].join('\n'));
    }
    const pick = grid.rows.findIndex((r) => r.user === 'bruno');
    const [, n] = grid.rows[pick]!.pairId.split('-');
    assert.deepEqual(
      searchGrid(grid, `QUESTION ${n} FROM BRUNO:`, (u, p) => text.get(key(u, p))),
      [pick],
    );
    assert.deepEqual(
      searchGrid(grid, 'nothing like this anywhere', (u, p) => text.get(key(u, p))),
      [],
    );
    assert.equal(searchGrid(grid, '  ', () => undefined).length, grid.rows.length, 'an empty query filters nothing');
  });
});

describe('comparison grid on hand-written run files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-grid-'));
  allowWritesUnder(dir);
  const order = (o: 'AB' | 'BA', preference: 'A' | 'B' | null, correct: boolean, reasoning = 'r') => ({
    order: o,
    preference,
    correct,
    reasoning,
    ...(preference === null ? { error: NO_PREFERENCE } : {}),
  });
  const verdict = (pairId: string, ab: ReturnType<typeof order>, ba: ReturnType<typeof order>): PairVerdict => ({
    userId: 'u',
    pairId,
    file: 'prefs.jsonl',
    line: Number(pairId.slice(1)),
    orders: [ab, ba] as PairVerdict['orders'],
  });
  async function write(label: string, verdicts: PairVerdict[]): Promise<string> {
    const parts = {
      method: 'default',
      split: 'test',
      provider: 'ollama',
      model: 'm',
      seed: 7,
      temperature: 0,
      users: ['u'],
      inputs: { judge: 'sha256:x' },
      label,
    };
    const header: RunHeader = {
      type: 'header',
      version: 1,
      id: `id-${label}`,
      created: new Date().toISOString(),
      ...parts,
    };
    const journal = await RunJournal.open(dir, runFileName('default', 'test', `id-${label}`));
    await journal.append(header);
    for (const v of verdicts) await journal.append({ type: 'verdict', ...v });
    await journal.close();
    return journal.path;
  }

  test('flags, null cells, row order, figures without a summary, and the errors', async () => {
    const x = await write('x', [
      verdict('p1', order('AB', 'A', true, '=HYPERLINK("x")'), order('BA', 'B', true)),
      verdict('p2', order('AB', 'A', true), order('BA', 'B', true)),
      verdict('p3', order('AB', 'B', false), order('BA', 'A', false)),
      verdict('p4', order('AB', 'A', true), order('BA', null, false)),
    ]);
    const y = await write('y', [
      verdict('p5', order('AB', 'A', true), order('BA', 'B', true)),
      verdict('p2', order('AB', 'A', true), order('BA', 'A', false)),
      verdict('p3', order('AB', 'B', false), order('BA', 'A', false)),
      verdict('p4', order('AB', 'B', false), order('BA', 'B', true)),
    ]);
    const grid = await buildComparisonGrid([x, y]);
    assert.deepEqual(
      grid.rows.map((r) => r.pairId),
      ['p1', 'p2', 'p3', 'p4', 'p5'],
      "the first run's pairs, then the others'",
    );
    const by = Object.fromEntries(grid.rows.map((r) => [r.pairId, r]));
    assert.deepEqual(
      by.p1!.cells.map((c) => c?.score ?? null),
      [1, null],
    );
    assert.equal(by.p1!.flipped, false, 'a pair one run did not judge has nothing to flip');
    assert.deepEqual(
      by.p2!.cells.map((c) => c!.score),
      [1, 0.5],
    );
    assert.equal(by.p2!.flipped, true);
    assert.equal(by.p2!.inconsistent, true, 'A in both orders');
    assert.equal(by.p3!.wrongEverywhere, true);
    assert.equal(by.p3!.flipped, false);
    assert.deepEqual(
      by.p4!.cells.map((c) => c!.score),
      [0.5, 0.5],
      'an answer without a letter is answered, and wrong',
    );
    assert.equal(by.p4!.flipped, false, 'the same score from other orders is no flip');
    assert.equal(by.p4!.inconsistent, true);
    assert.equal(by.p1!.inconsistent || by.p1!.wrongEverywhere, false);
    assert.deepEqual(
      by.p5!.cells.map((c) => c?.score ?? null),
      [null, 1],
    );
    assert.equal(by.p5!.wrongEverywhere, false);

    const rx = await readRun(x);
    const f = figures([...rx.verdicts.values()], 7);
    assert.equal(grid.summary[0]!.accuracy, f.accuracy, 'no summary in the file: figures over its verdicts');
    assert.deepEqual(grid.summary[0]!.ci95, f.ci95);
    assert.equal(grid.summary[1]!.versusFirst!.pairs, 3);
    assert.equal(grid.warnings.filter((w) => w.startsWith('run 1 is unfinished')).length, 1, 'said once');
    for (const w of [
      "run 2 judged 3 of the first run's 4 pairs: its difference is over those 3",
      'run 2 judged 1 pair(s) the first run did not: they are left out of its difference',
    ])
      assert.ok(grid.warnings.includes(w), grid.warnings.join('\n'));
    assert.ok(
      grid.warnings.some((w) => /^run 2 against run 1: with 3 test pair\(s\) no difference can be significant/.test(w)),
      'a small sample says so',
    );
    assert.ok(grid.warnings.some((w) => /^run 1: only 4 pair\(s\)/.test(w)));

    // A reasoning a spreadsheet would run as a formula: neutralized by default, as it is on request.
    assert.equal(parseCsv(gridCsv(grid))[1]![11], `'=HYPERLINK("x")`);
    assert.equal(parseCsv(gridCsv(grid, { spreadsheetSafe: false }))[1]![11], '=HYPERLINK("x")');

    await assert.rejects(
      buildComparisonGrid([x]),
      (e: unknown) => e instanceof UserError && /two or more run files/.test(e.message),
    );
    await assert.rejects(
      buildComparisonGrid([x, x]),
      (e: unknown) => e instanceof UserError && /same run/.test(e.message),
    );
    await assert.rejects(
      buildComparisonGrid([x, join(dir, 'missing.run.jsonl')]),
      (e: unknown) => e instanceof UserError && /no such run file/.test(e.message),
    );

    const c = cli(dir);
    assert.equal(await c.run('compare', '--grid', x), 2, 'one run is no grid');
    assert.equal(await c.run('compare', x, y, '--format', 'csv'), 2, '--format needs --grid');
    assert.equal(await c.run('compare', '--grid', x, y, '--format', 'xml'), 2);
    const md = cli(dir);
    assert.equal(await md.run('compare', '--grid', x, y), 0, md.err());
    assert.match(md.out(), /^\| run \| method \|/, 'Markdown by default');
  });
});
