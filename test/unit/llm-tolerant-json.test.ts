// What models write instead of clean JSON, and what the tolerant parser makes of it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonStrict, parseTolerantJson } from '../../src/core/llm/tolerant-json';

const verdict = {
  type: 'object',
  properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
  required: ['reasoning', 'preference'],
};

describe('tolerant JSON', () => {
  test('clean JSON passes through unchanged', () => {
    assert.deepEqual(parseTolerantJson('{"reasoning":"x","preference":"A"}', verdict), {
      reasoning: 'x',
      preference: 'A',
    });
    assert.equal(parseJsonStrict('{"a":'), undefined);
  });

  test('code fences and leading prose', () => {
    const text =
      'Here is my judgement:\n```json\n{\n  "reasoning": "B is warmer",\n  "preference": "B"\n}\n```\nHope this helps!';
    assert.deepEqual(parseTolerantJson(text, verdict), { reasoning: 'B is warmer', preference: 'B' });
  });

  test('trailing commas, single quotes, unquoted keys, comments, Python literals', () => {
    assert.deepEqual(parseTolerantJson("{'reasoning': 'it\\'s shorter', preference: 'A', // final\n}", verdict), {
      reasoning: "it's shorter",
      preference: 'A',
    });
    assert.deepEqual(parseTolerantJson('{"ok": True, "none": None, "list": [1, 2,],}'), {
      ok: true,
      none: null,
      list: [1, 2],
    });
  });

  test('raw newlines inside strings (invalid JSON, common in model output)', () => {
    assert.deepEqual(parseTolerantJson('{"reasoning": "line one\nline two", "preference": "B"}', verdict), {
      reasoning: 'line one\nline two',
      preference: 'B',
    });
  });

  test('an object cut off at the token limit keeps what was written', () => {
    assert.deepEqual(parseTolerantJson('{"preference": "A", "reasoning": "because the user lik', verdict), {
      preference: 'A',
      reasoning: 'because the user lik',
    });
  });

  test('an example object followed by the real answer: the one with the required keys wins', () => {
    const text = 'Format: {"answer": 1}. My verdict: {"reasoning": "clear", "preference": "B"}';
    assert.deepEqual(parseTolerantJson(text, verdict), { reasoning: 'clear', preference: 'B' });
  });

  test('bare answers are recovered for the schema enum', () => {
    assert.deepEqual(parseTolerantJson('B', verdict), { preference: 'B', reasoning: 'B' });
    assert.deepEqual(parseTolerantJson('**Response A**', verdict), { preference: 'A', reasoning: '**Response A**' });
    assert.equal(
      (parseTolerantJson('I weighed both.\nPreference: b', verdict) as { preference: string }).preference,
      'B',
    );
    assert.equal(
      (parseTolerantJson('Long reasoning here.\n\nFinal answer: A.', verdict) as { preference: string }).preference,
      'A',
    );
    assert.equal((parseTolerantJson('The user likes brevity.\nA', verdict) as { preference: string }).preference, 'A');
  });

  test('a JSON object missing the enum gets it from a labelled line', () => {
    assert.deepEqual(parseTolerantJson('{"reasoning": "tone"}\npreference: A', verdict), {
      reasoning: 'tone',
      preference: 'A',
    });
  });

  test('no answer is invented', () => {
    assert.equal(parseTolerantJson('I cannot decide between them.', verdict), undefined);
    assert.equal(parseTolerantJson('A and B are both fine', verdict), undefined);
    assert.equal(parseTolerantJson('', verdict), undefined);
    assert.equal(parseTolerantJson('no json here at all'), undefined);
  });

  test('arrays and nested objects', () => {
    assert.deepEqual(parseTolerantJson('result: [{"a": 1}, {"a": 2},]'), [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(parseTolerantJson('{"outer": {"inner": [1, {"x": "y"}]}}'), { outer: { inner: [1, { x: 'y' }] } });
  });

  test('unicode escapes and numbers', () => {
    assert.deepEqual(parseTolerantJson("{'e': '\\u00e9', n: -1.5e2, p: +3}"), { e: 'é', n: -150, p: 3 });
  });
});
