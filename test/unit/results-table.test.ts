// The CLI's `eval --table`: the paper-style rows, written with the one percent formatter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownTable } from '../../src/cli/results-table';
import type { EvalResult } from '../../src/core/eval';

const result = (r: Partial<EvalResult>) =>
  ({ method: 'persona', model: 'm', split: 'test', users: ['a', 'b'], complete: true, ...r }) as EvalResult;

test('markdownTable: accuracy ± the larger half interval, rates with two decimals, n/a where there is nothing', () => {
  const table = markdownTable([
    result({ accuracy: 0.75, ci95: [0.6, 0.85], pairs: 20, consistency: 0.9, samples: 40, unparseable: 2 }),
    result({
      accuracy: 0.5,
      ci95: [0.4, 0.6],
      pairs: 30,
      consistency: Number.NaN,
      samples: 0,
      unparseable: 0,
      complete: false,
    }),
  ]).split('\n');
  assert.equal(table[2], '| persona | m | test | 75.00% ± 15.00 | 90.00% | 5.00% | 20 | 2 |');
  assert.equal(table[3], '| persona | m | test | 50.00% ± 10.00 (incomplete) | n/a | n/a | 30 | 2 |');
});
