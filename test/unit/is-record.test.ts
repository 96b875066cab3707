// The one isRecord (src/core/is-record.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRecord } from '../../src/core/is-record';

test('isRecord: objects yes; null, arrays and other values no', () => {
  assert.ok(isRecord({}));
  assert.ok(isRecord({ a: 1 }));
  assert.ok(isRecord(JSON.parse('{"type":"header"}')));
  for (const x of [null, undefined, [], [1], 'a', 1, true, () => 1]) assert.ok(!isRecord(x), String(x));
});
