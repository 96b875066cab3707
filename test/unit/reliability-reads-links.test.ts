// Reads obey the same trust as writes (issue 20, class 1, critical): a prompt, a persona file or a history
// version planted as a link to a file outside the workspace is refused with one line naming the link,
// exit 2, before any request: the loopback server never receives the outside file's text. Each case runs
// the real CLI in-process (eval, revalidate, theta optimize) against a loopback Ollama server.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { cli, ignoringBrain, writePrompt } from './revalidate-fixture';
import { assertNothingSent, assertOneLine, hostile, linkOut, personaText, SECRET } from './reliability-reads-fixture';

const LINK = (rel: string) =>
  new RegExp(
    `refusing to read .*${rel.replace(/[.+]/g, '\\$&')}.*is a symbolic link to .*outside.*outside the workspace`,
  );

describe('a link out of the workspace is never read', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  const run = async (dir: string, ...args: string[]) => {
    const c = cli(dir);
    const code = await c.run(...args, '--base-url', server.url);
    return { code, err: c.err() };
  };

  test('prompts/judge.prompt.md -> a file outside: eval, revalidate and theta optimize exit 2 naming the link; nothing is sent', async () => {
    await started;
    const h = hostile();
    linkOut(h, 'prompts/judge.prompt.md', `${DEFAULT_PROMPTS.judge}\n${SECRET}\n`);
    for (const args of [
      ['eval', 'ws', '--all', '--method', 'default'],
      ['revalidate', 'ws', 'judge', '--all'],
      ['theta', 'optimize', 'ws', '--k', '1', '--budget', '200'],
    ]) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, LINK('prompts/judge.prompt.md'));
    }
    assertNothingSent(server);
  });

  test('prompts/persona-synthesis.prompt.md -> a file outside: theta optimize exits 2 naming the link', async () => {
    await started;
    const h = hostile();
    linkOut(h, 'prompts/persona-synthesis.prompt.md', `${DEFAULT_PROMPTS['persona-synthesis']}\n${SECRET}\n`);
    const r = await run(h.dir, 'theta', 'optimize', 'ws', '--k', '1', '--budget', '200');
    assert.equal(r.code, 2, r.err);
    assertOneLine(r.err, LINK('prompts/persona-synthesis.prompt.md'));
    assertNothingSent(server);
  });

  test('personas/ada.persona.yaml -> a persona outside: eval with persona+demos and revalidate judge exit 2 naming the link', async () => {
    await started;
    const h = hostile();
    linkOut(h, 'personas/ada.persona.yaml', personaText('ada'));
    for (const args of [
      ['eval', 'ws', '--user', 'ada', '--method', 'persona+demos'],
      ['revalidate', 'ws', 'judge', '--all'],
      ['revalidate', 'ws', 'ws/personas/ada.persona.yaml'],
    ]) {
      // revalidate judge needs an edit to compare: the judge prompt differs from the default.
      writePrompt(h.ws, 'judge', DEFAULT_PROMPTS.judge + '\n\nBe strict.');
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, LINK('personas/ada.persona.yaml'));
    }
    assertNothingSent(server);
  });

  test('a history version -> a file outside: revalidate judge (which compares with it) exits 2 naming the link', async () => {
    await started;
    const h = hostile();
    writePrompt(h.ws, 'judge', DEFAULT_PROMPTS.judge + '\n\nBe strict.');
    linkOut(
      h,
      '.synthesizeme/history/prompts/judge/2026-01-01T00-00-00-000Z-1-abcdef.prompt.md',
      `${DEFAULT_PROMPTS.judge}\n${SECRET}\n`,
    );
    const r = await run(h.dir, 'revalidate', 'ws', 'judge', '--all');
    assert.equal(r.code, 2, r.err);
    assertOneLine(r.err, LINK('2026-01-01T00-00-00-000Z-1-abcdef.prompt.md'));
    assertNothingSent(server);
  });

  test('a persona history version -> a file outside: revalidate of the persona exits 2 naming the link', async () => {
    await started;
    const h = hostile();
    const personas = join(h.ws, 'personas');
    mkdirSync(personas, { recursive: true });
    writeFileSync(join(personas, 'ada.persona.yaml'), personaText('ada', 'Prefers short answers.'));
    linkOut(h, '.synthesizeme/history/ada/2026-01-01T00-00-00-000Z-1-abcdef.persona.yaml', personaText('ada'));
    const r = await run(h.dir, 'revalidate', 'ws', 'ws/personas/ada.persona.yaml');
    assert.equal(r.code, 2, r.err);
    assertOneLine(r.err, LINK('2026-01-01T00-00-00-000Z-1-abcdef.persona.yaml'));
    assertNothingSent(server);
  });

  test('a link inside the workspace to a file inside it is read as usual', async () => {
    await started;
    const h = hostile();
    writePrompt(h.ws, 'judge-real', DEFAULT_PROMPTS.judge);
    symlinkSync(join(h.ws, 'prompts', 'judge-real.prompt.md'), join(h.ws, 'prompts', 'judge.prompt.md'));
    const r = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'default');
    assert.equal(r.code, 0, r.err);
  });
});
