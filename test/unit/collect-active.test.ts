// Ask next against random choice on the simulated panel (issue 15): with a judge fitted on two of a
// simulated user's pairs, batches of four unlabelled pool pairs are offered; ask next must take a pair
// the persona judge contradicts itself on whenever the batch has one, and so ask such pairs more often
// than random choice (the first of the batch) does. Whether that makes the persona better sooner is
// what `npm run bench -- collect` measures (on these simulated users it does not, measurably).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { generateUser } from '../support/simulated-users';
import { createRng, shuffled } from '../../src/core/random';
import { createLlm } from '../../src/core/llm/client';
import { fitUser } from '../../src/core/method/fit';
import { judgeSystem } from '../../src/core/method/messages';
import { DEFAULT_PROMPTS, type PromptName } from '../../src/core/method/default-prompts';
import { promptHash } from '../../src/core/method/prompt-store';
import { chooseMostInformative, type Candidate } from '../../src/core/collect/informative';
import type { Pair } from '../../src/core/data/pair';

const prompt = (name: PromptName) => ({ name, text: DEFAULT_PROMPTS[name], hash: promptHash(DEFAULT_PROMPTS[name]) });

describe('ask next on the simulated panel', () => {
  let server: LoopbackServer;
  after(() => server?.close());

  test('asks a pair the persona judge is unsure about whenever a batch has one, more often than random choice', async () => {
    server = await startLoopbackOllama({ brain: adaptBrain(simulatedBrain()), models: ['m'] });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'm', stream: false, concurrency: 8 },
      { cacheDir: mkdtempSync(join(tmpdir(), 'sm-active-')) },
    );
    try {
      const prompts = {
        bootstrap: prompt('bootstrap'),
        personaSynthesis: prompt('persona-synthesis'),
        judge: prompt('judge'),
      };
      let activeUnsure = 0;
      let randomUnsure = 0;
      let batchesWithUnsure = 0;
      let batches = 0;
      for (const [id, traits] of [
        ['sim-ana', ['concise']],
        ['sim-ben', ['steps']],
        ['sim-dev', ['code']],
      ] as const) {
        const user = generateUser({ id, traits: [...traits], pairs: 30, seed: 3 });
        const pairs: Pair[] = user.records.map((r, i) => ({
          userId: r.user_id,
          pairId: r.pair_id,
          context: r.context,
          chosen: { role: 'assistant', content: r.chosen },
          rejected: { role: 'assistant', content: r.rejected },
          source: { file: 'f', line: i + 1, column: 1, endLine: i + 1, endColumn: 1 },
        }));
        const fit = await fitUser(llm, id, pairs.slice(0, 2), pairs.slice(2, 6), prompts, {
          temperature: 0,
          seed: 1,
          k: 1,
          stopScore: 0.8,
          labeledDemos: 4,
        });
        const current = judgeSystem(prompts.judge.text, { persona: fit.persona, demos: fit.demos });
        const pool = pairs.slice(6);
        for (let b = 0; b < 6; b++) {
          const rng = createRng(`active-test:${id}:${b}`);
          const batch = shuffled(pool, rng).slice(0, 4);
          const candidates: Candidate[] = batch.map((p) => ({
            context: p.context,
            responses: rng() < 0.5 ? [p.chosen.content, p.rejected.content] : [p.rejected.content, p.chosen.content],
          }));
          const choice = await chooseMostInformative(llm, id, candidates, { current }, { temperature: 0, seed: 1 });
          batches++;
          if (choice.scores.some((s) => s === 2)) batchesWithUnsure++;
          if (choice.uncertainty === 2) activeUnsure++;
          if (choice.scores[0] === 2) randomUnsure++;
          assert.equal(
            choice.scores[choice.index],
            Math.max(...choice.scores),
            'the chosen candidate is the least certain one',
          );
        }
      }
      console.log(
        `ask next on the simulated panel: ${batches} batches; the judge was unsure on the pair asked next in ${activeUnsure}, on the random pick in ${randomUnsure}; ${batchesWithUnsure} batch(es) had such a pair`,
      );
      assert.ok(batchesWithUnsure > 0, 'the simulated judge is unsure about some pairs (else the check says nothing)');
      assert.equal(activeUnsure, batchesWithUnsure, 'ask next finds the unsure pair in every batch that has one');
      assert.ok(
        activeUnsure > randomUnsure,
        `ask next asks unsure pairs more often than random choice (${activeUnsure} > ${randomUnsure})`,
      );
    } finally {
      await llm.dispose();
    }
  });
});
