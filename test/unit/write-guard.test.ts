// The write guard on its own: nothing is refused before a folder is registered (the engine as a
// library); after that, a path leaving the registered folders through a link is refused, naming it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowChosenFile, allowWritesUnder, checkWrite, resetWriteRoots } from '../../src/core/write-guard';

test('with no folder registered nothing is refused; then only paths inside the registered folders pass', async () => {
  resetWriteRoots();
  const dir = mkdtempSync(join(tmpdir(), 'sm-guard-'));
  const ws = join(dir, 'ws');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(ws);
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(ws, 'out'));
  await checkWrite(join(ws, 'out', 'x.txt'));
  allowWritesUnder(ws);
  await checkWrite(join(ws, 'not-yet', 'deep', 'x.txt'));
  await assert.rejects(
    checkWrite(join(ws, 'out', 'x.txt')),
    /ws[\\/]out is a symbolic link to .*elsewhere, outside the workspace/,
  );
  await assert.rejects(checkWrite(join(elsewhere, 'y.txt')), /refusing to write/);
  allowChosenFile(join(elsewhere, 'report.md'));
  await checkWrite(join(elsewhere, 'y.txt'));
  await checkWrite(join(ws, 'out', 'x.txt'));
  resetWriteRoots();
});
