// The one formatter of a RunEstimate that the dry runs of eval, fit, classify and revalidate print with:
// the --json figures under the names they always had, and the words for tokens and cost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costText, estimateJson, tokensText } from '../../src/cli/estimate-text';

const priced = { calls: 12, cachedCalls: 3, promptTokens: 4000, completionTokens: 900, costUsd: 0.0456 };
const free = { ...priced, costUsd: undefined };

test('--json names the five figures in their order; a model with no price has costUsd null', () => {
  assert.deepEqual(Object.keys(estimateJson(priced)), [
    'calls',
    'cachedCalls',
    'promptTokens',
    'completionTokens',
    'costUsd',
  ]);
  assert.equal(estimateJson(priced).costUsd, 0.0456);
  assert.equal(estimateJson(free).costUsd, null);
});

test('the tokens, and the cost in cents only when the model has a price', () => {
  assert.equal(tokensText(priced), '4000 prompt + 900 completion tokens');
  assert.equal(costText(priced), ', about $0.05');
  assert.equal(costText(free), '');
});
