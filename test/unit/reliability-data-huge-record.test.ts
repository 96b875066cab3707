// Case 9: a JSONL record over the size limit is a problem at its line, is skipped as it streams
// (never held whole), and the records after it still load.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPreferenceFile } from '../../src/core/data/read-file';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { DEFAULT_MAX_RECORD_BYTES } from '../../src/core/data/file-text';
import { LineSplitter, type Line } from '../../src/core/data/line-splitter';

const MB = 1024 * 1024;
const rec = (id: string, chosen = 'Short answer.') =>
  JSON.stringify({ user_id: 'u1', pair_id: id, context: 'Hi?', chosen, rejected: 'A long rambling answer.' });

/** Writes `lines`, where a number stands for a valid record whose `chosen` is that many MB, in 1 MB writes. */
function writeLines(path: string, lines: (string | number)[], lastNewline = true): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(MB, 'x');
  lines.forEach((l, i) => {
    if (typeof l === 'number') {
      writeSync(fd, `{"user_id":"u1","pair_id":"big${i}","context":"q","rejected":"r","chosen":"`);
      for (let k = 0; k < l; k++) writeSync(fd, block);
      writeSync(fd, '"}');
    } else writeSync(fd, l);
    if (i < lines.length - 1 || lastNewline) writeSync(fd, '\n');
  });
  closeSync(fd);
}

describe('reliability: oversized JSONL records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-huge-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the default limit is 64 MB, exported', () => {
    assert.equal(DEFAULT_MAX_RECORD_BYTES, 64 * MB);
  });

  test('a 3 MB line over a 1 MB limit is a problem at its line; the records after it load', async () => {
    const f = join(dir, 'a.prefs.jsonl');
    writeLines(f, [rec('p1'), 3, rec('p3'), rec('p4')]);
    const r = await readPreferenceFile(f, 'a.prefs.jsonl', undefined, { maxRecordBytes: MB });
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['p1', 'p3', 'p4'],
    );
    assert.deepEqual(
      r.pairs.map((p) => p.source.line),
      [1, 3, 4],
    );
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    const p = r.problems[0]!;
    assert.deepEqual([p.line, p.column, p.severity], [2, 1, 'error']);
    assert.match(p.message, /^record of 3 MB exceeds the 1 MB limit/);
    assert.equal(r.records, 4, 'the skipped record is counted as seen');
  });

  test('a line longer than several read chunks (9 MB) and an oversized last line without a newline', async () => {
    const f = join(dir, 'b.prefs.jsonl');
    writeLines(f, [9, rec('p2'), 2], false);
    const r = await readPreferenceFile(f, 'b.prefs.jsonl', undefined, { maxRecordBytes: MB });
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['p2'],
    );
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.message.replace(/ limit.*/, ' limit')]),
      [
        [1, 'record of 9 MB exceeds the 1 MB limit'],
        [3, 'record of 2 MB exceeds the 1 MB limit'],
      ],
    );
  });

  test('a line under the limit still loads (limit applies per record, through loadWorkspace too)', async () => {
    const ws = mkdtempSync(join(dir, 'ws-'));
    writeLines(join(ws, 'c.prefs.jsonl'), [2, rec('p2'), 5]);
    const index = await loadWorkspace([ws], { cwd: ws, maxRecordBytes: 3 * MB });
    assert.deepEqual(
      index
        .users()[0]!
        .pairs.map((p) => p.pairId)
        .sort(),
      ['big0', 'p2'],
    );
    assert.deepEqual(
      index
        .problems()
        .filter((p) => /exceeds/.test(p.message))
        .map((p) => p.line),
      [3],
    );
  });

  test('the splitter never keeps the bytes of an oversized line', () => {
    const seen: Line[] = [];
    const s = new LineSplitter(10, (l) =>
      seen.push('bytes' in l ? { bytes: Buffer.from(l.bytes), terminated: l.terminated } : l),
    );
    s.push(Buffer.from('short\n0123456789'));
    s.push(Buffer.from('abcdefghij'));
    // Past the limit nothing of the line is held: the internal parts list is empty while it streams.
    assert.equal((s as unknown as { parts: Buffer[] }).parts.length, 0);
    s.push(Buffer.from('klm\nok\nlast'));
    s.end();
    assert.deepEqual(
      seen.map((l) => ('bytes' in l ? l.bytes.toString() : `oversized ${l.oversized}`)),
      ['short', 'oversized 23', 'ok', 'last'],
    );
    assert.equal(seen[3]!.terminated, false);
  });
});
