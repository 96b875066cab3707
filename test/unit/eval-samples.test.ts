// Issue 24 item 2 end to end through the CLI: `eval --samples k` against the loopback servers. Each order is asked k
// times, each time with its own seed (a server samples the same answer for the same seed); the estimate counts k
// requests per order and the cache answers every sample of a re-run; a failed sample leaves the run incomplete and
// the same command resumes it. `--table` prints both rows with their intervals, the sample consistency and the paired
// difference from persona+demos.
//
// The brain answers right except for the sample whose seed is 1 mod 3: of the three seeds s, s+1, s+2 of an order
// exactly one, so every order's samples agree 2 of 3 and the majority (or the mean sums) is right. The rubric judge is
// wrong on every sample of the pairs whose index is 0 mod 4 (then 1 of 3 right, the majority wrong): its accuracy is
// below persona+demos's, and the paired difference says by how much.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { BrainRequest, LoopbackServer } from '../support/loopback-llm';
import { cli, workspace } from './revalidate-fixture';
import { readRun } from '../../src/core/eval/run-file';
import { SAMPLING_TEMPERATURE } from '../../src/core/method/samples';

const MODEL = 'llama3.1:8b';
const props = (req: BrainRequest) => (req.schema?.properties ?? {}) as Record<string, unknown>;
const isRubric = (req: BrainRequest) => 'criteria' in props(req);
const isJudgment = (req: BrainRequest) => 'preference' in props(req);
const lastUser = (req: BrainRequest) => req.messages.at(-1)!.content;
const indexOf = (req: BrainRequest) => Number(/Reply \w+-(\d+):/.exec(lastUser(req))?.[1] ?? -1);
/** The fixture's chosen reply is the short one. */
const chosenIsA = (req: BrainRequest) =>
  (/<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(lastUser(req))?.[1] ?? '').includes('short and to');
/** Which seeds a judge call of an eval sees wrong: exactly one of an order's three samples. */
const offSeed = (req: BrainRequest) => (req.seed ?? 0) % 3 === 1;

function sampledBrain(req: BrainRequest): string {
  const truth = chosenIsA(req) ? 'A' : 'B';
  const other = truth === 'A' ? 'B' : 'A';
  if (isRubric(req)) {
    const right = (indexOf(req) % 4 !== 0) !== offSeed(req);
    const [hi, lo] = right ? [truth, other] : [other, truth];
    const criteria = [
      { name: 'brevity', weight: 2 },
      { name: 'clarity', weight: 1 },
    ];
    return JSON.stringify({ persona: 'Wants it short.', criteria, scores: { [hi]: [9, 8], [lo]: [3, 6] } });
  }
  if (isJudgment(req)) return JSON.stringify({ reasoning: 'shorter', preference: offSeed(req) ? other : truth });
  if ('persona' in props(req)) return JSON.stringify({ reasoning: 'common ground', persona: 'Likes short replies.' });
  return JSON.stringify({ facts: ['Asks how to do things.'] });
}

type Result = {
  method: string;
  accuracy: number;
  pairs: number;
  complete: boolean;
  run: string;
  samplesPerOrder?: number;
  temperature?: number;
  sampleConsistency?: number;
  failed: { calls: number; pairs: number };
};

for (const protocol of ['ollama', 'openai'] as const) {
  describe(`eval --samples k (${protocol} loopback)`, () => {
    let server: LoopbackServer;
    const { dir } = workspace();
    const eval3 = (...extra: string[]) => [
      'eval',
      'ws',
      '--all',
      '--method',
      'rubric,persona+demos',
      '--samples',
      '3',
      ...extra,
      '--base-url',
      server.url,
      '--model',
      MODEL,
      ...(protocol === 'openai' ? ['--provider', 'openai'] : []),
    ];

    before(async () => {
      const start = protocol === 'ollama' ? startLoopbackOllama : startLoopbackOpenAI;
      server = await start({ brain: sampledBrain, models: [MODEL] });
      const c = cli(dir);
      const model = [
        '--base-url',
        server.url,
        '--model',
        MODEL,
        ...(protocol === 'openai' ? ['--provider', 'openai'] : []),
      ];
      assert.equal(await c.run('fit', 'ws', '--all', ...model), 0, c.err());
    });
    after(() => server?.close());

    test('the dry run counts 3 requests per order', async () => {
      const one = cli(dir);
      assert.equal(await one.run(...eval3('--dry-run', '--json').map((a) => (a === '3' ? '1' : a))), 0, one.err());
      const three = cli(dir);
      assert.equal(await three.run(...eval3('--dry-run', '--json')), 0, three.err());
      const [e1, e3] = [one.json(), three.json()] as { calls: number; cachedCalls: number }[];
      assert.ok(e1!.calls > 0);
      assert.equal(e3!.calls + e3!.cachedCalls, 3 * (e1!.calls + e1!.cachedCalls));
    });

    test('--table prints both rows with intervals, the sample consistency and the paired difference', async () => {
      server.reset();
      const c = cli(dir);
      assert.equal(await c.run(...eval3('--table')), 0, c.err());
      const out = c.out();
      console.log(`[${protocol}] eval --method rubric,persona+demos --samples 3 --table:\n${out}`);
      const lines = out.split('\n');
      assert.match(lines[0]!, /\| accuracy \(95% CI\) \|.*\| sample consistency \|$/);
      const row = (m: string) => lines.find((l) => l.startsWith(`| ${m} |`)) ?? '';
      // 2 users x 30 pairs, the test split of each: enough pairs for an accuracy ± its half interval.
      assert.match(
        row('rubric'),
        /^\| rubric \| llama3\.1:8b \| test \| \d+\.\d\d% ± \d+\.\d\d \|.*\| 66\.67% of 3 \|$/,
      );
      // Two users: the interval is over users (a t interval on 2 clusters), wide even at 100%.
      assert.match(row('persona+demos'), /^\| persona\+demos \| .* \| 100\.00% ± \d+\.\d\d \|.*\| 66\.67% of 3 \|$/);
      assert.match(
        out,
        /\npaired difference rubric - persona\+demos over \d+ pairs, interval and test over 2 users: -\d+\.\d points \(95% CI -?\d+\.\d to -?\d+\.\d, p = [\d.]+\): \w/,
      );
      // Every judge call of the run was one of three samples, each with its own seed, at the sampling temperature.
      const judged = server.chats.filter((ch) => isRubric(ch.request) || isJudgment(ch.request));
      assert.ok(judged.length > 0 && judged.length % 3 === 0, `${judged.length} judge calls`);
      const seeds = new Map<string, number[]>();
      for (const ch of judged) {
        assert.equal(ch.request.temperature, SAMPLING_TEMPERATURE);
        const key = JSON.stringify(ch.request.messages);
        seeds.set(key, [...(seeds.get(key) ?? []), ch.request.seed!]);
      }
      for (const s of seeds.values()) {
        const sorted = s.sort((a, b) => a - b);
        assert.deepEqual(sorted, [sorted[0]!, sorted[0]! + 1, sorted[0]! + 2]);
      }
    });

    test('the header records the samples and the temperature; the figures their consistency; re-runs cost 0 calls', async () => {
      const c = cli(dir);
      assert.equal(await c.run(...eval3('--json')), 0, c.err());
      const body = c.json() as { results: Result[]; calls: number };
      assert.equal(body.calls, 0, 'the finished run is reused');
      for (const r of body.results) {
        assert.equal(r.samplesPerOrder, 3);
        assert.equal(r.temperature, SAMPLING_TEMPERATURE);
        assert.ok(Math.abs(r.sampleConsistency! - 2 / 3) < 1e-12, `${r.sampleConsistency}`);
        const run = await readRun(join(dir, r.run));
        assert.equal(run.header?.samples, 3);
        assert.equal(run.header?.temperature, SAMPLING_TEMPERATURE);
        assert.ok(Math.abs(run.summary!.sampleConsistency! - 2 / 3) < 1e-12);
        for (const v of run.verdicts.values()) for (const o of v.orders) assert.equal(o.samples?.length, 3);
      }
      // A new run (another label: another run file) finds every sample in the response cache.
      const again = cli(dir);
      assert.equal(await again.run(...eval3('--json', '--label', 'again')), 0, again.err());
      const fresh = again.json() as { results: Result[]; calls: number; cacheHits: number };
      assert.equal(fresh.calls, 0, 'every sample comes from the cache');
      assert.ok(fresh.cacheHits > 0);
      assert.notEqual(fresh.results[0]!.run, body.results[0]!.run);
      const est = cli(dir);
      assert.equal(await est.run(...eval3('--dry-run', '--json', '--label', 'third')), 0, est.err());
      assert.equal((est.json() as { calls: number }).calls, 0, 'the estimate counts the cached samples as cached');
      // One sample per order is another run (its own file), not the sampled one resumed.
      const single = cli(dir);
      assert.equal(await single.run(...eval3('--json').map((a) => (a === '3' ? '1' : a))), 0, single.err());
      const one = single.json() as { results: Result[] };
      assert.notEqual(one.results[0]!.run, body.results[0]!.run);
      assert.equal(one.results[0]!.samplesPerOrder, undefined);
      assert.equal(one.results[0]!.sampleConsistency, undefined);
    });
  });
}

describe('eval --samples: a failed sample, and the option checked', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({ brain: sampledBrain, models: [MODEL] });
  });
  after(() => server?.close());

  test('a failed sample leaves the run incomplete; the same command judges only the failed samples again', async () => {
    const { dir } = workspace();
    const args = ['eval', 'ws', '--all', '--method', 'rubric', '--samples', '3', '--json', '--base-url', server.url];
    // The third sample of every order of the pairs whose index is 0 mod 5 fails, whatever the retries.
    server.options.faultFor = (req) =>
      isRubric(req) && indexOf(req) % 5 === 0 && (req.seed ?? 0) % 3 === 2
        ? { type: 'server-error', status: 500 }
        : undefined;
    let failedOrders: number;
    try {
      const c = cli(dir);
      assert.equal(await c.run(...args, '--model', MODEL), 1, 'an incomplete run fails the command');
      const r = c.json() as unknown as Result;
      assert.equal(r.complete, false);
      assert.ok(r.failed.pairs > 0 && r.pairs > 0, JSON.stringify(r.failed));
      assert.match(c.err(), /samples failed: .*Run the same command again/s);
      failedOrders = r.failed.calls;
    } finally {
      delete server.options.faultFor;
    }
    const again = cli(dir);
    assert.equal(await again.run(...args, '--model', MODEL), 0, again.err());
    const r = again.json() as unknown as Result & { calls: number };
    assert.equal(r.complete, true);
    assert.equal(r.calls, failedOrders, 'only the failed samples are asked again; the others come from the cache');
  });

  test('--samples must be a whole number from 1 to 32', async () => {
    const { dir } = workspace();
    for (const bad of ['0', '33', '2.5', 'many']) {
      const c = cli(dir);
      const code = await c.run('eval', 'ws', '--all', '--method', 'rubric', '--samples', bad, '--base-url', server.url);
      assert.equal(code, 2, `--samples ${bad}: ${c.err()}`);
      assert.match(c.err(), /--samples: expected an integer/);
    }
  });
});
