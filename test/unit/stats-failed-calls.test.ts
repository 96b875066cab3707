// A failed call is not a wrong answer (statistics issue, point 1): a server error leaves the pair out,
// the run is incomplete (exit 1, the reasons said), a re-run judges exactly the missing pairs; an answer
// that names neither A nor B is counted wrong and reported as unparseable.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest, Fault } from '../support/loopback-llm';
import { cli } from './revalidate-fixture';
import { readRun } from '../../src/core/eval/run-file';
import { smallSampleNote, comparisonPowerNote, rateText } from '../../src/core/eval/sample-size';

const lastUser = (req: BrainRequest) => req.messages[req.messages.length - 1]?.content ?? '';

describe('failed calls and unparseable answers', () => {
  let server: LoopbackServer;
  // Which pair's calls fail (a 400 is not retried) and which pair gets an answer without A or B.
  let failing: string | undefined;
  let vague: string | undefined;
  const started = startLoopbackOllama({
    models: ['llama3.1:8b'],
    brain: (req) =>
      vague && lastUser(req).includes(vague)
        ? 'Both responses have merit; I cannot decide.'
        : JSON.stringify({ reasoning: 'short wins', preference: 'A' }),
    faultFor: (req): Fault | undefined =>
      failing && lastUser(req).includes(failing)
        ? { type: 'server-error', status: 400, message: 'invalid request: the planted failure' }
        : undefined,
  }).then((s) => (server = s));
  after(() => server?.close());

  test('a server error is recorded as failed, never as a verdict: exit 1, the run incomplete, and a re-run judges exactly the missing pair', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-failed-'));
    cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
    // The first test pair of ada: its text marks the calls that fail.
    const ada = readFileSync(join(dir, 'ws', 'ada.prefs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pair_id: string; chosen: string });
    const before = server.stats.chat;
    // Find a test pair: run once without faults in a copy to learn the test split.
    const copy = mkdtempSync(join(tmpdir(), 'sm-failed-copy-'));
    cpSync('examples/workspace', join(copy, 'ws'), { recursive: true });
    const learn = cli(copy);
    assert.equal(
      await learn.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url, '--json'),
      0,
      learn.err(),
    );
    const judged = [...(await readRun(join(copy, JSON.parse(learn.out()).run as string))).verdicts.values()];
    const target = ada.find((p) => p.pair_id === judged[0]!.pairId)!;
    const pairs = judged.length;

    failing = target.chosen.slice(0, 40);
    const a = cli(dir);
    assert.equal(
      await a.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url, '--json'),
      1,
      a.err(),
    );
    const r = JSON.parse(a.out()) as {
      complete: boolean;
      pairs: number;
      failed: { calls: number; pairs: number; reasons: { message: string }[] };
      run: string;
    };
    assert.equal(r.complete, false);
    assert.equal(r.failed.pairs, 1);
    assert.equal(r.failed.calls, 2, 'both orders of the pair failed');
    assert.equal(r.pairs, pairs - 1, 'the failed pair is not in the figures');
    assert.match(r.failed.reasons[0]!.message, /planted failure/);
    assert.match(a.err(), /2 call\(s\) failed for 1 pair\(s\).*The run is incomplete.*Run the same command again/s);
    const run = await readRun(join(dir, r.run));
    assert.equal(run.verdicts.has(`ada\u0000${target.pair_id}`), false, 'no verdict was written for the failed pair');
    assert.equal(run.summary?.complete, false);
    assert.ok(server.stats.chat > before);

    failing = undefined;
    const calls = server.stats.chat;
    const b = cli(dir);
    assert.equal(
      await b.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url, '--json'),
      0,
      b.err(),
    );
    const again = JSON.parse(b.out()) as { complete: boolean; pairs: number };
    assert.equal(server.stats.chat - calls, 2, 'exactly the two missing samples were judged');
    assert.equal(again.complete, true);
    assert.equal(again.pairs, pairs);
  });

  test('an answer that names neither A nor B counts as wrong and is reported as unparseable, with its rate', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-vague-'));
    cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
    const first = cli(dir);
    assert.equal(
      await first.run('eval', 'ws', '--user', 'bruno', '--method', 'default', '--base-url', server.url, '--json'),
      0,
      first.err(),
    );
    const run = await readRun(join(dir, JSON.parse(first.out()).run as string));
    const victim = [...run.verdicts.values()][0]!;
    const bruno = JSON.parse(readFileSync(join(dir, 'ws', 'bruno.prefs.json'), 'utf8')) as {
      pair_id: string;
      chosen: string;
    }[];
    vague = bruno.find((p) => p.pair_id === victim.pairId)!.chosen.slice(0, 40);
    try {
      const dir2 = mkdtempSync(join(tmpdir(), 'sm-vague2-'));
      cpSync('examples/workspace', join(dir2, 'ws'), { recursive: true });
      const c = cli(dir2);
      assert.equal(
        await c.run(
          'eval',
          'ws',
          '--user',
          'bruno',
          '--method',
          'default',
          '--base-url',
          server.url,
          '--json',
          '--no-cache',
        ),
        0,
        c.err(),
      );
      const r = JSON.parse(c.out()) as {
        complete: boolean;
        samples: number;
        unparseable: { samples: number; rate: number };
      };
      assert.equal(r.complete, true, 'an answer was given: the run is complete');
      assert.equal(r.unparseable.samples, 2);
      assert.equal(r.unparseable.rate, 2 / r.samples);
      const text = cli(dir2);
      await text.run('eval', 'ws', '--user', 'bruno', '--method', 'default', '--base-url', server.url, '--no-cache');
      assert.match(text.out(), new RegExp(`unparseable answers 2 of ${r.samples}`));
    } finally {
      vague = undefined;
    }
  });

  test('small samples say so: 0 pairs is no "NaN%", 1 pair is no bare "100% ± 0", 3 pairs cannot show any difference', () => {
    assert.equal(rateText(Number.NaN), 'n/a');
    assert.match(smallSampleNote(0) ?? '', /no pairs were judged/);
    assert.match(smallSampleNote(1) ?? '', /only 1 pair\(s\).*0%, 50% or 100%/);
    assert.equal(smallSampleNote(25), undefined);
    assert.equal(
      comparisonPowerNote(3, 'validation'),
      'with 3 validation pair(s) no difference can be significant: evaluate on more pairs or the test split',
    );
    assert.match(comparisonPowerNote(30, 'test'), /no difference below 10\.0 points can be significant/);
  });
});
