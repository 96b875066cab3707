// --file, --out and files named on the command line are the user's choice (issue 20, medium: "--file and
// --out chosen on the command line are allowed, as the trust model says"). The read guard refuses what a
// workspace planted; a path the user typed outside the workspace is read or written there. Inside the
// workspace, a typed path is still under the workspace's rules (a link out of it stays refused).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { ignoringBrain } from './revalidate-fixture';
import { hostile, personaText, runIn } from './reliability-reads-fixture';

describe('paths chosen on the command line', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  const run = (dir: string, ...args: string[]) => runIn(dir, args);

  test('judge --persona FILE outside the workspace: read, the pair judged (exit 0)', async () => {
    await started;
    const h = hostile();
    const persona = join(h.outside, 'ada.persona.yaml');
    writeFileSync(persona, personaText('ada', 'Prefers short answers.'));
    const r = await run(
      h.dir,
      'judge',
      'ws/prefs.jsonl',
      '--line',
      '1',
      '--persona',
      persona,
      '--base-url',
      server.url,
    );
    assert.equal(r.code, 0, r.err);
  });

  test('revalidate FILE.persona.yaml outside the workspace: read (nothing to compare yet, exit 0)', async () => {
    await started;
    const h = hostile();
    const persona = join(h.outside, 'ada.persona.yaml');
    writeFileSync(persona, personaText('ada', 'Prefers short answers.'));
    const r = await run(h.dir, 'revalidate', 'ws', persona, '--base-url', server.url);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out + r.err, /nothing to compare/);
  });

  test('compare and compare --grid with run files copied outside the workspace: read (exit 0)', async () => {
    await started;
    const h = hostile();
    const runs: string[] = [];
    for (const method of ['default', 'memory']) {
      const e = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', method, '--base-url', server.url, '--json');
      assert.equal(e.code, 0, e.err);
      const copy = join(h.outside, basename(JSON.parse(e.out).run as string));
      cpSync(join(h.dir, JSON.parse(e.out).run as string), copy);
      runs.push(copy);
    }
    const c = await run(h.dir, 'compare', runs[0]!, runs[1]!, '--json');
    assert.equal(c.code, 0, c.err);
    const g = await run(h.dir, 'compare', '--grid', runs[0]!, runs[1]!, '--format', 'json');
    assert.equal(g.code, 0, g.err);
  });

  test('collect --file FILE outside the workspace: the picks are appended there (exit 0)', async () => {
    await started;
    const h = hostile();
    const file = join(h.outside, 'mine', 'zoe.prefs.jsonl');
    mkdirSync(join(h.outside, 'mine'));
    writeFileSync(
      join(h.dir, 'pairs.jsonl'),
      JSON.stringify({ prompt: 'Q1?', response_1: 'first one', response_2: 'second one', answer: '2' }) + '\n',
    );
    const r = await run(
      h.dir,
      'collect',
      'ws',
      '--user',
      'zoe',
      '--pairs-from',
      'pairs.jsonl',
      '--file',
      file,
      '--base-url',
      server.url,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(readFileSync(file, 'utf8'), /"second one"/);
  });
});
