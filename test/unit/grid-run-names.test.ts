// Grid columns say which run they are, and grid cells what each order chose and why:
// - the exports name each run's columns by method, model, persona version and date (comparison-grid.ts
//   gridRunName), with the run's number for a unique name; CSV cells stay safe (the formula-prefix rule);
// - the grid names persona versions from the workspace's history ('current', a history version, 'no persona'),
//   or by the hash when no workspace is given;
// - a cell's hover gives each order's letter and its short reasoning (grid-cell-text.ts).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PairVerdict } from '../../src/core/method/judge';
import {
  buildComparisonGrid,
  gridCsv,
  gridMarkdown,
  gridRunName,
  type ComparisonGrid,
  type GridRunInfo,
} from '../../src/core/eval/comparison-grid';
import { cellHover, orderLetter, shortReasoning } from '../../src/core/eval/grid-cell-text';
import { RunJournal, runFileName } from '../../src/core/eval/run-file';
import { textHash } from '../../src/core/text-hash';
import { workspaceLayout } from '../../src/core/workspace/layout';

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let rec: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      rec.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      rec.push(field);
      records.push(rec);
      rec = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}

const order = (o: 'AB' | 'BA', preference: 'A' | 'B' | null, correct: boolean, reasoning = 'why') => ({
  order: o,
  preference,
  correct,
  reasoning,
});

function run(i: number, over: Partial<GridRunInfo>): GridRunInfo {
  return {
    id: `id${i}`,
    path: `/runs/${i}.run.jsonl`,
    method: 'persona+demos',
    model: 'qwen2.5:7b',
    split: 'test',
    created: '2026-12-07T05:00:00.000Z',
    personaVersion: 'current',
    ...over,
  };
}

const grid = {
  runs: [
    run(1, {}),
    run(2, { model: 'llama3.1:8b', personaVersion: '2026-12-01T10-00-00-000Z', created: '2026-12-01T11:00:00.000Z' }),
    run(3, { method: 'default', personaVersion: 'no persona', label: '=cmd|baseline' }),
  ],
  rows: [
    {
      user: 'ada',
      pairId: 'p1',
      file: 'ada.jsonl',
      line: 1,
      flipped: true,
      wrongEverywhere: false,
      inconsistent: false,
      cells: [
        { score: 1, flipped: false, orders: [order('AB', 'A', true), order('BA', 'B', true)] },
        { score: 0, flipped: true, orders: [order('AB', 'B', false), order('BA', 'A', false)] },
        null,
      ],
    },
  ],
  summary: [
    { accuracy: 1, ci95: [0.5, 1], pairs: 1 },
    { accuracy: 0, ci95: [0, 0.5], pairs: 1 },
    { accuracy: null, ci95: null, pairs: 0 },
  ],
  warnings: [],
} as unknown as ComparisonGrid;

describe('grid run names', () => {
  test('CSV columns are named by run: method, model, persona version, date; the cells stay safe', () => {
    const records = parseCsv(gridCsv(grid));
    const header = records[0]!;
    assert.deepEqual(header.slice(7, 15), [
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / score',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / flipped',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / AB preference',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / AB correct',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / AB reasoning',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / BA preference',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / BA correct',
      'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07 / BA reasoning',
    ]);
    assert.equal(
      header[15],
      'run2 / persona+demos / llama3.1:8b / persona 2026-12-01T10-00-00-000Z / 2026-12-01 / score',
    );
    assert.equal(header[23], 'run3 / =cmd|baseline / default / qwen2.5:7b / no persona / 2026-12-07 / score');
    assert.equal(header.length, 7 + 3 * 8);
    assert.ok(!header.some((h) => /^[=+\-@\t\r]/.test(h)), 'no header cell a spreadsheet would run');
    assert.ok(!header.some((h) => /^run\d+_/.test(h)), 'no bare run1_… names');

    const blank = records.findIndex((r) => r.length === 1 && r[0] === '');
    const [runsHeader, ...runs] = records.slice(blank + 1);
    const at = (name: string) => runsHeader!.indexOf(name);
    assert.deepEqual(
      runs.map((r) => [r[at('run')], r[at('persona_version')], r[at('name')]]),
      [
        ['run1', 'current', 'run1 / persona+demos / qwen2.5:7b / persona current / 2026-12-07'],
        [
          'run2',
          '2026-12-01T10-00-00-000Z',
          'run2 / persona+demos / llama3.1:8b / persona 2026-12-01T10-00-00-000Z / 2026-12-01',
        ],
        ['run3', 'no persona', 'run3 / =cmd|baseline / default / qwen2.5:7b / no persona / 2026-12-07'],
      ],
    );
    assert.equal(runs[2]![at('label')], "'=cmd|baseline", 'the label alone keeps its formula prefix neutralized');
  });

  test('Markdown names the flipped pairs’ columns by run', () => {
    const md = gridMarkdown(grid);
    const head = md.split('\n').find((l) => l.startsWith('| user | pair | file:line |'))!;
    assert.equal(
      head,
      '| user | pair | file:line | 1. persona+demos · qwen2.5:7b · persona current · 2026-12-07 | ' +
        '2. persona+demos · llama3.1:8b · persona 2026-12-01T10-00-00-000Z · 2026-12-01 | ' +
        '3. =cmd\\|baseline · default · qwen2.5:7b · no persona · 2026-12-07 |',
    );
    assert.equal(
      gridRunName(run(9, { personaVersion: undefined })),
      'persona+demos · qwen2.5:7b · no persona · 2026-12-07',
    );
  });

  test('persona versions named from the workspace: current, a history version, no persona; a hash without it', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'sm-gridnames-'));
    const layout = workspaceLayout(ws);
    mkdirSync(layout.personaDir, { recursive: true });
    const now = 'user_id: ada\npersona: short answers\n';
    const old = 'user_id: ada\npersona: long answers\n';
    writeFileSync(join(layout.personaDir, 'ada.persona.yaml'), now);
    const history = join(layout.historyDir, 'ada');
    mkdirSync(history, { recursive: true });
    writeFileSync(join(history, '2026-12-01T10-00-00-000Z.persona.yaml'), old);
    const verdict: PairVerdict = {
      userId: 'ada',
      pairId: 'p1',
      file: 'ada.jsonl',
      line: 1,
      orders: [order('AB', 'A', true), order('BA', 'B', true)],
    } as PairVerdict;
    const write = async (id: string, method: string, inputs: Record<string, string>) => {
      const journal = await RunJournal.open(layout.runsDir, runFileName(method, 'test', id));
      await journal.append({
        type: 'header',
        version: 1,
        id,
        method,
        split: 'test',
        provider: 'ollama',
        model: 'm',
        seed: 1,
        temperature: 0,
        users: ['ada'],
        created: '2026-12-07T05:00:00.000Z',
        inputs: { judge: 'sha256:j', ...inputs },
      });
      await journal.append({ type: 'verdict', ...verdict });
      await journal.close();
      return journal.path;
    };
    const paths = [
      await write('aaaa', 'persona', { 'persona:ada': textHash(now) }),
      await write('bbbb', 'persona', { 'persona:ada': textHash(old) }),
      await write('cccc', 'default', {}),
    ];
    const withLayout = await buildComparisonGrid(paths, { layout });
    assert.deepEqual(
      withLayout.runs.map((r) => r.personaVersion),
      ['current', '2026-12-01T10-00-00-000Z', 'no persona'],
    );
    const without = await buildComparisonGrid(paths);
    assert.deepEqual(
      without.runs.map((r) => r.personaVersion),
      [textHash(now).slice('sha256:'.length, 'sha256:'.length + 8), textHash(old).slice(7, 15), 'no persona'],
    );
  });

  test('a cell says the letter each order chose, and on hover each order’s short reasoning', () => {
    assert.equal(orderLetter({ order: 'AB', preference: 'A', correct: true }), 'AB:A');
    assert.equal(orderLetter({ order: 'BA', preference: '', correct: false }), 'BA:?');
    const long = `The first reply answers in one line, which this user always prefers. ${'More words here. '.repeat(20)}`;
    const short = shortReasoning(long);
    assert.ok(short.length <= 161 && short.endsWith('…'), short);
    assert.ok(short.startsWith('The first reply answers in one line'));
    assert.equal(shortReasoning('  two\n lines  '), 'two lines');
    assert.equal(
      cellHover([
        { order: 'AB', preference: 'A', correct: true, reasoning: 'Short\nwins.' },
        { order: 'BA', preference: 'A', correct: false, reasoning: 'Position.' },
      ]),
      'order (A,B): chose A, right: Short wins.\norder (B,A): chose A, wrong: Position.',
    );
    assert.equal(
      cellHover([
        { order: 'AB', preference: null, correct: false, reasoning: '', failed: true },
        { order: 'BA', preference: null, correct: false, reasoning: 'nothing parseable' },
      ]),
      'order (A,B): the call failed\norder (B,A): no answer: nothing parseable',
    );
  });
});
