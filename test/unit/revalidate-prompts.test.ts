// synthesizeme revalidate on a prompt (issue 13, part 1): an edit is judged against its previous version on
// the same pairs; a brain that ignores instructions gives exactly 0, one that follows an instruction gives
// a positive difference with the flipped pairs listed; nothing is compared with itself.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest, Fault } from '../support/loopback-llm';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { readRun } from '../../src/core/eval/run-file';
import { cli, ignoringBrain, markerBrain, workspace, writePrompt } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';

describe('revalidate a prompt', () => {
  let server: LoopbackServer;
  let brain: (req: BrainRequest) => string = ignoringBrain;
  // Which calls fail with a 400 (not retried).
  let failing: ((req: BrainRequest) => boolean) | undefined;
  const started = startLoopbackOllama({
    models: ['llama3.1:8b'],
    brain: (req) => brain(req),
    faultFor: (req): Fault | undefined =>
      failing?.(req)
        ? { type: 'server-error', status: 400, message: 'invalid request: the planted failure' }
        : undefined,
  }).then((s) => (server = s));
  after(() => server?.close());

  test('a judge-prompt edit with a brain that ignores instructions: a difference of exactly 0 and no flipped pair', async () => {
    await started;
    brain = ignoringBrain;
    const { dir, ws } = workspace();
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\nBe strict about facts.');
    const c = cli(dir);
    assert.equal(await c.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--json'), 0, c.err());
    const r = c.json();
    assert.equal(r.target, 'judge');
    assert.equal(r.previous, 'default', 'a first edit is compared with the shipped default');
    assert.equal(r.difference, 0);
    // Not [0, 0]: unchanged pairs do not prove that no edit could change anything (issue 22).
    const [low, high] = r.ci95 as [number, number];
    assert.ok(low < 0 && high > 0, `ci95 ${low}..${high}`);
    assert.equal(r.p, 1);
    assert.deepEqual(r.flipped, []);
    assert.equal(r.users, 2);
    assert.ok((r.pairs as number) > 0);
    assert.deepEqual(
      r.methods,
      [{ method: 'default', users: ['ada', 'bruno'] }],
      'no persona files: the default judge, which uses the judge prompt',
    );
    assert.match(c.err(), /revalidate judge against default: about \d+ call\(s\)/, 'the estimate comes first');

    // A repeat is free: every answer comes from the cache, and the runs resume.
    const chats = server.stats.chat;
    const again = cli(dir);
    assert.equal(
      await again.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--json'),
      0,
      again.err(),
    );
    assert.equal(server.stats.chat, chats, 'no call reached the server');
    assert.equal(again.json().calls, 0);
    assert.match(again.err(), /about 0 call\(s\)/);
  });

  test('a judge-prompt edit that a brain follows: a positive difference, the flipped pairs listed, and the --json shape', async () => {
    await started;
    brain = markerBrain(MARKER);
    const { dir, ws } = workspace();
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\n' + MARKER);
    const calls0 = server.stats.chat;
    const dry = cli(dir);
    assert.equal(
      await dry.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--dry-run', '--json'),
      0,
      dry.err(),
    );
    const est = dry.json();
    assert.equal(est.previous, 'default');
    // Both versions, both orders, every validation pair of both users; nothing called.
    assert.equal(server.stats.chat, calls0);
    const c = cli(dir);
    assert.equal(
      await c.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--json', '--label', 'brevity'),
      0,
      c.err(),
    );
    const r = c.json();
    assert.equal(server.stats.chat - calls0, est.calls as number, 'the estimate was the number of calls made');
    for (const key of ['target', 'pairs', 'users', 'difference', 'ci95', 'p', 'flipped', 'previous'])
      assert.ok(key in r, `--json has "${key}"`);
    assert.equal(typeof r.target, 'string');
    assert.equal(typeof r.pairs, 'number');
    assert.equal(typeof r.users, 'number');
    assert.equal(typeof r.difference, 'number');
    assert.equal(typeof r.p, 'number');
    assert.equal(typeof r.previous, 'string');
    assert.ok(Array.isArray(r.ci95) && (r.ci95 as number[]).length === 2);
    assert.ok(Array.isArray(r.flipped));
    assert.ok((r.difference as number) > 0, `difference ${String(r.difference)}`);
    // Two users: the test's unit is the user (issue 22), and 2 users both improving give p = 2 / 2^2,
    // so the sentence cannot say "significant" for users in general, and the power note says why.
    assert.equal(r.p, 0.5);
    assert.match(
      r.sentence as string,
      /^\+\d+\.\d points .*: (borderline: the interval excludes 0 but p ≥ 0.05|not yet significant)$/,
    );
    assert.equal((r.perUser as unknown[]).length, 2);
    assert.deepEqual(r.outcomes, { improved: 2, hurt: 0, unchanged: 0 });
    assert.match(r.power as string, /with 2 users no difference can be significant/);

    const flipped = r.flipped as {
      pair: string;
      user: string;
      before: { AB: number; BA: number; score: number };
      after: { AB: number; BA: number; score: number };
    }[];
    assert.ok(flipped.length > 0);
    for (const f of flipped) {
      assert.deepEqual(Object.keys(f).sort(), ['after', 'before', 'pair', 'user']);
      assert.ok(['ada', 'bruno'].includes(f.user));
      assert.match(f.pair, new RegExp(`^${f.user}-\\d+$`));
      assert.deepEqual(f.after, { AB: 1, BA: 1, score: 1 }, 'with the marker every order is right');
      assert.ok(f.before.score < 1);
    }
    // The flipped pairs are exactly those the blind answer got wrong in some order, read from the runs.
    const runs = r.runs as { previous: string[]; current: string[] };
    const before = await readRun(join(dir, runs.previous[0]!));
    const wrong = [...before.verdicts.values()]
      .filter((v) => v.orders.some((o) => !o.correct))
      .map((v) => v.pairId)
      .sort();
    assert.deepEqual(flipped.map((f) => f.pair).sort(), wrong);
    assert.equal(before.header?.label, 'brevity');
    assert.notEqual(
      before.header?.inputs.judge,
      (await readRun(join(dir, runs.current[0]!))).header?.inputs.judge,
      'the two runs were made with different judge prompts',
    );

    // The text judged is kept as a version: the next edit is compared with it, not with the default.
    const history = join(ws, '.synthesizeme', 'history', 'prompts', 'judge');
    assert.deepEqual(
      readdirSync(history).map((n) => readFileSync(join(history, n), 'utf8')),
      [DEFAULT_PROMPTS.judge + '\n\n' + MARKER],
    );
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\n' + MARKER + '\nAlso: be kind.');
    const next = cli(dir);
    assert.equal(
      await next.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--json'),
      0,
      next.err(),
    );
    assert.equal(next.json().previous, readdirSync(history)[0], 'the version id is the history file name');
    assert.equal(next.json().difference, 0);

    // The human-readable report says the same.
    const text = cli(dir);
    assert.equal(await text.run('revalidate', 'ws', 'judge', '--user', 'ada', '--base-url', server.url), 0, text.err());
    assert.match(text.out(), /judge on validation: current vs previous \(.+\.prompt\.md\): 0\.0 points/);
  });

  test('an unedited prompt is compared with nothing: exit 0, a message, no call', async () => {
    await started;
    brain = ignoringBrain;
    const { dir } = workspace();
    const before = server.stats.chat;
    const c = cli(dir);
    assert.equal(await c.run('revalidate', 'ws', 'judge', '--all', '--base-url', server.url, '--json'), 0, c.err());
    const r = c.json();
    assert.equal(r.previous, null);
    assert.equal(r.difference, null);
    assert.equal(r.pairs, 0);
    assert.deepEqual(r.flipped, []);
    assert.match(r.message as string, /shipped default.*nothing to compare/);
    assert.equal(server.stats.chat, before, 'nothing was judged');
    const text = cli(dir);
    assert.equal(await text.run('revalidate', 'ws', 'memory', '--all', '--base-url', server.url), 0, text.err());
    assert.match(
      text.out(),
      /memory: the prompt is the shipped default, and no other version exists: nothing to compare/,
    );
    // Not with its own kept version either.
    const { dir: d2, ws: ws2 } = workspace();
    writePrompt(ws2, 'judge', DEFAULT_PROMPTS.judge + '\nEdited.');
    assert.equal(await cli(d2).run('revalidate', 'ws', 'judge', '--user', 'ada', '--base-url', server.url), 0);
    const same = cli(d2);
    writePrompt(ws2, 'judge', DEFAULT_PROMPTS.judge + '\nEdited.');
    assert.equal(
      await same.run('revalidate', 'ws', 'judge', '--user', 'ada', '--base-url', server.url, '--json'),
      0,
      same.err(),
    );
    assert.equal(
      same.json().previous,
      'default',
      'the edit is still compared with the default, never with its own version',
    );
  });

  test('failed calls: exit 1, "incomplete"', async () => {
    await started;
    const { dir, ws } = workspace();
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\n' + MARKER);
    brain = markerBrain(MARKER);
    // The current version's calls on one pair in three fail.
    failing = (req) =>
      req.messages[0]!.content.includes(MARKER) &&
      /Question \d*[036] from ada/.test(req.messages[req.messages.length - 1]!.content);
    try {
      const c = cli(dir);
      assert.equal(
        await c.run(
          'revalidate',
          'ws',
          'judge',
          '--user',
          'ada',
          '--base-url',
          server.url,
          '--json',
          '--split',
          'test',
        ),
        1,
        c.err(),
      );
      assert.match(
        c.err(),
        /The re-validation is incomplete: \d+ judge call\(s\) failed .*planted failure.*Run the same command again/,
      );
      const r = c.json();
      assert.equal(r.complete, false);
      assert.ok((r.failed as { pairs: number }).pairs > 0);
      // Run again once the server answers: the missing pairs are judged, and the result is complete.
      failing = undefined;
      const again = cli(dir);
      assert.equal(
        await again.run(
          'revalidate',
          'ws',
          'judge',
          '--user',
          'ada',
          '--base-url',
          server.url,
          '--json',
          '--split',
          'test',
        ),
        0,
        again.err(),
      );
      assert.equal(again.json().complete, true);
      assert.ok((again.json().pairs as number) > (r.pairs as number));
    } finally {
      failing = undefined;
      brain = ignoringBrain;
    }
  });

  test('usage errors: a prompt that cannot be re-validated, a bad split', async () => {
    await started;
    const { dir } = workspace();
    const c = cli(dir);
    assert.equal(await c.run('revalidate', 'ws', 'bootstrap', '--all', '--base-url', server.url), 2);
    assert.match(c.err(), /bootstrap prompt cannot be re-validated/);
    assert.equal(await c.run('revalidate', 'ws', 'judge', '--all', '--split', 'context'), 2);
  });
});
