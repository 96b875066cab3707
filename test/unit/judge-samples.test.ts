// Issue 24 item 2: `--samples k` judges each order k times and takes the majority. Each sample is its own call
// (its own cache key through ChatRequest.sample), a failed sample fails the order (resumable, never wrong), and an
// order without a majority counts as wrong, never as failed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeOrder, orderFailed, orderUnparseable, samplingOf, type OrderVerdict } from '../../src/core/method/judge';
import { rubricSamples } from '../../src/core/method/rubric';
import {
  majorityOf,
  meanSampleAgreement,
  NO_MAJORITY,
  sampleAgreement,
  samplingTemperature,
  SAMPLING_TEMPERATURE,
} from '../../src/core/method/samples';
import { parseTolerantJson } from '../../src/core/llm/tolerant-json';
import type { ChatModel, ChatRequest, ChatResult } from '../../src/core/llm/types';
import { samplePair } from '../support/pair-fixture';

/** A model whose answer to the i-th sample of a call is answers[i] (a letter, or an Error to throw). */
function scriptedModel(answers: (string | Error)[]): ChatModel & { calls: ChatRequest[] } {
  const calls: ChatRequest[] = [];
  return {
    provider: 'ollama',
    model: 'm',
    calls,
    async chat(request: ChatRequest): Promise<ChatResult> {
      calls.push(request);
      const a = answers[request.sample ?? 0]!;
      if (a instanceof Error) throw a;
      const text = a.length === 1 ? JSON.stringify({ reasoning: `sample ${request.sample}`, preference: a }) : a;
      return {
        text,
        json: parseTolerantJson(text, request.schema?.schema),
        usage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 1,
        cached: false,
        model: 'm',
        cacheKey: `key-${request.sample}`,
      };
    },
  };
}

const pair = samplePair();

describe('--samples: each order judged k times, the majority decides', () => {
  test('k calls, each with its own sample index (own cache key), majority A of A,B,A', async () => {
    const model = scriptedModel(['A', 'B', 'A']);
    const v = await judgeOrder(model, 'sys', pair, 'AB', { temperature: 0.7, samples: 3 });
    assert.deepEqual(
      model.calls.map((c) => c.sample),
      [0, 1, 2],
    );
    assert.equal(v.preference, 'A');
    assert.equal(v.correct, true, 'in order AB the chosen reply is A');
    assert.deepEqual(
      v.samples?.map((s) => s.preference),
      ['A', 'B', 'A'],
    );
    assert.equal(v.call, 'key-0', 'the transcript is a sample that gave the majority answer');
    assert.equal(v.reasoning, 'sample 0');
  });

  test('one sample: one call, no sample index, no samples list (runs as before)', async () => {
    const model = scriptedModel(['B']);
    const v = await judgeOrder(model, 'sys', pair, 'AB', { temperature: 0 });
    assert.equal(model.calls.length, 1);
    assert.equal(model.calls[0]!.sample, undefined);
    assert.equal(v.samples, undefined);
    assert.equal(v.preference, 'B');
  });

  test('no majority (A, B) is an answer that decides nothing: wrong, not failed', async () => {
    const v = await judgeOrder(scriptedModel(['A', 'B']), 'sys', pair, 'BA', { temperature: 0.7, samples: 2 });
    assert.equal(v.preference, null);
    assert.equal(v.error, NO_MAJORITY);
    assert.equal(v.correct, false);
    assert.equal(orderFailed(v), false);
    assert.equal(orderUnparseable(v), true);
  });

  test('a failed sample fails the order (resumable), whatever the others said', async () => {
    const v = await judgeOrder(scriptedModel(['A', new Error('HTTP 500 from the server'), 'A']), 'sys', pair, 'AB', {
      temperature: 0.7,
      samples: 3,
    });
    assert.equal(orderFailed(v), true);
    assert.match(v.error ?? '', /1 of 3 samples failed: HTTP 500/);
    assert.equal(v.correct, false);
  });

  test('an unparseable sample is an answer that counts for neither letter', async () => {
    const v = await judgeOrder(scriptedModel(['B', 'no idea', 'B']), 'sys', pair, 'BA', {
      temperature: 0.7,
      samples: 3,
    });
    assert.equal(v.preference, 'B');
    assert.equal(v.correct, true, 'in order BA the chosen reply is B');
    assert.deepEqual(
      v.samples?.map((s) => s.preference),
      ['B', null, 'B'],
    );
  });
});

describe('sample figures', () => {
  test('majority, agreement, and the mean agreement over sampled orders', () => {
    const s = (...p: ('A' | 'B' | null)[]) => p.map((preference) => ({ preference }));
    assert.equal(majorityOf(s('A', 'A', 'B')), 'A');
    assert.equal(majorityOf(s('A', null, null)), 'A');
    assert.equal(majorityOf(s(null, null)), null);
    assert.equal(sampleAgreement(s('A', 'A', 'A')), 1);
    assert.equal(sampleAgreement(s('A', 'B', 'A')), 2 / 3);
    assert.equal(sampleAgreement(s('A', 'B', null)), 1 / 3);
    assert.equal(meanSampleAgreement([{ samples: s('A', 'A') }, { samples: s('A', 'B') }, {}]), 0.75);
    assert.equal(meanSampleAgreement([{}, {}]), undefined);
  });

  test('k draws at temperature 0 would be one draw k times: sampled runs use a temperature above 0', () => {
    assert.equal(samplingTemperature(0, 3), SAMPLING_TEMPERATURE);
    assert.equal(samplingTemperature(0.3, 3), 0.3);
    assert.equal(samplingTemperature(0, 1), 0);
  });
});

describe('--samples with the rubric methods: the mean weighted sum per reply decides, not the majority', () => {
  const criteria = [
    { name: 'brevity', weight: 2 },
    { name: 'warmth', weight: 1 },
  ];
  /** A rubric sample whose weighted sums come out at a and b (scores equal across criteria). */
  const draw = (a: number, b: number, call: string): OrderVerdict => ({
    order: 'AB',
    preference: a > b ? 'A' : b > a ? 'B' : null,
    correct: a > b,
    reasoning: '',
    rubric: { criteria, scores: { A: [a, a], B: [b, b] }, sums: [a, b] },
    call,
    ...(a === b ? { noDecision: 'tie' as const, error: 'a tie: equal weighted sums' } : {}),
  });
  const unreadable = (call: string): OrderVerdict => ({
    order: 'AB',
    preference: null,
    correct: false,
    reasoning: 'no rubric',
    error: 'unreadable rubric: not a JSON object',
    noDecision: 'unreadable',
    call,
  });

  test('two narrow wins for A and one wide win for B: the means (4.67 against 6.33) give B', () => {
    const v = rubricSamples('AB', [draw(6, 5, 'k0'), draw(6, 5, 'k1'), draw(2, 9, 'k2')]);
    assert.equal(majorityOf(v.samples!), 'A', 'the majority would have said A');
    assert.equal(v.preference, 'B');
    assert.equal(v.correct, false, 'in order AB the chosen reply is A');
    assert.deepEqual(v.rubric?.sums, [4.6667, 6.3333]);
    assert.deepEqual(v.rubric?.scores, { A: [2, 2], B: [9, 9] }, 'the criteria and scores of a sample that said B');
    assert.equal(v.call, 'k2');
    assert.deepEqual(
      v.samples?.map((s) => s.sums),
      [
        [6, 5],
        [6, 5],
        [2, 9],
      ],
    );
    assert.equal(sampleAgreement(v.samples!), 2 / 3);
  });

  test('an unreadable sample is left out of the means; equal means are a tie; none readable is unreadable', () => {
    const v = rubricSamples('AB', [unreadable('k0'), draw(7, 3, 'k1'), draw(5, 6, 'k2')]);
    assert.equal(v.preference, 'A');
    assert.deepEqual(v.rubric?.sums, [6, 4.5]);
    assert.equal(v.noDecision, undefined);
    assert.equal(v.error, undefined);
    const tie = rubricSamples('AB', [draw(7, 3, 'k0'), draw(3, 7, 'k1')]);
    assert.equal(tie.preference, null);
    assert.equal(tie.noDecision, 'tie');
    assert.equal(orderFailed(tie), false);
    const none = rubricSamples('AB', [unreadable('k0'), unreadable('k1'), unreadable('k2')]);
    assert.equal(none.noDecision, 'unreadable');
    assert.equal(orderFailed(none), false);
    assert.equal(none.samples?.length, 3);
  });

  test('a failed sample fails the order, as for letter verdicts', () => {
    const failed: OrderVerdict = { ...unreadable('k1'), failed: true, error: 'HTTP 500' };
    delete failed.noDecision;
    const v = rubricSamples('AB', [draw(7, 3, 'k0'), failed, draw(7, 3, 'k2')]);
    assert.equal(orderFailed(v), true);
    assert.match(v.error ?? '', /1 of 3 samples failed: HTTP 500/);
  });

  test('each sample asks with its own seed (a server samples the same answer for the same seed)', () => {
    assert.deepEqual(samplingOf(42, undefined), { seed: 42 });
    assert.deepEqual(samplingOf(42, 0), { seed: 42, sample: 0 });
    assert.deepEqual(samplingOf(42, 2), { seed: 44, sample: 2 });
    assert.deepEqual(samplingOf(undefined, 2), { sample: 2 });
  });
});
