// The checked writes of the write guard: every way the engine writes a file (the linter allows no other)
// refuses a target whose links lead out of the workspace, and writes inside it as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allowWritesUnder,
  appendFileChecked,
  linkChecked,
  mkdirChecked,
  openAppender,
  removeChecked,
  renameChecked,
  resetWriteRoots,
  writeFileChecked,
} from '../../src/core/write-guard';
import { createWhole, replaceWhole } from '../../src/core/atomic-write';

async function planted() {
  const ws = await mkdtemp(join(tmpdir(), 'smw-ws-'));
  const away = await mkdtemp(join(tmpdir(), 'smw-away-'));
  await writeFile(join(away, 'victim.txt'), 'keep\n');
  await symlink(away, join(ws, 'out'));
  resetWriteRoots();
  allowWritesUnder(ws);
  return { ws, away, out: join(ws, 'out') };
}

test('each checked write refuses a target through a link out of the workspace, and touches nothing there', async (t) => {
  const { ws, away, out } = await planted();
  t.after(resetWriteRoots);
  const inside = join(ws, 'a.txt');
  await writeFile(inside, 'x');
  const refusals: [string, () => Promise<unknown>][] = [
    ['writeFileChecked', () => writeFileChecked(join(out, 'new.txt'), 'x')],
    ['appendFileChecked', () => appendFileChecked(join(out, 'victim.txt'), 'x')],
    ['openAppender', () => openAppender(join(out, 'victim.txt'))],
    ['mkdirChecked', () => mkdirChecked(join(out, 'sub'))],
    ['renameChecked', () => renameChecked(inside, join(out, 'moved.txt'))],
    ['linkChecked', () => linkChecked(inside, join(out, 'linked.txt'))],
    ['removeChecked', () => removeChecked(join(out, 'victim.txt'))],
    ['replaceWhole', () => replaceWhole(join(out, 'victim.txt'), 'x')],
    ['createWhole', () => createWhole(join(out, 'created.txt'), 'x')],
  ];
  for (const [name, attempt] of refusals) {
    await assert.rejects(attempt(), /refusing to write .*symbolic link/, name);
  }
  assert.deepEqual(await readdir(away), ['victim.txt']);
  assert.equal(await readFile(join(away, 'victim.txt'), 'utf8'), 'keep\n');
});

test('inside the workspace the checked writes write', async (t) => {
  const { ws } = await planted();
  t.after(resetWriteRoots);
  await mkdirChecked(join(ws, 'd', 'e'));
  await writeFileChecked(join(ws, 'd', 'f.txt'), 'one\n');
  await appendFileChecked(join(ws, 'd', 'f.txt'), 'two\n');
  const append = await openAppender(join(ws, 'd', 'f.txt'));
  await append('three\n');
  await renameChecked(join(ws, 'd', 'f.txt'), join(ws, 'd', 'g.txt'));
  await linkChecked(join(ws, 'd', 'g.txt'), join(ws, 'd', 'h.txt'));
  assert.equal(await readFile(join(ws, 'd', 'h.txt'), 'utf8'), 'one\ntwo\nthree\n');
  await removeChecked(join(ws, 'd', 'g.txt'));
  await mkdir(join(ws, 'd', 'e'), { recursive: true });
  assert.deepEqual((await readdir(join(ws, 'd'))).sort(), ['e', 'h.txt']);
});
