// End to end on simulated users (TESTING.md section 2): SynthesizeMe must beat the default judge
// by a clear margin, the margin must vanish when the persona is left out of the prompt, a
// hand-written persona that states the hidden trait must do at least as well, and one that drops
// a trait must lose the pairs that trait decides. Then the same run with a broken judge prompt
// (no persona, no output format, no A/B labels, instructions that do not ask for this user's
// preference) must fail the check the intact prompt passes.
// This simulates a competent model; it does not measure one.

import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain, CONFUSIONS, type SimulatedBrain } from '../support/simulated-brain';
import { withBrokenPrompt, type PromptBreak } from '../support/prompt-breakers';
import { simulatedWorkspace } from '../support/sim-workspace';
import { IN_OTHER_WORDS } from '../support/hand-written-personas';
import { cli } from './revalidate-fixture';
import { parsePersona, serializePersona } from '../../src/core/method/persona-file';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { pairsBySplit } from '../../src/core/workspace/open-workspace';
import { PromptStore } from '../../src/core/method/prompt-store';
import { fitUser, DEFAULT_FIT_OPTIONS } from '../../src/core/method/fit';
import { createLlm } from '../../src/core/llm/client';
import { CountingModel } from '../../src/core/llm/counting-model';

async function cliJson(cwd: string, argv: string[]): Promise<any> {
  const c = cli(cwd);
  const code = await c.call(...argv, '--json');
  assert.equal(code, 0, c.err());
  return JSON.parse(c.out());
}

const MARGIN = 0.15;

/** Per pair, the orders' verdicts of an eval run (its run file, named in the --json output). */
function verdictsOf(cwd: string, run: string): Map<string, { preference: string | null; correct: boolean }[]> {
  const out = new Map<string, { preference: string | null; correct: boolean }[]>();
  for (const line of readFileSync(join(cwd, run), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as {
      type: string;
      pairId: string;
      orders: { preference: string | null; correct: boolean }[];
    };
    if (r.type === 'verdict') out.set(r.pairId, r.orders);
  }
  return out;
}

const noConfusion = (brain: SimulatedBrain) => CONFUSIONS.every((c) => brain.stats().confused[c] === 0);

describe('SynthesizeMe on simulated users', () => {
  let server: LoopbackServer;
  const sim = simulatedWorkspace(1);
  const base = (extra: string[] = []) => ['--all', '--base-url', server.url, ...extra];
  let defaultAcc = 0;
  let fittedAcc = 0;
  const brain = simulatedBrain();

  before(async () => {
    server = await startLoopbackOllama({ brain: adaptBrain(brain), models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('persona+demos beats default by a clear margin on the test split', async () => {
    const fit = await cliJson(sim.dir, ['fit', 'ws', ...base()]);
    assert.equal(fit.users.length, sim.users.length, JSON.stringify(fit.failed));
    const r = await cliJson(sim.dir, ['eval', 'ws', '--method', 'default,persona+demos', ...base()]);
    const [def, full] = r.results;
    defaultAcc = def.accuracy;
    fittedAcc = full.accuracy;
    console.log(
      `simulated test accuracy: default ${(100 * defaultAcc).toFixed(1)}%, persona+demos ${(100 * fittedAcc).toFixed(1)}% (${full.pairs} pairs)`,
    );
    assert.equal(def.pairs, full.pairs);
    assert.ok(fittedAcc - defaultAcc >= MARGIN, `margin ${(fittedAcc - defaultAcc).toFixed(3)} < ${MARGIN}`);
    const personas = readdirSync(join(sim.ws, 'personas'));
    assert.equal(personas.length, sim.users.length);
    // The engine's own prompts, as rendered for every call of the fit and the eval, left the brain
    // confused in none: no missing persona, format or labels, and instructions that ask for this user.
    assert.ok(brain.stats().byKind.judgment > 0 && brain.stats().byKind.persona === sim.users.length);
    assert.ok(noConfusion(brain), JSON.stringify(brain.stats().confused));
  });

  test('without the persona in the prompt the margin is gone (the check above can fail)', async () => {
    // Blank every persona: the `persona` method then judges with no personal information.
    for (const f of readdirSync(join(sim.ws, 'personas'))) {
      const path = join(sim.ws, 'personas', f);
      const m = parsePersona(readFileSync(path, 'utf8'), f);
      writeFileSync(path, serializePersona({ ...m, persona: '(nothing known)' }));
    }
    const r = await cliJson(sim.dir, ['eval', 'ws', '--method', 'persona', ...base()]);
    console.log(`simulated test accuracy with the persona left out: ${(100 * r.accuracy).toFixed(1)}%`);
    assert.ok(
      r.accuracy - defaultAcc < MARGIN,
      `still ${(r.accuracy - defaultAcc).toFixed(3)} above default without a persona`,
    );
  });

  test('a hand-edited persona that states the traits in its own words does at least as well', async () => {
    // Words of neither the brain's bank nor the generator: read for what they say.
    for (const u of sim.users) {
      const path = join(sim.ws, 'personas', `${u.id}.persona.yaml`);
      const m = parsePersona(readFileSync(path, 'utf8'), path);
      writeFileSync(
        path,
        serializePersona({ ...m, persona: u.traits.map((t) => `- ${IN_OTHER_WORDS[t][0]}`).join('\n') }),
      );
    }
    const r = await cliJson(sim.dir, ['eval', 'ws', '--method', 'persona+demos', ...base()]);
    console.log(`simulated test accuracy with hand-written personas: ${(100 * r.accuracy).toFixed(1)}%`);
    assert.ok(r.accuracy >= fittedAcc - 0.02, `hand-written ${r.accuracy} < fitted ${fittedAcc}`);
  });

  test('a hand-edited persona that drops one of two traits loses the pairs that trait decides', async () => {
    const write = (u: (typeof sim.users)[number], traits: readonly string[]) => {
      const path = join(sim.ws, 'personas', `${u.id}.persona.yaml`);
      const m = parsePersona(readFileSync(path, 'utf8'), path);
      writeFileSync(
        path,
        serializePersona({
          ...m,
          persona: traits.map((t) => `- ${IN_OTHER_WORDS[t as keyof typeof IN_OTHER_WORDS][1]}`).join('\n'),
        }),
      );
    };
    const twoTraits = sim.users.filter((u) => u.traits.length === 2);
    assert.ok(twoTraits.length >= 2);
    // Judged on test and validation: the personas here are written from the answer key, not fitted, so both
    // are held out; over test alone (9 pairs) what the judge guesses right without the trait is mostly chance.
    const judged = async () => {
      const runs = await Promise.all(
        ['test', 'validation'].map((split) =>
          cliJson(sim.dir, ['eval', 'ws', '--method', 'persona', '--split', split, ...base()]),
        ),
      );
      return new Map(runs.flatMap((r) => [...verdictsOf(sim.dir, r.run)]));
    };
    for (const u of twoTraits) write(u, u.traits);
    const before = await judged();
    for (const u of twoTraits) write(u, u.traits.slice(0, 1));
    const after = await judged();
    let samples = 0;
    let changed = 0;
    let rightBefore = 0;
    let rightAfter = 0;
    for (const u of twoTraits) {
      // The test pairs that the dropped trait decides (the answer key, kept out of the workspace's reading).
      for (const r of u.records.filter((x) => x.meta.trait === u.traits[1] && before.has(x.pair_id))) {
        const [b, a] = [before.get(r.pair_id)!, after.get(r.pair_id)!];
        for (let i = 0; i < 2; i++) {
          samples++;
          if (b[i]!.preference !== a[i]!.preference) changed++;
          if (b[i]!.correct) rightBefore++;
          if (a[i]!.correct) rightAfter++;
        }
      }
    }
    console.log(
      `simulated test and validation pairs decided by a dropped trait: ${rightBefore} of ${samples} right with it, ${rightAfter} without (${changed} verdicts changed)`,
    );
    assert.ok(samples >= 6, `${samples} samples`);
    assert.ok(changed >= samples / 4, `only ${changed} of ${samples} verdicts changed`);
    assert.ok(rightBefore - rightAfter >= samples / 4, `${rightBefore} -> ${rightAfter} of ${samples}`);
  });
});

describe('a broken judge prompt fails the end-to-end check that the intact one passes', () => {
  /** Fits and evaluates a fresh simulated workspace, with the brain seeing every prompt broken one way. */
  async function brokenRun(broken: PromptBreak | 'general-instructions', methods: string) {
    const brain = simulatedBrain();
    const server = await startLoopbackOllama({
      brain: adaptBrain(broken === 'general-instructions' ? brain : withBrokenPrompt(broken, brain)),
      models: ['llama3.1:8b'],
    });
    try {
      const sim = simulatedWorkspace(1);
      if (broken === 'general-instructions') {
        // A researcher's edit of the workspace's judge prompt: it no longer asks for THIS user's preference.
        mkdirSync(join(sim.ws, 'prompts'), { recursive: true });
        writeFileSync(
          join(sim.ws, 'prompts', 'judge.prompt.md'),
          'You compare two candidate replies of an AI assistant to a conversation, labelled A and B, and pick the better one:\nmore accurate, complete and clear. Do not favour a reply because of its position. Always pick A or B.\n',
        );
      }
      const base = ['--all', '--base-url', server.url];
      const fit = await cliJson(sim.dir, ['fit', 'ws', ...base]);
      assert.equal(fit.users.length, sim.users.length, JSON.stringify(fit.failed));
      const r = await cliJson(sim.dir, ['eval', 'ws', '--method', methods, ...base]);
      const [def, other] = r.results as { method: string; accuracy: number }[];
      console.log(
        `simulated test accuracy, ${broken}: ${def!.method} ${(100 * def!.accuracy).toFixed(1)}%, ${other!.method} ${(100 * other!.accuracy).toFixed(1)}%; confused ${JSON.stringify(brain.stats().confused)}`,
      );
      return { def: def!.accuracy, other: other!.accuracy, confused: brain.stats().confused };
    } finally {
      await server.close();
    }
  }

  test('without the output format the judge answers at random: persona+demos at chance', async () => {
    const r = await brokenRun('output-format', 'default,persona+demos');
    assert.ok(r.other >= 0.3 && r.other <= 0.7, `persona+demos ${r.other}`);
    assert.ok(r.other - r.def < MARGIN, `still ${(r.other - r.def).toFixed(3)} above default`);
    assert.ok(r.confused['no-format'] > 0);
  });

  test('without the A/B labels the judge cannot tell the replies apart: persona+demos at chance', async () => {
    const r = await brokenRun('ab-labels', 'default,persona+demos');
    assert.ok(r.other >= 0.3 && r.other <= 0.7, `persona+demos ${r.other}`);
    assert.ok(r.other - r.def < MARGIN, `still ${(r.other - r.def).toFixed(3)} above default`);
    assert.ok(r.confused['no-labels'] > 0);
  });

  test('with the persona section lost the persona judge is no better than the default one', async () => {
    const r = await brokenRun('persona-section', 'default,persona');
    assert.ok(r.other - r.def < MARGIN, `still ${(r.other - r.def).toFixed(3)} above default`);
    assert.ok(r.confused['no-persona'] > 0);
  });

  test('a judge prompt edited to ask for the better reply in general makes the personal information useless', async () => {
    const r = await brokenRun('general-instructions', 'default,persona+demos');
    assert.ok(r.other - r.def < MARGIN, `still ${(r.other - r.def).toFixed(3)} above default`);
    assert.ok(r.confused['not-personal'] > 0);
  });
});

describe('the pruned candidate search', () => {
  test('chooses exactly what scoring every candidate would choose, with fewer calls', async () => {
    const server = await startLoopbackOllama({ brain: adaptBrain(simulatedBrain()), models: ['llama3.1:8b'] });
    try {
      const sim = simulatedWorkspace(3);
      const index = await loadWorkspace([sim.ws]);
      const prompts = {
        bootstrap: await new PromptStore().get('bootstrap'),
        personaSynthesis: await new PromptStore().get('persona-synthesis'),
        judge: await new PromptStore().get('judge'),
      };
      for (const user of index.users().slice(0, 3)) {
        const s = pairsBySplit(user);
        const fits = [];
        for (const exhaustive of [false, true]) {
          const llm = new CountingModel(
            createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' }, { noCache: true }),
          );
          fits.push({
            r: await fitUser(llm, user.id, s.context, s.validation, prompts, { ...DEFAULT_FIT_OPTIONS, exhaustive }),
            calls: llm.usage.calls,
          });
        }
        const [pruned, full] = fits;
        assert.equal(pruned!.r.persona, full!.r.persona, user.id);
        assert.deepEqual(
          pruned!.r.demos.map((d) => d.pair.pairId),
          full!.r.demos.map((d) => d.pair.pairId),
          user.id,
        );
        assert.equal(pruned!.r.selection.winner, full!.r.selection.winner);
        assert.ok(pruned!.calls <= full!.calls, `${user.id}: ${pruned!.calls} > ${full!.calls}`);
      }
    } finally {
      await server.close();
    }
  });
});
