// The pair hover's preview of a response reads past its first code block (issue 23).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responsePreview } from '../../src/extension/editor/response-preview';

test('a response that opens with a code block shows the prose after it', () => {
  const text =
    '```python\nx = 1\nprint(x)\n```\n\nThis prints 1 because x was set first.\n\n```sh\npython a.py\n```\nDone.';
  const preview = responsePreview(text);
  assert.match(preview, /x = 1 print\(x\)/);
  assert.match(preview, /This prints 1 because x was set first\./);
  assert.match(preview, /Done\.$/);
  assert.doesNotMatch(preview, /```/);
});

test('a long response is cut, with an ellipsis', () => {
  const preview = responsePreview('word '.repeat(500), 100);
  assert.equal(preview.length, 101);
  assert.ok(preview.endsWith('…'));
});
