// Where a failed JSON.parse went wrong (the column of a problem report): jsonc-parser finds the token,
// and the column goes on inside a token that was the value or key expected there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findJsonErrorOffset } from '../../src/core/data/json-error-position';

const at = (text: string) => {
  const offset = findJsonErrorOffset(text);
  return `${text.slice(0, offset)}|${text.slice(offset)}`;
};

test('a broken value: the character inside it that breaks it', () => {
  assert.equal(at('{"a": tru}'), '{"a": tru|}');
  assert.equal(at('[1, fxlse]'), '[1, f|xlse]');
  assert.equal(at('[2e, 3]'), '[2|e, 3]');
  assert.equal(at('{"a": "x\\qy"}'), '{"a": "x\\|qy"}');
  assert.equal(at('{"a": "\\u12G4"}'), '{"a": "\\u|12G4"}');
  assert.equal(at('{"a": "one\ntwo"}'), '{"a": "one|\ntwo"}');
  assert.equal(at('{"a": "never ends'), '{"a": "never ends|');
  assert.equal(at('{"a\\x": 1}'), '{"a\\|x": 1}');
});

test('a token where another was expected: the token itself', () => {
  assert.equal(at('{"a": 1 "b": 2}'), '{"a": 1 |"b": 2}');
  assert.equal(at('[1 true]'), '[1 |true]');
  assert.equal(at('{tru: 1}'), '{|tru: 1}');
  assert.equal(at('{"a": 1,}'), '{"a": 1,|}');
  assert.equal(at('[1,]'), '[1,|]');
  assert.equal(at('[1] // no comments'), '[1] |// no comments');
  assert.equal(at('[01]'), '[0|1]');
  assert.equal(at('[1, 2'), '[1, 2|');
  assert.equal(at(''), '|');
  assert.equal(at('  \n'), '  \n|');
});
