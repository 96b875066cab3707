// CSV cells that start with =, +, -, @, a tab or a carriage return are neutralized (issue 20): every CSV the
// tool writes spells its cells with csvField, which puts a single quote before such text and quotes the
// cell (OWASP's advice), so a spreadsheet shows a model's `=HYPERLINK(...)` instead of running it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField } from '../../src/core/csv-field';
import { gridCsv, type ComparisonGrid } from '../../src/core/eval/comparison-grid';

describe('CSV cells', () => {
  test('text that would start a formula gets a leading quote inside a quoted cell; numbers, flags and plain text are as they are', () => {
    for (const [text, cell] of [
      ['=1+1', `"'=1+1"`],
      ['+41 79', `"'+41 79"`],
      ['-2+3', `"'-2+3"`],
      ['@SUM(A1)', `"'@SUM(A1)"`],
      ['\t=cmd', `"'\t=cmd"`],
      ['\r=cmd', `"'\r=cmd"`],
      ['=HYPERLINK("http://x", "y")', `"'=HYPERLINK(""http://x"", ""y"")"`],
    ] as const)
      assert.equal(csvField(text), cell, JSON.stringify(text));
    assert.equal(csvField('a, b'), '"a, b"');
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField(-0.05), '-0.05', 'a negative number is a number');
    assert.equal(csvField(true), '1');
    assert.equal(csvField(null), '');
    assert.equal(csvField('=raw', { raw: true }), '=raw');
  });

  test('the comparison grid CSV neutralizes every text cell that comes from data or a model', () => {
    const order = (o: 'AB' | 'BA') => ({
      order: o,
      preference: 'A',
      correct: true,
      failed: false,
      reasoning: '@evil()',
    });
    const grid = {
      runs: [
        {
          id: '=id',
          label: '+label',
          method: 'persona',
          model: '-m',
          split: 'test',
          created: '2024',
          path: 'r.run.jsonl',
          status: 'complete',
        },
      ],
      rows: [
        {
          user: '=user',
          pairId: '-p1',
          file: '@f.jsonl',
          line: 1,
          flipped: false,
          wrongEverywhere: false,
          inconsistent: false,
          cells: [{ score: 1, flipped: false, orders: [order('AB'), order('BA')] }],
        },
      ],
      summary: [
        {
          pairs: 1,
          accuracy: 1,
          ci95: [0.5, 1],
          versusFirst: { difference: -0.25, ci95: [-0.5, 0], p: 0.5, pairs: 1, users: 1 },
        },
      ],
      warnings: [],
    } as unknown as ComparisonGrid;
    const csv = gridCsv(grid);
    const cells = csv.split('\r\n').flatMap((r) => r.match(/("([^"]|"")*"|[^,]*)/g) ?? []);
    for (const bad of ['=user', '-p1', '@f.jsonl', '@evil()', '=id', '+label', '-m']) {
      assert.ok(cells.includes(`"'${bad.replace(/"/g, '""')}"`), `${bad} neutralized:\n${csv}`);
      assert.ok(!cells.includes(bad), `${bad} never bare`);
    }
    assert.ok(cells.includes('-0.25'), 'the difference stays a number');
  });
});
