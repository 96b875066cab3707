// Every method on the same simulated panel (issue 24): default, SynthesizeMe (persona+demos), rubric scoring with and
// without the fitted persona, rubric with test-time sampling, persona+demos reading the nearest user (similar users), and a served reward model with and without the persona,
// through the CLI against one loopback vLLM server (the chat model and, on /classify, a reward model). It proves the
// plumbing: each method completes on the same test pairs, calls and tokens per judged pair come from the server's
// usage, and each method's figures are printed. The accuracies are a SIMULATION (the simulated judge reads the
// prompts it is sent; the reward model scores noise plus words shared with the persona), never a measurement.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startLoopbackVllm, type LoopbackServer } from '../support/loopback-openai';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';

const CHAT = 'llama3.1:8b';
const RM = 'Skywork/Skywork-Reward-V2-Llama-3.1-8B';

interface Usage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}
interface EvalJson {
  accuracy: number;
  ci95: [number, number];
  pairs: number;
  complete: boolean;
  usage: Usage;
  rewardUsage?: Usage;
}

const RUNS: { label: string; args: string[]; callsPerPair: number; scored?: true }[] = [
  { label: 'default', args: ['--method', 'default'], callsPerPair: 2 },
  { label: 'persona+demos', args: ['--method', 'persona+demos'], callsPerPair: 2 },
  { label: 'rubric', args: ['--method', 'rubric'], callsPerPair: 2 },
  { label: 'rubric+persona', args: ['--method', 'rubric+persona'], callsPerPair: 2 },
  { label: 'rubric --samples 3', args: ['--method', 'rubric', '--samples', '3'], callsPerPair: 6 },
  // Similar users: the judge calls of persona+demos (their prompts also hold the nearest user's persona), plus one
  // embedding per user, counted apart (embedUsage) and not per pair.
  {
    label: 'persona+demos --similar-users 1',
    args: ['--method', 'persona+demos', '--similar-users', '1', '--embed-model', CHAT],
    callsPerPair: 2,
  },
  { label: 'reward-model', args: ['--method', 'reward-model', '--reward-model', RM], callsPerPair: 2, scored: true },
  {
    label: 'reward-model+persona',
    args: ['--method', 'reward-model+persona', '--reward-model', RM],
    callsPerPair: 2,
    scored: true,
  },
];

describe('every method on one simulated panel (a simulation: plumbing and cost, not accuracy)', () => {
  let server: LoopbackServer;
  const sim = simulatedWorkspace(1);
  const model = () => ['--all', '--provider', 'openai', '--base-url', server.url, '--model', CHAT];

  before(async () => {
    server = await startLoopbackVllm({
      models: [CHAT, RM],
      brain: adaptBrain(simulatedBrain()),
      vllm: { version: '0.11.0' },
      reward: { task: 'classify' },
    });
    const fit = cli(sim.dir);
    assert.equal(await fit.call('fit', 'ws', ...model(), '--json'), 0, fit.err());
  });
  after(() => server?.close());

  test('each method completes on the same test pairs; calls and tokens per pair from the server usage', async () => {
    const rows: { label: string; r: EvalJson; calls: number; prompt: number; completion: number }[] = [];
    for (const run of RUNS) {
      const c = cli(sim.dir);
      assert.equal(await c.call('eval', 'ws', ...run.args, ...model(), '--no-cache', '--json'), 0, c.err());
      const r = JSON.parse(c.out()) as EvalJson;
      assert.ok(r.complete, `${run.label}: complete`);
      // A reward method's calls are the reward model's; the chat model is not called for them.
      const u = run.scored ? r.rewardUsage! : r.usage;
      assert.ok(u, `${run.label}: usage`);
      rows.push({ label: run.label, r, calls: u.calls, prompt: u.promptTokens, completion: u.completionTokens });
    }
    const pairs = rows[0]!.r.pairs;
    assert.ok(pairs >= 20, `${pairs} test pairs`);
    for (const { label, r, calls, prompt, completion } of rows) {
      const run = RUNS.find((x) => x.label === label)!;
      assert.equal(r.pairs, pairs, `${label}: the same test pairs as default`);
      assert.equal(calls, run.callsPerPair * pairs, `${label}: ${run.callsPerPair} calls per judged pair`);
      assert.ok(prompt > 0, `${label}: prompt tokens counted from the server's usage`);
      // A score is one forward pass: no completion tokens. A judge writes its verdict (a rubric: criteria and scores).
      if (run.scored) assert.equal(completion, 0, label);
      else assert.ok(completion > 0, label);
      const ci = `${(100 * r.ci95[0]).toFixed(1)} to ${(100 * r.ci95[1]).toFixed(1)}`;
      console.log(
        `simulated panel (a simulation, not a measurement): ${label}: accuracy ${(100 * r.accuracy).toFixed(1)}% ` +
          `(95% CI ${ci}) over ${r.pairs} pairs; per judged pair ${(calls / pairs).toFixed(1)} calls, ` +
          `${(prompt / pairs).toFixed(0)} prompt + ${(completion / pairs).toFixed(0)} completion tokens (server usage)`,
      );
    }
  });
});
