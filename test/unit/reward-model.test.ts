// The `reward-model` and `reward-model+persona` methods (issue 24, item 4), end to end through the CLI against
// the loopback vLLM server, which serves the chat model and, on `/classify` and `/pooling`, a reward model whose
// score is the loopback's brain (loopback-reward.ts: noise, plus a point per word shared with the persona). A
// simulation of a reward model, not a measurement of one.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLoopbackVllm } from '../support/loopback-openai';
import { cli, workspace } from './revalidate-fixture';
import { CHAT, evalCli, fitBrain, PERSONA, type Result, RM, type Server, TEST_PAIRS } from './reward-fixture';
import { readRun } from '../../src/core/eval/run-file';
import { readSettings } from '../../src/core/workspace/settings-table';

describe('reward-model end to end (vLLM loopback, /classify)', () => {
  let server: Server;
  const { dir } = workspace();
  const methods = ['--method', 'reward-model,reward-model+persona', '--reward-model', RM];

  before(async () => {
    server = await startLoopbackVllm({
      models: [CHAT, RM],
      brain: fitBrain,
      vllm: { version: '0.11.0' },
      reward: { task: 'classify' },
    });
    const c = cli(dir);
    const fit = await c.run('fit', 'ws', '--all', '--provider', 'openai', '--base-url', server.url, '--model', CHAT);
    assert.equal(fit, 0, c.err());
  });
  after(() => server?.close());

  test('the dry run counts two reward calls per pair and method, and calls nothing', async () => {
    const chats = server.stats.chat;
    const { code, c } = await evalCli(dir, server, ...methods, '--dry-run', '--json');
    assert.equal(code, 0, c.err());
    const est = c.json() as { calls: number; cachedCalls: number; promptTokens: number };
    // Both methods, two replies per test pair.
    assert.equal(est.calls + est.cachedCalls, 2 * TEST_PAIRS * 2);
    assert.ok(est.promptTokens > 0);
    assert.equal(server.vllm.scored.length, 0);
    assert.equal(server.stats.chat, chats, 'no chat call either');
  });

  test('both methods complete: run files of pointwise verdicts, the score margin with its interval, ties said', async () => {
    server.vllm.scored.length = 0;
    const chats = server.stats.chat;
    const { code, c } = await evalCli(dir, server, ...methods, '--json');
    assert.equal(code, 0, c.err());
    const out = c.json() as { results: Result[]; rewardUsage: { calls: number }; usage: { calls: number } };
    assert.equal(out.results.length, 2);
    assert.equal(server.stats.chat, chats, 'the chat model judged nothing');
    assert.equal(out.usage.calls, 0);
    assert.equal(out.rewardUsage.calls, 2 * TEST_PAIRS * 2, 'two scores per pair and method');
    for (const r of out.results) {
      assert.equal(r.complete, true);
      assert.equal(r.model, RM);
      assert.equal(r.pointwise, true);
      assert.equal(r.consistency, null, 'order does not apply: no consistency');
      assert.equal(r.pairs, TEST_PAIRS);
      assert.equal(r.ties, 0);
      const m = r.margin!;
      assert.ok(m.ci95[0] <= m.mean && m.mean <= m.ci95[1], JSON.stringify(m));
      const run = await readRun(join(dir, r.run));
      assert.equal(run.header?.model, RM);
      assert.deepEqual(run.header?.reward, { endpoint: 'classify' });
      assert.equal(run.verdicts.size, TEST_PAIRS);
      for (const v of run.verdicts.values()) {
        const [ab, ba] = v.orders;
        assert.ok(ab.pointwise && ba.pointwise, 'both orders marked pointwise');
        assert.equal(ab.correct, ba.correct, 'one outcome in both orders');
        assert.equal(ab.reward!.margin, ab.reward!.chosen - ab.reward!.rejected);
      }
    }
    const [plain, withPersona] = out.results;
    // The persona names what the chosen replies share: the scorer that reads it prefers them.
    assert.ok(withPersona!.accuracy > plain!.accuracy, `${withPersona!.accuracy} vs ${plain!.accuracy}`);
    assert.ok(withPersona!.margin!.mean > plain!.margin!.mean);
    // vLLM's chat form of /classify, the raw logit asked for; the persona is the system message of +persona only.
    for (const s of server.vllm.scored) {
      assert.equal(s.path, '/classify');
      assert.equal(s.body['use_activation'], false);
      assert.equal(s.messages.at(-1)!.role, 'assistant');
    }
    const systems = server.vllm.scored.filter((s) => s.messages[0]!.role === 'system');
    assert.equal(systems.length, 2 * TEST_PAIRS);
    assert.ok(systems.every((s) => s.messages[0]!.content === PERSONA));
  });

  test('the same command resumes its runs (no call); a new run reads every score from the cache', async () => {
    server.vllm.scored.length = 0;
    const again = await evalCli(dir, server, ...methods, '--json');
    assert.equal(again.code, 0, again.c.err());
    assert.equal(server.vllm.scored.length, 0);
    const fresh = await evalCli(dir, server, ...methods, '--json', '--label', 'from-cache');
    assert.equal(fresh.code, 0, fresh.c.err());
    const out = fresh.c.json() as { rewardUsage: { calls: number; cacheHits: number } };
    assert.equal(server.vllm.scored.length, 0, 'no request reached the server');
    assert.equal(out.rewardUsage.calls, 0);
    assert.equal(out.rewardUsage.cacheHits, 2 * TEST_PAIRS * 2);
  });

  test('--table: the rows, and the margin said beside the table (consistency n/a)', async () => {
    const { code, c } = await evalCli(dir, server, ...methods, '--table');
    assert.equal(code, 0, c.err());
    const rows = c
      .out()
      .split('\n')
      .filter((l) => /^\| reward-model/.test(l));
    assert.equal(rows.length, 2, c.out());
    assert.match(rows[0]!, /\| n\/a \|/);
    assert.match(
      c.err(),
      /note: reward-model: pointwise scores: order does not apply .*score margin -?\d+\.\d+ \[-?\d/,
    );
    // The same runs again: resumed from their files, so the reward model is not called.
    assert.match(c.err(), /; reward model: 0 call\(s\), 0 from cache, 0 request\(s\)\n/);
  });

  test('calls and prompt tokens per judged pair: reward-model against persona+demos (loopback usage)', async () => {
    const figures: string[] = [];
    for (const method of ['reward-model', 'reward-model+persona', 'persona+demos']) {
      const { code, c } = await evalCli(
        dir,
        server,
        '--method',
        method,
        '--reward-model',
        RM,
        '--json',
        '--no-cache',
        '--label',
        'usage',
      );
      assert.equal(code, 0, c.err());
      const j = c.json() as Result & { usage: { calls: number; promptTokens: number }; rewardUsage?: typeof j.usage };
      const u = method.startsWith('reward') ? j.rewardUsage! : j.usage;
      assert.ok(u.calls > 0);
      figures.push(
        `${method}: ${(u.calls / j.pairs).toFixed(1)} calls, ${(u.promptTokens / j.pairs).toFixed(0)} prompt tokens per pair`,
      );
    }
    console.log(`[reward-model usage, loopback vLLM] ${figures.join('; ')}`);
  });
});

describe('reward-model: ties, and /pooling', () => {
  let server: Server;
  const { dir } = workspace();

  before(async () => {
    server = await startLoopbackVllm({
      models: [CHAT, RM],
      brain: fitBrain,
      vllm: { version: '0.11.0' },
      // Pairs whose number ends in 0 (ada-0, ada-10, ...) get the same score for both replies.
      reward: {
        task: 'classify',
        scorer: (m) => (/-\d*0:/.test(String(m.at(-1)!.content)) ? 0.25 : String(m.at(-1)!.content).length / -100),
      },
    });
  });
  after(() => server?.close());

  test('equal scores are ties: counted wrong, and counted apart', async () => {
    const { code, c } = await evalCli(dir, server, '--method', 'reward-model', '--reward-model', RM, '--json');
    assert.equal(code, 0, c.err());
    const r = c.json() as Result;
    const run = await readRun(join(dir, r.run));
    const tied = [...run.verdicts.values()].filter((v) => /-\d*0$/.test(v.pairId));
    assert.ok(tied.length > 0, 'the split has a pair whose number ends in 0');
    assert.equal(r.ties, tied.length);
    for (const v of tied)
      assert.ok(v.orders.every((o) => o.noDecision === 'tie' && !o.correct && o.preference === null));
    // Every other pair: the shorter (chosen) reply scores higher.
    assert.equal(r.accuracy, (r.pairs - tied.length) / r.pairs);
    const text = await evalCli(dir, server, '--method', 'reward-model', '--reward-model', RM);
    assert.match(text.c.out(), new RegExp(`${tied.length} tie\\(s\\) of ${r.pairs} pairs, counted wrong`));
  });

  test('--reward-endpoint pooling scores through /pooling (a token reward model: the last token)', async () => {
    server.vllm.reward = { task: 'token-reward' };
    server.vllm.scored.length = 0;
    const { code, c } = await evalCli(
      dir,
      server,
      '--method',
      'reward-model',
      '--reward-model',
      RM,
      '--reward-endpoint',
      'pooling',
      '--json',
    );
    assert.equal(code, 0, c.err());
    const r = c.json() as Result;
    assert.equal(r.complete, true);
    assert.ok(server.vllm.scored.length > 0 && server.vllm.scored.every((s) => s.path === '/pooling'));
    assert.deepEqual((await readRun(join(dir, r.run))).header?.reward, { endpoint: 'pooling' });
  });
});

describe('reward-model: settings and bench run', () => {
  test('synthesizeme.reward.*: the model and route from any workspace, the server only from a trusted one (it gets the key)', () => {
    const values: Record<string, unknown> = {
      'synthesizeme.reward.model': RM,
      'synthesizeme.reward.baseUrl': 'http://gpu-host:8000',
      'synthesizeme.reward.endpoint': 'pooling',
    };
    const lookup = (id: string) => ({ workspace: values[id] });
    const untrusted = readSettings(lookup, false);
    assert.equal(untrusted.settings.rewardModel, RM);
    assert.equal(untrusted.settings.rewardEndpoint, 'pooling');
    assert.equal(untrusted.settings.rewardBaseUrl, undefined);
    assert.ok(
      untrusted.ignored.some((l) => l.startsWith('synthesizeme.reward.baseUrl')),
      untrusted.ignored.join('\n'),
    );
    assert.equal(readSettings(lookup, true).settings.rewardBaseUrl, 'http://gpu-host:8000');
    // The user's own setting counts anywhere; a value that is no server address is refused.
    assert.equal(
      readSettings(() => ({ user: 'http://gpu-host:8000' }), false).settings.rewardBaseUrl,
      'http://gpu-host:8000',
    );
    assert.equal(readSettings(() => ({ user: 'file:///etc' }), true).settings.rewardBaseUrl, undefined);
  });

  test('bench run --methods default,reward-model: the reward model scores its row, and its calls are counted there', async () => {
    const server = await startLoopbackVllm({
      models: [CHAT, RM],
      brain: fitBrain,
      vllm: { version: '0.11.0' },
      reward: { task: 'classify' },
    });
    try {
      const { dir } = workspace();
      const c = cli(dir);
      const code = await c.run(
        ...['bench', 'run', 'ws', '--methods', 'default,reward-model', '--reward-model', RM, '--json'],
        ...['--provider', 'openai', '--base-url', server.url, '--model', CHAT],
      );
      assert.equal(code, 0, c.err());
      const out = c.json() as {
        cells: { method: string; scorer?: string; calls: number; pairs: number }[];
        markdown: string;
      };
      const cell = out.cells.find((x) => x.method === 'reward-model')!;
      assert.equal(cell.scorer, RM);
      assert.equal(cell.calls, 2 * cell.pairs);
      assert.equal(server.vllm.scored.length, 2 * cell.pairs);
      assert.match(
        out.markdown,
        new RegExp(`\\| reward-model \\| ${CHAT} \\(scored by ${RM.replace(/[.]/g, '\\.')}\\)`),
      );
    } finally {
      await server.close();
    }
  });
});
