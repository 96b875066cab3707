// synthesizeme revalidate on a persona file and on Θ (issue 13, part 1): a hand edit of a persona is
// compared with the fitted version from history, at the very first edit; an edit of Θ re-synthesizes each
// user's persona from the first stage the fit left in the cache, and writes no persona file.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { readRun } from '../../src/core/eval/run-file';
import { cli, markerBrain, workspace, writePrompt } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';
const THETA_MARKER = 'WRITE-THE-MARKER';

describe('revalidate a persona file and Θ', () => {
  let server: LoopbackServer;
  const seen: BrainRequest[] = [];
  const brain = markerBrain(MARKER, THETA_MARKER);
  const started = startLoopbackOllama({
    models: ['llama3.1:8b'],
    brain: (req) => {
      seen.push(req);
      return brain(req);
    },
  }).then((s) => (server = s));
  after(() => server?.close());

  test('a persona edit is compared with the fitted version from history, at the very first edit', async () => {
    await started;
    const { dir, ws } = workspace();
    const fit = cli(dir);
    assert.equal(await fit.run('fit', 'ws', '--user', 'ada', '--k', '2', '--base-url', server.url), 0, fit.err());
    const path = join(ws, 'personas', 'ada.persona.yaml');
    const history = join(ws, '.synthesizeme', 'history', 'ada');
    const fitted = readdirSync(history);
    assert.equal(fitted.length, 1, 'the fit kept its version');

    // Unedited: the only other version is the fitted one, which is the same text.
    const none = cli(dir);
    assert.equal(
      await none.run('revalidate', 'ws', 'ws/personas/ada.persona.yaml', '--base-url', server.url, '--json'),
      0,
      none.err(),
    );
    assert.equal(none.json().previous, null);
    assert.match(
      none.json().message as string,
      /no earlier version of this persona differs from it.*nothing to compare/,
    );

    // The first edit, saved as an editor saves it (no history written).
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('This user wants it short.', `This user wants it short. ${MARKER}`));
    // Named alone, from the folder above it, the persona file is re-validated in the workspace it lies in
    // (the current folder used to be taken, found no earlier version and gained a .synthesizeme of its own).
    const alone = cli(dir);
    assert.equal(
      await alone.run('revalidate', 'ws/personas/ada.persona.yaml', '--base-url', server.url, '--json'),
      0,
      alone.err(),
    );
    assert.equal(alone.json().previous, fitted[0], 'compared with the fitted version from its own workspace');
    assert.equal(existsSync(join(dir, '.synthesizeme')), false, 'nothing written in the current folder');
    const c = cli(dir);
    assert.equal(
      await c.run('revalidate', 'ws', 'ws/personas/ada.persona.yaml', '--base-url', server.url, '--json'),
      0,
      c.err(),
    );
    const r = c.json();
    assert.equal(r.target, join('ws', 'personas', 'ada.persona.yaml'));
    assert.equal(r.previous, fitted[0], 'compared with the fitted version');
    assert.deepEqual(r.methods, [{ method: 'persona+demos', users: ['ada'] }]);
    assert.equal(r.users, 1);
    assert.ok((r.difference as number) > 0, `difference ${String(r.difference)}`);
    assert.ok((r.flipped as unknown[]).length > 0);
    assert.ok((r.flipped as { user: string }[]).every((f) => f.user === 'ada'));
    const runs = r.runs as { previous: string[]; current: string[] };
    const [before, now] = await Promise.all([
      readRun(join(dir, runs.previous[0]!)),
      readRun(join(dir, runs.current[0]!)),
    ]);
    assert.notEqual(
      before.header?.inputs['persona:ada'],
      now.header?.inputs['persona:ada'],
      'each run records the persona it was made with',
    );
    assert.equal(
      readFileSync(path, 'utf8'),
      text.replace('This user wants it short.', `This user wants it short. ${MARKER}`),
      'the persona file is not rewritten',
    );
    // The edited text is now a version too; a repeat still compares with the fitted one, from the cache.
    assert.equal(readdirSync(history).length, 2);
    const calls = server.stats.chat;
    const again = cli(dir);
    assert.equal(
      await again.run(
        'revalidate',
        'ws',
        'ws/personas/ada.persona.yaml',
        '--user',
        'ada',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      again.err(),
    );
    assert.equal(again.json().previous, fitted[0]);
    // Without a workspace argument, the workspace is the current folder.
    const repeat = cli(join(dir, 'ws'));
    assert.equal(
      await repeat.run('revalidate', 'personas/ada.persona.yaml', '--base-url', server.url, '--json'),
      0,
      repeat.err(),
    );
    assert.equal(repeat.json().previous, fitted[0]);
    assert.equal(repeat.json().difference, r.difference);
    assert.equal(server.stats.chat, calls, 'a repeat is free');

    const wrongUser = cli(dir);
    assert.equal(
      await wrongUser.run(
        'revalidate',
        'ws',
        'ws/personas/ada.persona.yaml',
        '--user',
        'bruno',
        '--base-url',
        server.url,
      ),
      2,
    );
    assert.match(wrongUser.err(), /persona of "ada"/);
  });

  test('Θ: personas re-synthesized from the cached first stage, persona+demos with both, no persona file written', async () => {
    await started;
    const { dir, ws } = workspace();
    writePrompt(
      ws,
      'persona-synthesis',
      `${DEFAULT_PROMPTS['persona-synthesis']}\n\nEnd every persona with the words ${THETA_MARKER}.`,
    );
    // Before any fit, the first stage would make calls: the estimate is an upper bound.
    const cold = cli(dir);
    assert.equal(
      await cold.run('revalidate', 'ws', 'persona-synthesis', '--all', '--base-url', server.url, '--dry-run', '--json'),
      0,
      cold.err(),
    );
    assert.equal(cold.json().upperBound, true);
    writePrompt(ws, 'persona-synthesis', DEFAULT_PROMPTS['persona-synthesis']);
    const fit = cli(dir);
    assert.equal(await fit.run('fit', 'ws', '--all', '--k', '2', '--base-url', server.url), 0, fit.err());
    const personas = ['ada', 'bruno'].map((u) => readFileSync(join(ws, 'personas', `${u}.persona.yaml`), 'utf8'));
    writePrompt(
      ws,
      'persona-synthesis',
      `${DEFAULT_PROMPTS['persona-synthesis']}\n\nEnd every persona with the words ${THETA_MARKER}.`,
    );

    const dry = cli(dir);
    assert.equal(
      await dry.run('revalidate', 'ws', 'persona-synthesis', '--all', '--base-url', server.url, '--dry-run', '--json'),
      0,
      dry.err(),
    );
    const est = dry.json();
    assert.equal(est.upperBound, false, 'the first stage replays from the cache: the estimate is exact');

    const from = seen.length;
    const calls = server.stats.chat;
    const c = cli(dir);
    assert.equal(
      await c.run('revalidate', 'ws', 'persona-synthesis', '--all', '--base-url', server.url, '--json'),
      0,
      c.err(),
    );
    const r = c.json();
    assert.equal(r.target, 'persona-synthesis');
    assert.equal(r.previous, 'default');
    assert.deepEqual(r.methods, [{ method: 'persona+demos', users: ['ada', 'bruno'] }]);
    assert.equal(r.users, 2);
    assert.ok((r.difference as number) > 0, `difference ${String(r.difference)}`);
    assert.equal(server.stats.chat - calls, est.calls, 'the estimate was exact');
    const made = seen.slice(from);
    // No bootstrap and no first selection: every judge call carries a persona, and only the new Θ synthesized one.
    const judged = made.filter((q) => 'preference' in ((q.schema?.properties ?? {}) as object));
    assert.ok(judged.length > 0);
    assert.ok(
      judged.every((q) => q.messages[0]!.content.includes('What is known about this user')),
      'the first stage came from the cache',
    );
    const synthesized = made.filter((q) => 'persona' in ((q.schema?.properties ?? {}) as object));
    assert.equal(synthesized.length, 2, 'one persona per user with the new Θ; the old one was cached by the fit');
    assert.ok(synthesized.every((q) => q.messages[0]!.content.includes(THETA_MARKER)));
    assert.deepEqual(
      ['ada', 'bruno'].map((u) => readFileSync(join(ws, 'personas', `${u}.persona.yaml`), 'utf8')),
      personas,
      'no persona file was written',
    );
    const runs = r.runs as { previous: string[]; current: string[] };
    const header = (await readRun(join(dir, runs.current[0]!))).header!;
    assert.equal(header.method, 'persona+demos');
    assert.ok(header.inputs['persona-synthesis'] && header.inputs['synthesized-persona:ada']);
  });
});
