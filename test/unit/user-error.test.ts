// Expected failures are one line; anything else keeps its stack (the CLI's stderr, the extension's log).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isExpected, logText, UserError } from '../../src/core/user-error';
import { LlmError } from '../../src/core/llm/errors';
import { UsageError } from '../../src/cli/usage-error';
import { PersonaFileError } from '../../src/core/method/persona-file';

test('a UserError, a usage error, a persona file error and an LLM error are expected: their log text is the message alone', () => {
  const errors = [
    new UserError('no user "x"', 2),
    new UsageError('bad flag'),
    new PersonaFileError('p.yaml', 3, 1, 'bad'),
    new LlmError('timeout', 'timed out'),
  ];
  for (const e of errors) {
    assert.equal(isExpected(e), true, e.constructor.name);
    assert.equal(logText(e), e.message);
    assert.doesNotMatch(logText(e), /\n\s+at /);
  }
  assert.equal(new UserError('x').exitCode, 1);
  assert.equal(new UsageError('x').exitCode, 2);
});

test('an unexpected error (a bug) is logged with its stack', () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
  assert.equal(isExpected(bug), false);
  assert.match(logText(bug), /TypeError: Cannot read properties/);
  assert.match(logText(bug), /\n\s+at /, 'the stack frames are kept');
  assert.equal(logText('plain text'), 'plain text');
});
