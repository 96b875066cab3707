// Disk full and permission errors give one line with no stack; no 0-byte prompt file is left behind to
// break every later command (issue 20, medium). What is real and what is simulated:
// - the mapping of ENOSPC, EDQUOT, EROFS and EACCES to one line is tested on the function (these codes
//   cannot be produced on demand here: root ignores permissions);
// - ENOTDIR (a folder path through a regular file) is produced for real, end to end through the CLI;
// - a real ENOSPC needs a full file system: a 64 KB tmpfs is mounted when the test runs as root on Linux,
//   else that case is skipped and says so.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { fileSystemFailure, writeFailure } from '../../src/core/fs-error';
import { UserError } from '../../src/core/user-error';
import { cli, ignoringBrain } from './revalidate-fixture';
import { assertOneLine, hostile } from './reliability-reads-fixture';

const errno = (code: string, syscall = 'write', path?: string) =>
  Object.assign(new Error(`${code}: failed, ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

test('ENOSPC, EDQUOT, EROFS and EACCES from a write become one line naming the file (exit 1); other errors pass unchanged', () => {
  for (const [code, says] of [
    ['ENOSPC', /no space left on the disk/],
    ['EDQUOT', /the disk quota is used up/],
    ['EROFS', /the file system is read-only/],
    ['EACCES', /permission denied/],
  ] as const) {
    const e = writeFailure('prompts/judge.prompt.md', errno(code), 'prompt file');
    assert.ok(e instanceof UserError, code);
    assert.equal(e.exitCode, 1);
    assert.match(
      e.message,
      new RegExp(`^cannot write prompt file prompts/judge\\.prompt\\.md: ${says.source} \\(${code}\\)$`),
    );
    const escaped = fileSystemFailure(errno(code, 'open', '/ws/x'));
    assert.ok(escaped instanceof UserError);
    assert.match(escaped.message, new RegExp(`^open failed /ws/x: ${says.source} \\(${code}\\)$`));
  }
  const other = new Error('a bug');
  assert.equal(writeFailure('x', other), other);
  assert.equal(fileSystemFailure(other), undefined);
});

describe('file-system errors through the CLI', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  test('ENOTDIR, for real: .synthesizeme is a regular file, so eval cannot make its runs folder: one line, exit 1, no stack', async () => {
    await started;
    const h = hostile();
    writeFileSync(join(h.ws, '.synthesizeme'), 'not a folder\n');
    const c = cli(h.dir);
    assert.equal(
      await c.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url),
      1,
      c.err(),
    );
    assertOneLine(c.err(), /\.synthesizeme.*: a part of its path is a file, not a folder \(ENOTDIR\)$/);
  });

  test('ENOTDIR, for real: the persona folder is inside a regular file: fit says it in one line, exit 1, no stack', async () => {
    await started;
    const h = hostile();
    writeFileSync(join(h.ws, 'plain-file'), 'x\n');
    mkdirSync(join(h.ws, '.vscode'));
    writeFileSync(
      join(h.ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'synthesizeme.personaDir': 'plain-file/personas' }),
    );
    const c = cli(h.dir);
    const code = await c.run('fit', 'ws', '--user', 'ada', '--k', '1', '--base-url', server.url);
    assert.equal(code, 1, c.err());
    assert.match(
      c.err(),
      /cannot write folder .*plain-file[\\/]personas: a part of its path is a file, not a folder \(ENOTDIR\)/,
    );
    assert.doesNotMatch(c.err(), /^\s+at .*:\d+:\d+\)?$/m);
  });

  // A real full disk: a 64 KB tmpfs, filled, as the prompt folder (a trusted workspace may choose one outside).
  const mountPoint = mkdtempSync(join(tmpdir(), 'sm-full-'));
  let mounted = false;
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // No mount in this container: the case below is skipped.
    }
  }
  after(() => {
    if (mounted) execFileSync('umount', [mountPoint]);
  });

  test(
    'ENOSPC, for real: the default prompt cannot be written: one line, no 0-byte prompt file left, and the next command works once there is room',
    { skip: mounted ? false : 'needs root on Linux to mount a small tmpfs' },
    async () => {
      await started;
      const h = hostile();
      const prompts = join(mountPoint, 'prompts');
      mkdirSync(prompts);
      try {
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
      } catch {
        // Filled to the last byte.
      }
      mkdirSync(join(h.ws, '.vscode'));
      writeFileSync(join(h.ws, '.vscode', 'settings.json'), JSON.stringify({ 'synthesizeme.promptDir': prompts }));
      const c = cli(h.dir);
      assert.equal(
        await c.run(
          'eval',
          'ws',
          '--user',
          'ada',
          '--method',
          'default',
          '--trust-workspace',
          '--base-url',
          server.url,
        ),
        1,
        c.err(),
      );
      assertOneLine(c.err(), /cannot write prompt file .*judge\.prompt\.md: no space left on the disk \(ENOSPC\)$/);
      assert.deepEqual(readdirSync(prompts), [], 'neither a 0-byte prompt file nor a temporary file is left');
      execFileSync('rm', [join(mountPoint, 'filler')]);
      const again = cli(h.dir);
      assert.equal(
        await again.run(
          'eval',
          'ws',
          '--user',
          'ada',
          '--method',
          'default',
          '--trust-workspace',
          '--base-url',
          server.url,
        ),
        0,
        again.err(),
      );
      assert.ok(existsSync(join(prompts, 'judge.prompt.md')));
    },
  );
});
