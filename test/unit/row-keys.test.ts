// The grid's and Verdicts' rows from the keyboard (webview/shared/row-keys.ts): Enter or Space opens the
// focused row's pair as a click does; the arrows, pages, Home and End move the focus within the rows shown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowKeyAction } from '../../webview/shared/row-keys';

test('Enter and Space open the pair of the focused row', () => {
  for (const key of ['Enter', ' ', 'Spacebar']) assert.deepEqual(rowKeyAction(key, 3, 10), { type: 'open' }, key);
  assert.deepEqual(rowKeyAction('Enter', 0, 1), { type: 'open' });
});

test('the arrows, pages, Home and End move the focus, never past the rows shown', () => {
  assert.deepEqual(rowKeyAction('ArrowDown', 3, 10), { type: 'focus', pos: 4 });
  assert.deepEqual(rowKeyAction('ArrowUp', 3, 10), { type: 'focus', pos: 2 });
  assert.deepEqual(rowKeyAction('PageDown', 3, 100, 20), { type: 'focus', pos: 23 });
  assert.deepEqual(rowKeyAction('PageUp', 3, 100, 20), { type: 'focus', pos: 0 });
  assert.deepEqual(rowKeyAction('PageDown', 95, 100, 20), { type: 'focus', pos: 99 });
  assert.deepEqual(rowKeyAction('Home', 7, 10), { type: 'focus', pos: 0 });
  assert.deepEqual(rowKeyAction('End', 7, 10), { type: 'focus', pos: 9 });
  assert.equal(rowKeyAction('ArrowDown', 9, 10), undefined, 'the last row: the key keeps its default');
  assert.equal(rowKeyAction('ArrowUp', 0, 10), undefined, 'the first row');
});

test('other keys, and a row not shown, do nothing', () => {
  for (const key of ['Tab', 'a', 'Escape', 'ArrowLeft']) assert.equal(rowKeyAction(key, 3, 10), undefined, key);
  assert.equal(rowKeyAction('Enter', 0, 0), undefined, 'no rows');
  assert.equal(rowKeyAction('Enter', 10, 10), undefined, 'a stale position');
});
