// A demonstration set whose judge prompt does not fit the server's context is left out of the selection
// with a note, rather than scored wrong (the model never saw it) or ending the fit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { fitUser } from '../../src/core/method/fit';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import type { Prompt } from '../../src/core/method/prompt-store';
import { samplePair } from '../support/pair-fixture';
import { startLoopbackOpenAI, type LoopbackServer } from '../support/loopback-openai';

const prompt = (name: Prompt['name']): Prompt => ({ name, text: DEFAULT_PROMPTS[name], hash: 'sha256:test' });
const pairs = (prefix: string, n: number, split: 'context' | 'validation') =>
  Array.from({ length: n }, (_, i) =>
    samplePair({
      pairId: `${prefix}${i}`,
      split,
      context: [
        {
          role: 'user',
          content: `Question ${prefix}${i}: ${'how should I structure this part of my project? '.repeat(6)}`,
        },
      ],
    }),
  );

describe('fit: candidates that do not fit the context', () => {
  let server: LoopbackServer;
  let llm: Llm;
  before(async () => {
    server = await startLoopbackOpenAI({
      flavor: 'llama-server',
      models: ['m'],
      // The bootstrap prompts (one pair) and small demo sets fit; all six demonstrations do not.
      contextLength: 700,
      brain: (r) =>
        'persona' in ((r.schema?.['properties'] ?? {}) as object)
          ? '{"reasoning": "r", "persona": "Wants short answers."}'
          : '{"reasoning": "The user wants the short one.", "preference": "A"}',
    });
    llm = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'm' }, { noCache: true });
  });
  after(async () => {
    await llm.dispose();
    await server.close();
  });

  // No labelled demonstrations: every candidate is then a subset of the verified ones, some of them small enough to fit.
  test('the full set is left out with a note, and the fit finishes with a set that fits', async () => {
    const notes: string[] = [];
    const r = await fitUser(
      llm,
      'u',
      pairs('c', 6, 'context'),
      pairs('v', 2, 'validation'),
      { bootstrap: prompt('bootstrap'), personaSynthesis: prompt('persona-synthesis'), judge: prompt('judge') },
      { temperature: 0, seed: 3, k: 4, stopScore: 1.01, labeledDemos: 0, onNote: (m) => notes.push(m) },
    );
    const leftOut = notes
      .map(
        (n) =>
          /candidate \d+ of \d+ \((\d+) demonstration\(s\)\) does not fit the model's context and was left out \(.*against a context of 700\)/.exec(
            n,
          )?.[1],
      )
      .filter(Boolean)
      .map(Number);
    assert.ok(leftOut.length > 0, notes.join('\n'));
    assert.ok(r.demos.length < Math.min(...leftOut), `the winner fits (${r.demos.length} demos; left out: ${leftOut})`);
    assert.equal(r.persona, 'Wants short answers.');
  });
});
