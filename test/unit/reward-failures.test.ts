// How the `reward-model` methods fail (issue 24, item 4): bad or missing options stop before any call; a server
// without the route, a model without a one-label classification head, a conversation longer than the server's
// --max-model-len and a model the server does not serve end the run with what to do; a 500 is a failed call that
// leaves the run incomplete, and the same run then scores only what is missing.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startLoopbackVllm } from '../support/loopback-openai';
import { cli, workspace } from './revalidate-fixture';
import { CHAT, evalCli, fitBrain, RM, type Server } from './reward-fixture';
import { createLlm } from '../../src/core/llm/client';
import { createRewardModel } from '../../src/core/llm/reward-client';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace/open-workspace';
import { prepareEval, runEval } from '../../src/core/eval/eval-job';
import { readRun } from '../../src/core/eval/run-file';

describe('reward-model: options checked before any call', () => {
  let server: Server;
  const { dir } = workspace();
  before(async () => {
    server = await startLoopbackVllm({ models: [CHAT, RM], brain: fitBrain, vllm: { version: '0.11.0' } });
  });
  after(() => server?.close());

  test('a reward method without --reward-model is bad input (exit 2), said before anything is called', async () => {
    const { code, c } = await evalCli(dir, server, '--method', 'reward-model');
    assert.equal(code, 2, c.err());
    assert.match(c.err(), /reward-model: no reward model to score with: .*--reward-model NAME/);
    assert.equal(server.vllm.scored.length + server.stats.chat, 0);
  });

  test('with an Ollama chat server and no --reward-base-url: the reward model needs an OpenAI-compatible (vLLM) server', async () => {
    const c = cli(dir);
    const code = await c.run(
      'eval',
      'ws',
      '--all',
      '--method',
      'reward-model',
      '--reward-model',
      RM,
      '--provider',
      'ollama',
      '--base-url',
      'http://127.0.0.1:9',
    );
    assert.equal(code, 2, c.err());
    assert.match(c.err(), /needs an OpenAI-compatible \(vLLM\) server: Ollama serves no \/classify.*--reward-base-url/);
  });

  test('--reward-endpoint and --reward-base-url are checked', async () => {
    const bad = await evalCli(
      dir,
      server,
      '--method',
      'reward-model',
      '--reward-model',
      RM,
      '--reward-endpoint',
      'score',
    );
    assert.equal(bad.code, 2);
    assert.match(bad.c.err(), /--reward-endpoint: expected classify or pooling, got "score"/);
    const url = await evalCli(
      dir,
      server,
      '--method',
      'reward-model',
      '--reward-model',
      RM,
      '--reward-base-url',
      'file:///x',
    );
    assert.equal(url.code, 2);
    assert.match(url.c.err(), /--reward-base-url: "file:\/\/\/x" is not an http or https server address/);
  });
});

describe('reward-model: servers and models that cannot score', () => {
  let server: Server;
  const { dir } = workspace();
  before(async () => {
    server = await startLoopbackVllm({ models: [CHAT, RM], brain: fitBrain, vllm: { version: '0.11.0' } });
  });
  after(() => server?.close());

  const run = (...extra: string[]) => evalCli(dir, server, '--method', 'reward-model', '--reward-model', RM, ...extra);

  test('/classify 404 (a server without the pooling runner): the run stops, saying how to serve a reward model', async () => {
    server.vllm.reward = { task: 'generate' };
    const { code, c } = await run();
    assert.equal(code, 1, c.err());
    assert.match(c.err(), /The server has no \/classify endpoint \(404 at http:\/\/127\.0\.0\.1:\d+\/classify\)/);
    assert.match(
      c.err(),
      /vllm serve MODEL --runner pooling; docs\/reward-model\.md\), or pass --reward-endpoint pooling/,
    );
    assert.doesNotMatch(c.err(), /INCOMPLETE|Run the same command again to judge/);
  });

  test('a model without a classification head: 400 from an older server, 404 from a newer one, no single value from /pooling', async () => {
    server.vllm.reward = { task: 'embed', routesAlways: true };
    const old = await run();
    assert.equal(old.code, 1);
    assert.match(
      old.c.err(),
      /cannot score a response: it has no classification head \(the server said "The model does not support Classification API"\)/,
    );
    server.vllm.reward = { task: 'embed' };
    const newer = await run();
    assert.equal(newer.code, 1);
    assert.match(newer.c.err(), /has no \/classify endpoint/);
    const pooled = await run('--reward-endpoint', 'pooling');
    assert.equal(pooled.code, 1);
    assert.match(pooled.c.err(), /gave no single score: 8 values for one response: a reward model gives one/);
  });

  test('a classifier with two labels is no reward model: the run stops', async () => {
    server.vllm.reward = { task: 'classify', numLabels: 2 };
    const { code, c } = await run();
    assert.equal(code, 1);
    assert.match(c.err(), /gave no single score: 2 values for one response/);
  });

  test('a conversation longer than --max-model-len: a 400 that stops the run, naming the server option', async () => {
    server.vllm.reward = { task: 'classify', maxModelLen: 20 };
    const { code, c } = await run();
    assert.equal(code, 1);
    assert.match(c.err(), /too long for .*vLLM --max-model-len.*maximum context length is 20 tokens/s);
  });

  test('a reward model the server does not serve: a 404 naming the reward model', async () => {
    server.vllm.reward = { task: 'classify' };
    const c = cli(dir);
    const code = await c.run(
      ...['eval', 'ws', '--all', '--method', 'reward-model', '--reward-model', 'no-such-rm'],
      ...['--provider', 'openai', '--base-url', server.url, '--model', CHAT],
    );
    assert.equal(code, 1);
    assert.match(
      c.err(),
      /does not serve the reward model "no-such-rm" \(404: The model `no-such-rm` does not exist\.\)/,
    );
  });
});

describe('reward-model: a 500 is a failed call, and the run resumes', () => {
  let server: Server;
  let failing: string | undefined;
  const { ws } = workspace();
  before(async () => {
    server = await startLoopbackVllm({
      models: [CHAT, RM],
      vllm: { version: '0.11.0' },
      reward: {
        task: 'classify',
        failFor: (_i, messages) =>
          failing && String(messages.at(-1)!.content).includes(failing) ? { status: 500 } : undefined,
      },
    });
  });
  after(() => server?.close());

  test('incomplete with the failed pair left out; the same run then scores only that pair', async () => {
    const w = await openWorkspace(ws);
    const chat = createLlm(
      { provider: 'openai', baseUrls: [server.url], model: CHAT },
      { cacheDir: w.layout.cacheDir },
    );
    // Retries as the engine makes them, with the waits shrunk.
    const reward = createRewardModel(
      { baseUrl: server.url, model: RM },
      { cacheDir: w.layout.cacheDir, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    );
    const inputs = {
      layout: w.layout,
      prompts: w.prompts,
      users: w.index.users().filter((u) => u.id === 'ada'),
      methods: ['reward-model' as const],
      split: 'test' as const,
      model: chat,
      reward,
      temperature: 0,
      seed: w.split.seed,
    };
    try {
      const ada = inputs.users[0]!;
      const target = pairsBySplit(ada).test[0]!.pairId;
      const all = pairsBySplit(ada).test.length;
      // One pair's replies fail on the server (after the engine's retries).
      failing = `Reply ${target}:`;
      const broken = (await runEval(await prepareEval(inputs))).results[0]!;
      assert.equal(broken.complete, false);
      assert.equal(broken.failed.pairs, 1);
      assert.equal(broken.pairs, all - 1, 'the failed pair is not in the figures');
      assert.match(broken.failed.reasons[0]!.message, /500/);
      const file = await readRun(broken.run);
      assert.equal(file.verdicts.has(`ada\u0000${target}`), false, 'no verdict for the failed pair');

      failing = undefined;
      server.vllm.scored.length = 0;
      const resumed = (await runEval(await prepareEval(inputs))).results[0]!;
      assert.equal(resumed.complete, true);
      assert.equal(resumed.pairs, all);
      assert.equal(resumed.resumed, all - 1);
      assert.equal(server.vllm.scored.length, 2, "only the missing pair's two replies were scored");
      assert.ok(server.vllm.scored.every((s) => String(s.messages.at(-1)!.content).includes(`Reply ${target}:`)));
    } finally {
      await reward.dispose();
      await chat.dispose();
    }
  });
});
