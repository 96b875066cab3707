// Reads obey the same trust as writes (issue 20, class 1): a FIFO, a device or a huge file where the tool
// reads its own files is refused by its kind or its size, never opened or read whole. Before, a FIFO at a
// prompt, persona or run file hung eval, revalidate and `runs`; a link to /dev/zero read gigabytes.
// The per-test timeout only stops a hang from stalling the suite; nothing here asserts a duration.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { cli, ignoringBrain, writePrompt } from './revalidate-fixture';
import { assertOneLine, fifo, hostile } from './reliability-reads-fixture';

const HANG_GUARD = { timeout: 60_000 };
const FIFO = /a named pipe \(FIFO\), not a regular file: not opened/;

describe('FIFOs, devices and huge files are refused by kind and size', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  const run = async (dir: string, ...args: string[]) => {
    const c = cli(dir);
    // runs and compare call no model: no --base-url.
    const code = await c.run(...args, ...(['runs', 'compare'].includes(args[0]!) ? [] : ['--base-url', server.url]));
    return { code, err: c.err(), out: c.out() };
  };

  test('a FIFO at prompts/judge.prompt.md: eval and revalidate end with the refusal, exit 2', HANG_GUARD, async () => {
    await started;
    const h = hostile();
    fifo(h, 'prompts/judge.prompt.md');
    for (const args of [
      ['eval', 'ws', '--all', '--method', 'default'],
      ['revalidate', 'ws', 'judge', '--all'],
    ]) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, new RegExp(`refusing to read prompt file .*judge\\.prompt\\.md: ${FIFO.source}`));
    }
  });

  test(
    'a FIFO at personas/ada.persona.yaml: eval with persona+demos ends with the refusal, exit 2',
    HANG_GUARD,
    async () => {
      await started;
      const h = hostile();
      fifo(h, 'personas/ada.persona.yaml');
      const r = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'persona+demos');
      assert.equal(r.code, 2, r.err);
      assertOneLine(r.err, new RegExp(`refusing to read persona file .*ada\\.persona\\.yaml: ${FIFO.source}`));
    },
  );

  test(
    'a FIFO at a run file: runs lists the others and names it; compare refuses it; eval at that name refuses it',
    HANG_GUARD,
    async () => {
      await started;
      const h = hostile();
      const first = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'default', '--json');
      assert.equal(first.code, 0, first.err);
      const realRun = JSON.parse(first.out).run as string;
      const pipe = fifo(h, '.synthesizeme/runs/planted.run.jsonl');
      const listed = await run(h.dir, 'runs', 'ws', '--json');
      assert.equal(listed.code, 0, listed.err);
      assert.equal((JSON.parse(listed.out) as { runs: unknown[] }).runs.length, 1, 'the real run is listed');
      assert.match(listed.err, new RegExp(`warning: .*planted\\.run\\.jsonl: not read: .*${FIFO.source}`));
      const c = await run(h.dir, 'compare', realRun, pipe);
      assert.equal(c.code, 2, c.err);
      assertOneLine(c.err, FIFO);
      // The same run again: its predictable file is now a FIFO.
      const name = basename(realRun);
      rmSync(join(h.ws, '.synthesizeme', 'runs', name));
      fifo(h, join('.synthesizeme', 'runs', name));
      const e = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'default');
      assert.equal(e.code, 2, e.err);
      assertOneLine(e.err, FIFO);
    },
  );

  test('a FIFO as a cache segment: skipped with a note, never appended to; the run completes', HANG_GUARD, async () => {
    await started;
    const h = hostile();
    fifo(h, '.synthesizeme/cache/segment-000001.jsonl');
    const r = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'default');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`cache: skipped segment-000001\\.jsonl: .*${FIFO.source}`));
  });

  test(
    'a FIFO as .vscode/settings.json: noted as unreadable (not silently absent), and the command goes on',
    HANG_GUARD,
    async () => {
      await started;
      const h = hostile();
      fifo(h, '.vscode/settings.json');
      const r = await run(h.dir, 'runs', 'ws');
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.err,
        /note: .*\.vscode[\\/]settings\.json: not read: a named pipe \(FIFO\).*the workspace's settings are not used/,
      );
    },
  );

  test('prompts/judge.prompt.md -> /dev/zero: refused as a character device, never read', HANG_GUARD, async () => {
    await started;
    const h = hostile();
    mkdirSync(join(h.ws, 'prompts'), { recursive: true });
    symlinkSync('/dev/zero', join(h.ws, 'prompts', 'judge.prompt.md'));
    const r = await run(h.dir, 'eval', 'ws', '--all', '--method', 'default');
    assert.equal(r.code, 2, r.err);
    assertOneLine(
      r.err,
      /refusing to read prompt file .*judge\.prompt\.md: a symbolic link to a character device, not a regular file: not opened/,
    );
  });

  test('a 5 MB prompt file: refused with its size and the limit, before any call', HANG_GUARD, async () => {
    await started;
    const h = hostile();
    writePrompt(h.ws, 'judge', DEFAULT_PROMPTS.judge + '\n' + 'x'.repeat(5 * 1024 * 1024));
    const calls = server.stats.chat;
    const r = await run(h.dir, 'eval', 'ws', '--all', '--method', 'default');
    assert.equal(r.code, 2, r.err);
    assertOneLine(
      r.err,
      /refusing to read prompt file .*judge\.prompt\.md: 5\.0 MB is over the limit of 4\.0 MB for a prompt file/,
    );
    assert.equal(server.stats.chat, calls, 'no call was made');
  });

  test('a 5 MB persona file: refused with its size', HANG_GUARD, async () => {
    await started;
    const h = hostile();
    mkdirSync(join(h.ws, 'personas'), { recursive: true });
    writeFileSync(
      join(h.ws, 'personas', 'ada.persona.yaml'),
      `user_id: ada\npersona: |\n  ${'y'.repeat(5 * 1024 * 1024)}\n`,
    );
    const r = await run(h.dir, 'eval', 'ws', '--user', 'ada', '--method', 'persona+demos');
    assert.equal(r.code, 2, r.err);
    assertOneLine(r.err, /refusing to read persona file .*ada\.persona\.yaml: 5\.0 MB is over the limit of 4\.0 MB/);
  });
});
