// Issue 4's benchmark: LLM calls per fitted user against the reference's cost
// (about 2 x n_context + 25 x n_validation + 1), at equal or better simulated accuracy,
// and a warm re-fit from the cache with 0 calls.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { simulatedWorkspace } from '../support/sim-workspace';
import { runCli } from '../../src/cli/main';
import type { CommandIO } from '../../src/cli/command';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { pairsBySplit } from '../../src/core/workspace/open-workspace';
import { PromptStore } from '../../src/core/method/prompt-store';
import { fitUser, DEFAULT_FIT_OPTIONS } from '../../src/core/method/fit';
import { createLlm } from '../../src/core/llm/client';
import { CountingModel } from '../../src/core/llm/counting-model';

async function cli(cwd: string, argv: string[]): Promise<any> {
  const out: string[] = [];
  const io: CommandIO = {
    stdout: (t) => void out.push(t),
    stderr: () => undefined,
    isTTY: false,
    cwd,
    signal: new AbortController().signal,
    env: {},
  };
  const code = await runCli([...argv, '--json'], io);
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}`);
  return JSON.parse(out.join(''));
}

/** The smoke run fits only these users of the simulated panel (their files alone stay in the workspace). */
const SMOKE_USERS = ['sim-ana', 'sim-ben'];

export async function benchEngine(opts: { smoke?: boolean } = {}): Promise<void> {
  const server = await startLoopbackOllama({ brain: adaptBrain(simulatedBrain()), models: ['llama3.1:8b'] });
  const sim = simulatedWorkspace(7);
  try {
    if (opts.smoke) {
      for (const u of sim.users) if (!SMOKE_USERS.includes(u.id)) rmSync(join(sim.ws, `${u.id}.prefs.jsonl`));
    }
    const index = await loadWorkspace([sim.ws]);
    const t0 = performance.now();
    const fit = await cli(sim.dir, ['fit', 'ws', '--all', '--base-url', server.url]);
    const fitMs = performance.now() - t0;
    let ours = 0;
    let reference = 0;
    // The same search scoring every candidate on every validation pair (the reference's way),
    // measured: it picks the same personas and demos (test/unit/method-e2e.test.ts shows it).
    const prompts = {
      bootstrap: await new PromptStore().get('bootstrap'),
      personaSynthesis: await new PromptStore().get('persona-synthesis'),
      judge: await new PromptStore().get('judge'),
    };
    let exhaustiveTotal = 0;
    console.log('engine: user         context  validation  calls  all-candidates  reference  ratio');
    for (const r of fit.users as { user: string; calls: number }[]) {
      const s = pairsBySplit(index.user(r.user)!);
      const ref = 2 * s.context.length + 25 * s.validation.length + 1;
      const counted = new CountingModel(
        createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' }, { noCache: true }),
      );
      await fitUser(counted, r.user, s.context, s.validation, prompts, { ...DEFAULT_FIT_OPTIONS, exhaustive: true });
      exhaustiveTotal += counted.usage.calls;
      ours += r.calls;
      reference += ref;
      console.log(
        `engine: ${r.user.padEnd(12)} ${String(s.context.length).padStart(7)} ${String(s.validation.length).padStart(11)} ${String(r.calls).padStart(6)} ${String(counted.usage.calls).padStart(15)} ${String(ref).padStart(10)} ${(r.calls / ref).toFixed(2).padStart(6)}`,
      );
    }
    console.log(
      `engine: ${fit.users.length} users fitted in ${(fitMs / 1000).toFixed(1)} s: ${ours} calls vs the reference formula's ${reference} = ${(ours / reference).toFixed(2)} (goal <= 0.5); scoring every candidate took ${exhaustiveTotal} calls for the same result (${(ours / exhaustiveTotal).toFixed(2)})`,
    );
    // With a stop score no candidate reaches, every candidate competes: this is where pruning pays.
    let prunedHard = 0;
    let fullHard = 0;
    for (const r of fit.users as { user: string }[]) {
      const s = pairsBySplit(index.user(r.user)!);
      for (const exhaustive of [false, true]) {
        const counted = new CountingModel(
          createLlm({ provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b' }, { noCache: true }),
        );
        await fitUser(counted, r.user, s.context, s.validation, prompts, {
          ...DEFAULT_FIT_OPTIONS,
          stopScore: 1.01,
          exhaustive,
        });
        if (exhaustive) fullHard += counted.usage.calls;
        else prunedHard += counted.usage.calls;
      }
    }
    console.log(
      `engine: with an unreachable stop score: pruned search ${prunedHard} calls, every candidate scored ${fullHard} calls (${(prunedHard / fullHard).toFixed(2)}), reference formula ${reference}`,
    );
    const ev = await cli(sim.dir, [
      'eval',
      'ws',
      '--all',
      '--method',
      'default,persona+demos',
      '--base-url',
      server.url,
    ]);
    const [def, full] = ev.results;
    console.log(
      `engine: simulated test accuracy default ${(100 * def.accuracy).toFixed(1)}%, persona+demos ${(100 * full.accuracy).toFixed(1)}% over ${full.pairs} pairs`,
    );
    const t1 = performance.now();
    const warm = await cli(sim.dir, ['fit', 'ws', '--all', '--base-url', server.url]);
    console.log(
      `engine: warm re-fit from the cache: ${warm.calls} calls (goal 0), ${warm.cacheHits} cache hits, ${((performance.now() - t1) / 1000).toFixed(2)} s`,
    );
  } finally {
    await server.close();
    rmSync(sim.dir, { recursive: true, force: true });
  }
}
