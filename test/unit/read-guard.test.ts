// The read guard on its own (read-guard.ts): the order of its checks (kind, then trust, then size), what
// it says for each refusal, and the chosen-file rule. The CLI cases are in reliability-reads-*.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRead, openOwn, READ_LIMITS, readOwnText, readOwnTextIfExists } from '../../src/core/read-guard';
import { allowChosenRead, allowWritesUnder, resetWriteRoots } from '../../src/core/write-guard';
import { UserError } from '../../src/core/user-error';

function place() {
  resetWriteRoots();
  const dir = mkdtempSync(join(tmpdir(), 'sm-read-guard-'));
  const ws = join(dir, 'ws');
  const outside = join(dir, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  return { dir, ws, outside };
}

/** A refusal: a UserError, exit 2, one line matching `pattern`. */
const refused = (pattern: RegExp) => (e: unknown) =>
  e instanceof UserError && e.exitCode === 2 && pattern.test(e.message) && !e.message.includes('\n');

test('nothing registered: nothing is refused for trust; then a link out of the workspace is refused, naming the link', async () => {
  const { ws, outside } = place();
  symlinkSync(join(outside, 'secret.txt'), join(ws, 'judge.prompt.md'));
  assert.equal(await readOwnText(join(ws, 'judge.prompt.md')), 'secret\n', 'the engine as a library refuses nothing');
  allowWritesUnder(ws);
  await assert.rejects(
    readOwnText(join(ws, 'judge.prompt.md'), { what: 'prompt file' }),
    refused(
      /^refusing to read .*judge\.prompt\.md: .*judge\.prompt\.md is a symbolic link to .*secret\.txt, outside the workspace/,
    ),
  );
  await assert.rejects(
    checkRead(join(outside, 'secret.txt')),
    refused(/it resolves to .*secret\.txt, outside the workspace/),
  );
  resetWriteRoots();
});

test('a link inside the workspace to a file inside it is read; a missing file is ENOENT (IfExists: undefined)', async () => {
  const { ws } = place();
  allowWritesUnder(ws);
  writeFileSync(join(ws, 'real.md'), '\ufeffhello');
  symlinkSync(join(ws, 'real.md'), join(ws, 'alias.md'));
  assert.equal(await readOwnText(join(ws, 'alias.md')), 'hello', 'the BOM is dropped');
  await assert.rejects(readOwnText(join(ws, 'none.md')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.equal(await readOwnTextIfExists(join(ws, 'none.md')), undefined);
  resetWriteRoots();
});

test('kinds come first: a FIFO, a folder, /dev/zero behind a link and a dangling link are refused by what they are', async () => {
  const { ws } = place();
  allowWritesUnder(ws);
  execFileSync('mkfifo', [join(ws, 'pipe')]);
  mkdirSync(join(ws, 'folder.md'));
  symlinkSync('/dev/zero', join(ws, 'zero.md'));
  symlinkSync(join(ws, 'gone'), join(ws, 'dangling.md'));
  await assert.rejects(
    readOwnText(join(ws, 'pipe'), { what: 'prompt file' }),
    refused(/^refusing to read prompt file .*pipe: a named pipe \(FIFO\), not a regular file: not opened/),
  );
  await assert.rejects(readOwnText(join(ws, 'folder.md')), refused(/a folder, not a regular file/));
  await assert.rejects(
    readOwnText(join(ws, 'zero.md')),
    refused(/a symbolic link to a character device, not a regular file: not opened/),
  );
  await assert.rejects(readOwnText(join(ws, 'dangling.md')), refused(/a symbolic link whose target is not found/));
  resetWriteRoots();
});

test('a file over its limit is refused with its size and the limit, before a byte is read', async () => {
  const { ws } = place();
  writeFileSync(join(ws, 'big.md'), Buffer.alloc(READ_LIMITS.text + 1, 0x61));
  await assert.rejects(
    readOwnText(join(ws, 'big.md'), { what: 'prompt file' }),
    refused(/4\.0 MB is over the limit of 4\.0 MB for a prompt file/),
  );
  writeFileSync(join(ws, 'small.md'), 'x'.repeat(2000));
  await assert.rejects(
    readOwnText(join(ws, 'small.md'), { maxBytes: 1000, what: 'lock file' }),
    refused(/2,000 bytes is over the limit of 1,000 bytes for a lock file/),
  );
  const { handle, size } = await openOwn(join(ws, 'small.md'), { maxBytes: READ_LIMITS.streamed });
  assert.equal(size, 2000);
  await handle.close();
});

test('within: a file read before any folder is registered must stay in the given folder', async () => {
  const { ws, outside } = place();
  allowWritesUnder(join(outside));
  mkdirSync(join(ws, '.vscode'));
  symlinkSync(join(outside, 'secret.txt'), join(ws, '.vscode', 'settings.json'));
  await assert.rejects(
    readOwnText(join(ws, '.vscode', 'settings.json'), { within: ws }),
    refused(/settings\.json is a symbolic link/),
  );
  writeFileSync(join(ws, 'inside.json'), '{}');
  assert.equal(
    await readOwnText(join(ws, 'inside.json'), { within: ws }),
    '{}',
    'the registered folders do not matter',
  );
  resetWriteRoots();
});

test('a file chosen on the command line is read wherever it is; inside the workspace a typed path still may not lead out', async () => {
  const { ws, outside } = place();
  allowWritesUnder(ws);
  const chosen = join(outside, 'secret.txt');
  await assert.rejects(readOwnText(chosen));
  allowChosenRead(chosen);
  assert.equal(await readOwnText(chosen), 'secret\n');
  writeFileSync(join(outside, 'other.txt'), 'other\n');
  await assert.rejects(readOwnText(join(outside, 'other.txt')), /refusing to read/, 'only that file, not its folder');
  symlinkSync(chosen, join(ws, 'planted.md'));
  allowChosenRead(join(ws, 'planted.md'));
  await assert.rejects(readOwnText(join(ws, 'planted.md')), refused(/planted\.md is a symbolic link/));
  resetWriteRoots();
});
