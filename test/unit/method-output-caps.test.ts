// Every kind of call carries an output cap, so a model stuck in a loop inside its JSON (Gemma 3 270M through
// llama-server wrote 8,800 characters of "I'm a bit of a fan of the 'I'm a bit of a fan of ..." for one judge
// call, over a minute on 2 cores) stops at the cap. The cut answer is the model's own answer: unparseable,
// so wrong, and not a failed call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { judgeOrder } from '../../src/core/method/judge';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import {
  BOOTSTRAP_SCHEMA,
  JUDGMENT_SCHEMA,
  MEMORY_SCHEMA,
  PERSONA_SCHEMA,
  PERSONALIZABLE_SCHEMA,
} from '../../src/core/method/schemas';
import { planFitRequests } from '../../src/core/method/fit-plan';
import { outputCapOf } from '../../src/core/llm/types';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOpenAI, type BrainRequest, type LoopbackServer } from '../support/loopback-openai';

const pair = samplePair();

describe('output caps', () => {
  let server: LoopbackServer;
  let llm: Llm;
  const seen: BrainRequest[] = [];
  before(async () => {
    // A looping model: the reasoning never ends, so the object never closes.
    server = await startLoopbackOpenAI({
      models: ['m'],
      brain: (r) => (seen.push(r), `{"reasoning": "${"I'm a bit of a fan of the '".repeat(2000)}`),
    });
    llm = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'm', timeoutSeconds: 5 }, { noCache: true });
  });
  after(async () => {
    await llm.dispose();
    await server.close();
  });

  test('each schema has its own cap, and a request without maxTokens is sent with it', () => {
    assert.deepEqual(
      [JUDGMENT_SCHEMA, BOOTSTRAP_SCHEMA, PERSONA_SCHEMA, MEMORY_SCHEMA, PERSONALIZABLE_SCHEMA].map((s) => s.outputCap),
      [512, 768, 1024, 768, 256],
    );
    assert.equal(outputCapOf({ schema: JUDGMENT_SCHEMA }), 512);
    assert.equal(outputCapOf({ schema: JUDGMENT_SCHEMA, maxTokens: 64 }), 64, 'an explicit maxTokens wins');
    assert.equal(outputCapOf({}), undefined);
  });

  test('a judge call is sent with max_tokens 512 and a bootstrap call with 768; a cut verdict is unparseable, a cut bootstrap reasoning a failed call', async () => {
    seen.length = 0;
    const judged = await judgeOrder(llm, DEFAULT_PROMPTS.judge, pair, 'AB', { temperature: 0, purpose: 'judge' });
    const boot = await judgeOrder(llm, DEFAULT_PROMPTS.bootstrap, pair, 'AB', { temperature: 0, purpose: 'bootstrap' });
    // A bootstrap reasoning may become a demonstration (issue 20, class 6): cut, it is asked again with twice the room, then failed.
    assert.deepEqual(
      seen.map((r) => r.maxTokens),
      [512, 768, 1536],
    );
    assert.equal(judged.preference, null);
    assert.equal(judged.correct, false);
    assert.match(judged.error ?? '', /no A\/B preference/);
    assert.ok(
      judged.reasoning.length <= 512 * 4 + 20,
      `the answer was cut at the cap (${judged.reasoning.length} chars)`,
    );
    assert.equal(boot.failed, true);
    assert.match(boot.error ?? '', /cut at its output cap of 1,536 tokens, after a first answer cut at 768/);
  });

  test('the fit plan uses the same schemas as the fit, so its cache look-ups match the real calls', () => {
    const prompt = (name: 'judge' | 'bootstrap' | 'persona-synthesis') => ({
      name,
      text: DEFAULT_PROMPTS[name],
      hash: 'sha256:x',
    });
    const plan = planFitRequests(
      [{ context: [pair], validation: [pair] }],
      { bootstrap: prompt('bootstrap'), personaSynthesis: prompt('persona-synthesis'), judge: prompt('judge') },
      { temperature: 0, seed: 0, k: 0 },
    );
    const caps = new Set(plan.map((r) => outputCapOf(r)));
    assert.deepEqual([...caps].sort(), [1024, 512, 768]);
  });
});
