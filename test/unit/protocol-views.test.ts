// The typed protocol of the pair view, the comparison grid and history: the host acts only on
// messages its validators accept, so every field a handler uses is checked here.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isGridToHost,
  isHistoryToHost,
  isHostToGrid,
  isHostToPair,
  isInspectorToHost,
  isPairToHost,
  isVerdictsToHost,
} from '../../src/extension/protocol';

describe('protocol of the reading views', () => {
  test('pair view: navigation needs a known scope and a step of one', () => {
    assert.ok(isPairToHost({ type: 'navigate', delta: 1, scope: 'file' }));
    assert.ok(isPairToHost({ type: 'navigate', delta: -1, scope: 'list' }));
    assert.ok(isPairToHost({ type: 'openLine' }));
    assert.ok(!isPairToHost({ type: 'navigate', delta: 2, scope: 'file' }));
    assert.ok(!isPairToHost({ type: 'navigate', delta: 1, scope: '../etc' }));
    assert.ok(!isPairToHost({ type: 'painted', ms: Number.NaN }));
    assert.ok(isHostToPair({ type: 'notFound', message: 'gone' }));
    assert.ok(!isHostToPair({ type: 'pair', pair: { context: [] } }), 'a pair without judgements or positions');
  });

  test('grid: row indices are bounded integers; export formats are csv or md only', () => {
    assert.ok(isGridToHost({ type: 'openPair', row: 3, list: [1, 2, 3] }));
    assert.ok(!isGridToHost({ type: 'openPair', row: -1, list: [] }));
    assert.ok(!isGridToHost({ type: 'openPair', row: 1, list: [1.5] }));
    assert.ok(!isGridToHost({ type: 'openPair', row: 1, list: 'all' }));
    assert.ok(isGridToHost({ type: 'export', format: 'csv' }));
    assert.ok(!isGridToHost({ type: 'export', format: 'html' }));
    assert.ok(isGridToHost({ type: 'search', query: 'shorter' }));
    assert.ok(!isGridToHost({ type: 'search', query: 'x'.repeat(5000) }));
    assert.ok(isHostToGrid({ type: 'searchResult', query: 'q', rows: [0, 4] }));
    assert.ok(!isHostToGrid({ type: 'grid', runs: [], rows: [] }), 'no summary');
  });

  test('history, inspector and verdicts: the new actions and fields', () => {
    assert.ok(isHistoryToHost({ type: 'compare', version: 0 }));
    assert.ok(isHistoryToHost({ type: 'openRun', version: 1, run: 2 }));
    assert.ok(!isHistoryToHost({ type: 'openRun', version: 1 }));
    assert.ok(isInspectorToHost({ type: 'action', action: 'history', userId: 'ada' }));
    assert.ok(isInspectorToHost({ type: 'openPairView', file: 'ada.prefs.jsonl', line: 3 }));
    assert.ok(!isInspectorToHost({ type: 'openPairView', file: 'ada.prefs.jsonl', line: 0 }));
    assert.ok(isVerdictsToHost({ type: 'openPair', file: 'a.jsonl', line: 1, list: [0, 1] }));
    assert.ok(!isVerdictsToHost({ type: 'openPair', file: 'a.jsonl', line: 1, list: [-2] }));
  });
});
