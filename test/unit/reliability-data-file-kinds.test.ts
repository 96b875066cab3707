// Case 11, file kinds: what the include pattern matches but is not a regular file (a FIFO, a device,
// a socket, a folder, a symlink loop) is a problem naming its kind, and is never opened: a FIFO
// must not hang the reader.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPreferenceFile } from '../../src/core/data/read-file';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import type { Problem } from '../../src/core/data/pair';

const rec = (id: string) =>
  JSON.stringify({
    user_id: 'u1',
    pair_id: id,
    context: 'Hi?',
    chosen: 'Short answer.',
    rejected: 'A long rambling answer.',
  });
const root = mkdtempSync(join(tmpdir(), 'sm-kinds-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh workspace folder holding one valid file, so each test shows the rest still loads. */
function workspace(name: string): string {
  const ws = join(root, name);
  mkdirSync(ws);
  writeFileSync(join(ws, 'ok.prefs.jsonl'), rec('p1') + '\n');
  return ws;
}

async function load(ws: string): Promise<{ problems: Problem[]; pairs: number }> {
  const index = await loadWorkspace([ws], { cwd: ws });
  // Workspaces this small always warn that users are too small to split: not what is tested here.
  return { problems: index.problems().filter((p) => !/too small to split/.test(p.message)), pairs: index.pairCount() };
}

const mkfifo = (path: string) => spawnSync('mkfifo', [path]).status === 0;
const fifoProbe = join(root, 'probe.fifo');
const noFifo = mkfifo(fifoProbe) ? false : 'mkfifo is not available here (no named pipes to test with)';

describe('reliability: file kinds', () => {
  // A timeout: should a FIFO be opened, the read would wait for a writer forever.
  test(
    'a FIFO matching the include pattern is reported by name and never opened',
    { skip: noFifo, timeout: 10_000 },
    async () => {
      const ws = workspace('fifo');
      assert.ok(mkfifo(join(ws, 'pipe.prefs.jsonl')));
      assert.ok(mkfifo(join(ws, 'events.jsonl')), 'plain .jsonl too: it cannot even be sniffed');
      const r = await load(ws);
      assert.equal(r.pairs, 1);
      assert.deepEqual(
        r.problems.map((p) => [p.file, p.line, p.severity, p.message]),
        [
          [
            'events.jsonl',
            1,
            'error',
            'a named pipe (FIFO), not a regular file: not opened (reading it would wait for a writer)',
          ],
          [
            'pipe.prefs.jsonl',
            1,
            'error',
            'a named pipe (FIFO), not a regular file: not opened (reading it would wait for a writer)',
          ],
        ],
      );
      const direct = await readPreferenceFile(join(ws, 'pipe.prefs.jsonl'), 'pipe.prefs.jsonl');
      assert.match(direct.problems[0]!.message, /^a named pipe \(FIFO\)/);
    },
  );

  test('a symlink to a character device (/dev/null) is named, not opened; a symlink to a file inside is read once', async () => {
    const ws = workspace('chardev');
    symlinkSync('/dev/null', join(ws, 'null.prefs.jsonl'));
    symlinkSync(join(ws, 'ok.prefs.jsonl'), join(ws, 'linked.prefs.jsonl'));
    const r = await load(ws);
    assert.equal(r.pairs, 1, 'ok.prefs.jsonl once: the link to it inside the workspace is the same file');
    const p = r.problems.find((x) => x.file === 'null.prefs.jsonl');
    // /dev/null is outside the workspace: not followed at all.
    assert.match(p?.message ?? '', /^a symbolic link to \/dev\/null, outside the workspace: not read/);
    const direct = await readPreferenceFile(join(ws, 'null.prefs.jsonl'), 'null.prefs.jsonl');
    assert.match(direct.problems[0]!.message, /^a symbolic link to a character device/);
  });

  test('a planted link to a file outside the workspace (~/secret.prefs.jsonl) is named and never read into prompts', async () => {
    const ws = workspace('outside-link');
    const secretDir = join(root, 'home-of-the-user');
    mkdirSync(secretDir);
    writeFileSync(join(secretDir, 'secret.jsonl'), rec('s1') + '\n');
    symlinkSync(join(secretDir, 'secret.jsonl'), join(ws, 'planted.prefs.jsonl'));
    const r = await load(ws);
    assert.equal(r.pairs, 1, "only the workspace's own pair");
    assert.match(
      r.problems.find((x) => x.file === 'planted.prefs.jsonl')?.message ?? '',
      /outside the workspace: not read/,
    );
  });

  const blockDevice = readdirSync('/dev')
    .map((n) => join('/dev', n))
    .find((p) => {
      try {
        return statSync(p).isBlockDevice();
      } catch {
        return false;
      }
    });
  test(
    'a symlink to a block device is named, not opened',
    { skip: !blockDevice && 'no block device in /dev' },
    async () => {
      const f = join(workspace('blockdev'), 'disk.prefs.jsonl');
      symlinkSync(blockDevice!, f);
      const r = await readPreferenceFile(f, 'disk.prefs.jsonl');
      assert.deepEqual(
        r.problems.map((p) => p.message),
        ['a symbolic link to a block device, not a regular file: not opened'],
      );
    },
  );

  test('a symlink loop is named; a dangling symlink says its target is missing', async () => {
    const ws = workspace('loop');
    symlinkSync('loop.prefs.jsonl', join(ws, 'loop.prefs.jsonl'));
    symlinkSync(join(ws, 'gone.json'), join(ws, 'dangling.prefs.json'));
    const r = await load(ws);
    assert.equal(r.pairs, 1);
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.message]),
      [
        ['dangling.prefs.json', 'a symbolic link whose target is not found: not read'],
        ['loop.prefs.jsonl', 'a symbolic link loop, not a regular file: not opened'],
      ],
    );
    const direct = await readPreferenceFile(join(ws, 'loop.prefs.jsonl'), 'loop.prefs.jsonl');
    assert.equal(direct.problems[0]!.message, 'a symbolic link loop, not a regular file: not opened');
  });

  test('a socket is named, not opened', async () => {
    const ws = workspace('socket');
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(ws, 'sock.prefs.jsonl'), ok));
    try {
      const r = await load(ws);
      assert.deepEqual(
        r.problems.map((p) => [p.file, p.message]),
        [['sock.prefs.jsonl', 'a socket, not a regular file: not opened']],
      );
    } finally {
      server.close();
    }
  });

  test('a folder matching the pattern is a warning, and the files inside are still searched', async () => {
    const ws = workspace('folder');
    mkdirSync(join(ws, 'export.prefs.jsonl'));
    writeFileSync(join(ws, 'export.prefs.jsonl', 'part-0.jsonl'), rec('p2') + '\n');
    const r = await load(ws);
    assert.equal(r.pairs, 2);
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.severity, p.message]),
      [['export.prefs.jsonl', 'warning', 'a folder, not a file: not read as one (the files inside are searched)']],
    );
  });
});
