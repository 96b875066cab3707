// Collect reads the user's persona and its history under the read guard, and says a refusal (issue 20,
// class 1). A persona file linked out of the workspace, or a FIFO, was swallowed as "no persona yet: fit
// first", and --ask-next passed over a refused history version without a word. Now only a missing file
// means no persona; a refusal is its one line, exit 2, before anything is generated.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { cli, ignoringBrain, workspace } from './revalidate-fixture';

/** Generation gets plain text; persona and judgment calls get what the fixture's brain says. */
function brain(req: BrainRequest): string {
  return req.schema ? ignoringBrain(req) : `An answer to: ${req.messages[req.messages.length - 1]?.content ?? ''}`;
}

/** Should a regression open the FIFO, a writer opens its other end after a while, so the test fails instead of hanging. */
function unblockLater(fifo: string): void {
  setTimeout(() => {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader blocked on it.
    }
  }, 3000).unref();
}

describe('collect: a refused persona or history version is said, not taken for "no persona"', () => {
  let server: LoopbackServer;
  let dir: string;
  let ws: string;
  const personaPath = () => join(ws, 'personas', 'ada.persona.yaml');
  const historyDir = () => join(ws, '.synthesizeme', 'history', 'ada');
  const outside = mkdtempSync(join(tmpdir(), 'sm-outside-'));

  before(async () => {
    server = await startLoopbackOllama({ models: ['llama3.1:8b'], brain });
    ({ dir, ws } = workspace());
    const f = cli(dir);
    assert.equal(await f.run('fit', 'ws', '--user', 'ada', '--k', '1', '--base-url', server.url), 0, f.err());
    copyFileSync(personaPath(), join(outside, 'fitted.persona.yaml'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const collectPersona = async () => {
    const c = cli(dir);
    const code = await c.run('collect', 'ws', '--user', 'ada', '--persona', '--prompt', 'Q?', '--base-url', server.url);
    return { code, err: c.err() };
  };

  test('a persona file linked out of the workspace: exit 2, the refusal in one line', async () => {
    rmSync(personaPath());
    symlinkSync(join(outside, 'fitted.persona.yaml'), personaPath());
    try {
      const before = server.stats.chat;
      const r = await collectPersona();
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /refusing to read .*ada\.persona\.yaml.* outside the workspace/);
      assert.doesNotMatch(r.err, /no persona yet/);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.equal(server.stats.chat, before, 'nothing generated');
    } finally {
      rmSync(personaPath());
      copyFileSync(join(outside, 'fitted.persona.yaml'), personaPath());
    }
  });

  test('a persona file that is a FIFO: exit 2, refused by its kind, never opened', { timeout: 15_000 }, async () => {
    rmSync(personaPath());
    execFileSync('mkfifo', [personaPath()]);
    unblockLater(personaPath());
    try {
      const r = await collectPersona();
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /refusing to read persona file .*named pipe \(FIFO\)/);
      assert.doesNotMatch(r.err, /no persona yet/);
    } finally {
      rmSync(personaPath());
      copyFileSync(join(outside, 'fitted.persona.yaml'), personaPath());
    }
  });

  test('only a missing persona file is "no persona yet"', async () => {
    renameSync(personaPath(), join(dir, 'aside.yaml'));
    try {
      const r = await collectPersona();
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /user "ada" has no persona yet: fit first/);
    } finally {
      renameSync(join(dir, 'aside.yaml'), personaPath());
    }
  });

  test('--ask-next with a history version linked out of the workspace: exit 2, the refusal said', async () => {
    assert.ok(
      readdirSync(historyDir()).some((n) => n.endsWith('.persona.yaml')),
      'fit keeps its version in history',
    );
    // A later version than the fitted one, as a planted link: its text would go to the model as the previous persona.
    const planted = join(historyDir(), '9999-12-31T00-00-00-000Z-1-abcdef.persona.yaml');
    writeFileSync(join(outside, 'older.persona.yaml'), 'user_id: ada\npersona: a secret\n');
    symlinkSync(join(outside, 'older.persona.yaml'), planted);
    try {
      const before = server.stats.chat;
      const c = cli(dir);
      const code = await c.run(
        'collect',
        'ws',
        '--user',
        'ada',
        '--prompt',
        'Q?',
        '--prompt',
        'R?',
        '--ask-next',
        '2',
        '--base-url',
        server.url,
      );
      assert.equal(code, 2, c.err());
      assert.match(c.err(), /refusing to read .*history.*9999-12-31.* outside the workspace/);
      assert.equal(server.stats.chat, before, 'nothing generated');
    } finally {
      rmSync(planted);
    }
  });
});
