// One line of an OpenAI batch file, both ways (src/core/llm/batch-lines.ts): the input line of a call and what an
// output line says of it. Every failure an output can record is a failed call, never an answer.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchInputLine,
  batchLineBody,
  batchLineId,
  batchLineReply,
  parseBatchOutput,
  readBatchOutputLine,
} from '../../src/core/llm/batch-lines';
import { LlmError } from '../../src/core/llm/errors';
import type { ProviderCall } from '../../src/core/llm/provider';

const call: ProviderCall = {
  model: 'm',
  messages: [
    { role: 'system', content: 'judge' },
    { role: 'user', content: 'pair' },
  ],
  temperature: 0,
  seed: 3,
  maxTokens: 64,
  purpose: 'select-persona',
  affinity: 'u/../<script>',
  label: 'p1.BA',
  onText: () => undefined,
};

describe('batch lines', () => {
  test('an input line: the live body (never streamed), and a readable custom_id that is the same for the same call', () => {
    const body = batchLineBody(call, 'http://h/v1');
    assert.equal(body.stream, undefined);
    assert.deepEqual(body.messages, call.messages);
    assert.equal(body.max_tokens, 64);
    const id = batchLineId('fit', call, body);
    assert.match(id, /^fit:u_\.\._script_:select-persona:p1\.BA:[0-9a-f]{20}$/, 'ids from data are cleaned');
    assert.equal(batchLineId('fit', call, batchLineBody(call, 'http://h/v1')), id);
    const other = { ...call, messages: [...call.messages, { role: 'user' as const, content: 'more' }] };
    assert.notEqual(batchLineId('fit', other, batchLineBody(other, 'http://h/v1')), id, 'another body, another id');
    const line = JSON.parse(batchInputLine(id, body)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line), ['custom_id', 'method', 'url', 'body']);
    assert.equal(line.url, '/v1/chat/completions');
  });

  test('an output line: an answer with its usage, or a failed call for each way a line can fail', () => {
    const ok = {
      custom_id: 'a',
      response: {
        status_code: 200,
        body: {
          choices: [{ message: { content: '{"preference":"A"}' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 8 } },
        },
      },
      error: null,
    };
    const reply = batchLineReply(ok, { model: 'm' });
    assert.ok(!(reply instanceof LlmError));
    assert.equal(reply.text, '{"preference":"A"}');
    assert.deepEqual(reply.usage, { promptTokens: 10, completionTokens: 2, cachedPromptTokens: 8 });
    const failures: [unknown, RegExp][] = [
      [
        { custom_id: 'b', response: null, error: { code: 'batch_expired', message: 'window expired' } },
        /window expired \(batch_expired\)/,
      ],
      [{ custom_id: 'c', response: { status_code: 500, body: { error: { message: 'boom' } } }, error: null }, /boom/],
      [{ custom_id: 'd', response: { status_code: 200, body: { choices: [] } }, error: null }, /no answer/],
      [
        { custom_id: 'e', response: { status_code: 404, body: { error: { message: 'no such model' } } } },
        /no such model/,
      ],
    ];
    for (const [line, message] of failures) {
      const r = batchLineReply(line, { model: 'm' });
      assert.ok(r instanceof LlmError, JSON.stringify(line));
      assert.match(r.message, message);
      assert.equal(r.retryable, false);
    }
    assert.equal((batchLineReply(failures[3]![0], { model: 'm' }) as LlmError).kind, 'not-found');
  });

  test('reading an output: blank and torn lines are skipped (their requests stay unanswered), a later line wins', () => {
    assert.equal(readBatchOutputLine('   '), undefined);
    assert.equal(readBatchOutputLine('{"custom_id": "x", "respo'), undefined);
    assert.equal(readBatchOutputLine('{"id": "no custom id"}'), undefined);
    const m = parseBatchOutput('{"custom_id":"x","n":1}\n\n{"custom_id":"y"}\n{"custom_id":"x","n":2}\n');
    assert.deepEqual([...m.keys()], ['x', 'y']);
    assert.equal((m.get('x') as { n: number }).n, 2);
  });
});
