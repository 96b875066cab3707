// End to end on simulated users (TESTING.md section 2): SynthesizeMe must beat the default judge
// by a clear margin, the margin must vanish when the persona is left out of the prompt, and a
// hand-written persona that states the hidden trait must do at least as well.
// This simulates a competent model; it does not measure one.

import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { simulatedWorkspace, PLAIN_TRAIT_STATEMENTS } from '../support/sim-workspace';
import { runCli } from '../../src/cli/main';
import type { CommandIO } from '../../src/cli/command';
import { parsePersona, serializePersona } from '../../src/core/method/persona-file';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { pairsBySplit } from '../../src/core/workspace/open-workspace';
import { PromptStore } from '../../src/core/method/prompt-store';
import { fitUser, DEFAULT_FIT_OPTIONS } from '../../src/core/method/fit';
import { createLlm } from '../../src/core/llm/client';
import { CountingModel } from '../../src/core/llm/counting-model';

function capture(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), isTTY: false, cwd, signal: new AbortController().signal, env: {} };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

async function cli(cwd: string, argv: string[]): Promise<any> {
  const c = capture(cwd);
  const code = await runCli([...argv, '--json'], c.io);
  assert.equal(code, 0, c.err());
  return JSON.parse(c.out());
}

const MARGIN = 0.15;

describe('SynthesizeMe on simulated users', () => {
  let server: LoopbackServer;
  const sim = simulatedWorkspace(1);
  const base = (extra: string[] = []) => ['--all', '--base-url', server.url, ...extra];
  let defaultAcc = 0;
  let fittedAcc = 0;

  before(async () => {
    server = await startLoopbackOllama({ brain: adaptBrain(simulatedBrain()), models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('persona+demos beats default by a clear margin on the test split', async () => {
    const fit = await cli(sim.dir, ['fit', 'ws', ...base()]);
    assert.equal(fit.users.length, sim.users.length, JSON.stringify(fit.failed));
    const r = await cli(sim.dir, ['eval', 'ws', '--method', 'default,persona+demos', ...base()]);
    const [def, full] = r.results;
    defaultAcc = def.accuracy;
    fittedAcc = full.accuracy;
    console.log(`simulated test accuracy: default ${(100 * defaultAcc).toFixed(1)}%, persona+demos ${(100 * fittedAcc).toFixed(1)}% (${full.pairs} pairs)`);
    assert.equal(def.pairs, full.pairs);
    assert.ok(fittedAcc - defaultAcc >= MARGIN, `margin ${(fittedAcc - defaultAcc).toFixed(3)} < ${MARGIN}`);
    // The personas name what the users value.
    const personas = readdirSync(join(sim.ws, 'personas'));
    assert.equal(personas.length, sim.users.length);
  });

  test('without the persona in the prompt the margin is gone (the check above can fail)', async () => {
    // Blank every persona: the `persona` method then judges with no personal information.
    for (const f of readdirSync(join(sim.ws, 'personas'))) {
      const path = join(sim.ws, 'personas', f);
      const m = parsePersona(readFileSync(path, 'utf8'), f);
      writeFileSync(path, serializePersona({ ...m, persona: '(nothing known)' }));
    }
    const r = await cli(sim.dir, ['eval', 'ws', '--method', 'persona', ...base()]);
    console.log(`simulated test accuracy with the persona left out: ${(100 * r.accuracy).toFixed(1)}%`);
    assert.ok(r.accuracy - defaultAcc < MARGIN, `still ${(r.accuracy - defaultAcc).toFixed(3)} above default without a persona`);
  });

  test('a hand-edited persona that states the trait plainly does at least as well', async () => {
    for (const u of sim.users) {
      const path = join(sim.ws, 'personas', `${u.id}.persona.yaml`);
      const m = parsePersona(readFileSync(path, 'utf8'), path);
      writeFileSync(path, serializePersona({ ...m, persona: u.traits.map((t) => `- ${PLAIN_TRAIT_STATEMENTS[t]}`).join('\n') }));
    }
    const r = await cli(sim.dir, ['eval', 'ws', '--method', 'persona+demos', ...base()]);
    console.log(`simulated test accuracy with hand-written personas: ${(100 * r.accuracy).toFixed(1)}%`);
    assert.ok(r.accuracy >= fittedAcc - 0.02, `hand-written ${r.accuracy} < fitted ${fittedAcc}`);
  });
});

describe('the pruned candidate search', () => {
  test('chooses exactly what scoring every candidate would choose, with fewer calls', async () => {
    const server = await startLoopbackOllama({ brain: adaptBrain(simulatedBrain()), models: ['llama3.1:8b'] });
    try {
      const sim = simulatedWorkspace(3);
      const index = await loadWorkspace([sim.ws]);
      const prompts = { bootstrap: await new PromptStore().get('bootstrap'), personaSynthesis: await new PromptStore().get('persona-synthesis'), judge: await new PromptStore().get('judge') };
      for (const user of index.users().slice(0, 3)) {
        const s = pairsBySplit(user);
        const fits = [];
        for (const exhaustive of [false, true]) {
          const llm = new CountingModel(createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' }, { noCache: true }));
          fits.push({ r: await fitUser(llm, user.id, s.context, s.validation, prompts, { ...DEFAULT_FIT_OPTIONS, exhaustive }), calls: llm.usage.calls });
        }
        const [pruned, full] = fits;
        assert.equal(pruned!.r.persona, full!.r.persona, user.id);
        assert.deepEqual(pruned!.r.demos.map((d) => d.pair.pairId), full!.r.demos.map((d) => d.pair.pairId), user.id);
        assert.equal(pruned!.r.selection.winner, full!.r.selection.winner);
        assert.ok(pruned!.calls <= full!.calls, `${user.id}: ${pruned!.calls} > ${full!.calls}`);
      }
    } finally {
      await server.close();
    }
  });
});
