// synthesizeme runs (issue 13, part 2): every run knows what made it (its prompts' and personas' hashes,
// the model and its digest, a label), and the list says which runs are stale (made with a prompt or a
// persona that has changed since) and which are incomplete (calls failed).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest, Fault } from '../support/loopback-llm';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { readRun } from '../../src/core/eval/run-file';
import { cli, ignoringBrain, workspace, writePrompt } from './revalidate-fixture';

interface Listed {
  path: string;
  method: string;
  model: string;
  modelDigest: string | null;
  split: string;
  created: string;
  label: string | null;
  accuracy: number | null;
  status: string;
  complete: boolean;
  stale: boolean;
  staleBecause: string[];
}

const DIGEST = 'sha256:' + 'ab12'.repeat(16);

describe('synthesizeme runs', () => {
  let server: LoopbackServer;
  let failing: ((req: BrainRequest) => boolean) | undefined;
  const started = startLoopbackOllama({
    models: ['llama3.1:8b'],
    digests: { 'llama3.1:8b': DIGEST },
    brain: ignoringBrain,
    faultFor: (req): Fault | undefined =>
      failing?.(req)
        ? { type: 'server-error', status: 400, message: 'invalid request: the planted failure' }
        : undefined,
  }).then((s) => (server = s));
  after(() => server?.close());

  const list = async (dir: string): Promise<Listed[]> => {
    const c = cli(dir);
    assert.equal(await c.run('runs', 'ws', '--json'), 0, c.err());
    return (c.json() as { runs: Listed[] }).runs;
  };

  test('lists runs with method, model and digest, split, date, accuracy and label; a judge-prompt edit makes them stale', async () => {
    await started;
    const { dir, ws } = workspace();
    const empty = cli(dir);
    assert.equal(await empty.run('runs', 'ws'), 0, empty.err());
    assert.match(empty.out(), /No runs in ws yet/);

    const e = cli(dir);
    assert.equal(
      await e.run(
        'eval',
        'ws',
        '--all',
        '--method',
        'default',
        '--base-url',
        server.url,
        '--label',
        'baseline',
        '--json',
      ),
      0,
      e.err(),
    );
    const header = (await readRun(join(dir, e.json().run as string))).header!;
    assert.equal(header.label, 'baseline');
    assert.equal(header.modelDigest, DIGEST, 'the header records the digest the server named');
    assert.ok(header.inputs.judge, "and the judge prompt's hash");

    let runs = await list(dir);
    assert.equal(runs.length, 1);
    const [r] = runs as [Listed];
    assert.equal(r.method, 'default');
    assert.equal(r.model, 'llama3.1:8b');
    assert.equal(r.modelDigest, DIGEST);
    assert.equal(r.split, 'test');
    assert.equal(r.label, 'baseline');
    assert.equal(typeof r.accuracy, 'number');
    assert.ok(!Number.isNaN(Date.parse(r.created)));
    assert.equal(r.status, 'complete');
    assert.equal(r.stale, false);
    assert.equal(r.path, e.json().run);

    // Another label is another run (the cache makes it free).
    const calls = server.stats.chat;
    const l2 = cli(dir);
    assert.equal(
      await l2.run(
        'eval',
        'ws',
        '--all',
        '--method',
        'default',
        '--base-url',
        server.url,
        '--label',
        'again',
        '--json',
      ),
      0,
      l2.err(),
    );
    assert.equal(server.stats.chat, calls);
    assert.deepEqual((await list(dir)).map((x) => x.label).sort(), ['again', 'baseline']);

    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\nA new rule.');
    runs = await list(dir);
    assert.ok(
      runs.every((x) => x.stale && x.staleBecause.join() === 'judge prompt changed'),
      JSON.stringify(runs),
    );
    const text = cli(dir);
    assert.equal(await text.run('runs', 'ws'), 0, text.err());
    assert.match(text.out(), /baseline\s+complete\s+stale: judge prompt changed/);
    // Back to the text the runs were made with: no longer stale.
    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge);
    assert.ok((await list(dir)).every((x) => !x.stale));
  });

  test('a run after a failed call is incomplete; an edited persona makes its runs stale', async () => {
    await started;
    const { dir, ws } = workspace();
    failing = (req) =>
      /Question \d*[05] from ada/.test(req.messages[req.messages.length - 1]!.content) &&
      req.messages[0]!.content.includes(DEFAULT_PROMPTS.judge.slice(0, 40));
    try {
      const e = cli(dir);
      assert.equal(
        await e.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url, '--json'),
        1,
        e.err(),
      );
    } finally {
      failing = undefined;
    }
    let runs = await list(dir);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'incomplete');
    assert.equal(runs[0]!.complete, false);
    const text = cli(dir);
    await text.run('runs', 'ws');
    assert.match(text.out(), /incomplete/);

    const fit = cli(dir);
    assert.equal(await fit.run('fit', 'ws', '--user', 'ada', '--k', '2', '--base-url', server.url), 0, fit.err());
    const e2 = cli(dir);
    assert.equal(
      await e2.run(
        'eval',
        'ws',
        '--user',
        'ada',
        '--method',
        'persona+demos',
        '--base-url',
        server.url,
        '--label',
        'fitted',
        '--json',
      ),
      0,
      e2.err(),
    );
    const path = join(ws, 'personas', 'ada.persona.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('Likes answers of any kind.', 'Likes short answers.'));
    runs = await list(dir);
    const fitted = runs.find((x) => x.label === 'fitted')!;
    assert.equal(fitted.status, 'complete');
    assert.deepEqual(fitted.staleBecause, ['persona of ada changed']);
    assert.equal(runs.find((x) => x.method === 'default')!.stale, false, 'a default run uses no persona');
  });

  test('usage: a missing folder', async () => {
    const c = cli(process.cwd());
    assert.equal(await c.run('runs', 'no/such/folder'), 2);
    assert.match(c.err(), /no such folder/);
  });
});
