// Case 11, encodings: UTF-16 with a BOM is decoded (it was called "binary"), and invalid UTF-8 is a
// problem at its line and column (it was replaced by U+FFFD without a word).

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPreferenceFile, sniffJsonlIsPreferences } from '../../src/core/data/read-file';
import { Utf16Transcoder } from '../../src/core/data/utf16';
import { firstInvalidUtf8 } from '../../src/core/data/utf8-validity';

const rec = (id: string, chosen = 'Short answer.') =>
  JSON.stringify({ user_id: 'u1', pair_id: id, context: 'Hi?', chosen, rejected: 'A long rambling answer.' });

function utf16(text: string, bigEndian: boolean): Buffer {
  const b = Buffer.from('\ufeff' + text, 'utf16le');
  return bigEndian ? b.swap16() : b;
}

describe('reliability: UTF-16 files with a BOM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-enc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const text = [rec('p1', 'Café ☕ 😀'), '{"user_id": "u1", "context": }', rec('p3')].join('\r\n') + '\r\n';

  for (const bigEndian of [false, true]) {
    const name = bigEndian ? 'BE' : 'LE';
    test(`JSONL in UTF-16 ${name} loads, with positions in characters`, async () => {
      const f = join(dir, `u16${name}.prefs.jsonl`);
      writeFileSync(f, utf16(text, bigEndian));
      const r = await readPreferenceFile(f, 'u.prefs.jsonl');
      assert.deepEqual(
        r.pairs.map((p) => p.pairId),
        ['p1', 'p3'],
      );
      assert.equal(r.pairs[0]!.chosen.content, 'Café ☕ 😀');
      assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
      assert.deepEqual([r.problems[0]!.line, r.problems[0]!.column], [2, 30]);
      assert.match(r.problems[0]!.message, /malformed JSON/);
    });
  }

  test('YAML and JSON in UTF-16 load whole', async () => {
    const y = join(dir, 'u.prefs.yaml');
    writeFileSync(y, utf16('ann:\n  - context: q\n    chosen: oui ✓\n    rejected: non\n', true));
    const ry = await readPreferenceFile(y, 'u.prefs.yaml');
    assert.deepEqual([ry.problems, ry.pairs.map((p) => p.chosen.content)], [[], ['oui ✓']]);
    const j = join(dir, 'u.prefs.json');
    writeFileSync(j, utf16(`[${rec('j1')}]`, false));
    const rj = await readPreferenceFile(j, 'u.prefs.json');
    assert.deepEqual(
      rj.pairs.map((p) => p.pairId),
      ['j1'],
    );
  });

  test('an unpaired surrogate is a problem at its line and column; other records load', async () => {
    const f = join(dir, 'lone.prefs.jsonl');
    // Buffer's utf16le encoder keeps a lone surrogate as its code unit.
    writeFileSync(f, utf16([rec('p1'), `{"user_id":"u1","chosen":"a\ud800b"}`, rec('p3')].join('\n'), false));
    const r = await readPreferenceFile(f, 'lone.prefs.jsonl');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['p1', 'p3'],
    );
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    assert.deepEqual([r.problems[0]!.line, r.problems[0]!.column], [2, 28]);
    assert.match(r.problems[0]!.message, /invalid UTF-16: an unpaired surrogate/);
  });

  test('a plain .jsonl in UTF-16 is sniffed as preferences', async () => {
    const f = join(dir, 'plain16.jsonl');
    writeFileSync(f, utf16(rec('p1') + '\n', false));
    assert.equal(await sniffJsonlIsPreferences(f), true);
  });

  test('UTF-32 is refused by name, not read as UTF-16', async () => {
    const f = join(dir, 'u32.prefs.jsonl');
    writeFileSync(f, Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0, 0x0a, 0, 0, 0]));
    const r = await readPreferenceFile(f, 'u32.prefs.jsonl');
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /^UTF-32 text: not a supported encoding/);
  });

  test('the transcoder is exact wherever the chunks are cut (odd bytes, split surrogate pairs)', () => {
    const s = 'a€😀b\r\n😀😀x';
    for (const bigEndian of [false, true]) {
      const bytes = utf16(s, bigEndian).subarray(2);
      for (let cut = 0; cut <= bytes.length; cut++) {
        for (const step of [1, 3]) {
          const t = new Utf16Transcoder(bigEndian);
          const out: Buffer[] = [t.push(bytes.subarray(0, cut))];
          for (let i = cut; i < bytes.length; i += step) out.push(t.push(bytes.subarray(i, i + step)));
          out.push(t.end());
          assert.equal(Buffer.concat(out).toString('utf8'), s, `${bigEndian ? 'BE' : 'LE'} cut ${cut} step ${step}`);
        }
      }
    }
  });

  test('the transcoder marks unpaired surrogates and an odd last byte with 0xFF, wherever the chunks are cut', () => {
    const bytes = Buffer.concat([Buffer.from('x\ud83dy\ude00z\ud83d', 'utf16le'), Buffer.from([0x41])]);
    const want = Buffer.from([0x78, 0xff, 0x79, 0xff, 0x7a, 0xff, 0xff]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const t = new Utf16Transcoder(false);
      assert.deepEqual(
        Buffer.concat([t.push(bytes.subarray(0, cut)), t.push(bytes.subarray(cut)), t.end()]),
        want,
        `cut ${cut}`,
      );
    }
  });
});

describe('reliability: invalid UTF-8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-utf8-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a Latin-1 byte in a JSONL record is a problem at its line and column; the record is not read', async () => {
    const f = join(dir, 'latin1.prefs.jsonl');
    const bad = Buffer.concat([
      Buffer.from('{"user_id":"u1","pair_id":"p2","context":"q","chosen":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","rejected":"r"}'),
    ]);
    writeFileSync(
      f,
      Buffer.concat([Buffer.from(rec('p1', 'naïve') + '\n'), bad, Buffer.from('\n' + rec('p3') + '\n')]),
    );
    const r = await readPreferenceFile(f, 'latin1.prefs.jsonl');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['p1', 'p3'],
    );
    assert.ok(!r.pairs.some((p) => p.chosen.content.includes('\ufffd')), 'no silent replacement character');
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    const p = r.problems[0]!;
    assert.deepEqual([p.line, p.column], [2, 59]); // 58 characters before the byte
    assert.match(p.message, /^invalid UTF-8: byte 0xE9/);
    assert.match(p.message, /this record is not read/);
  });

  test('across read chunks: a valid character cut by a chunk boundary is fine, a bad byte later is found', async () => {
    const f = join(dir, 'chunks.prefs.jsonl');
    const fd = openSync(f, 'w');
    // 4 MB read chunks: put a 3-byte "€" across the first boundary.
    const head = `{"user_id":"u1","pair_id":"p1","context":"q","rejected":"r","chosen":"`;
    writeSync(fd, head + 'x'.repeat(4 * 1024 * 1024 - head.length - 1) + '€"}\n');
    writeSync(fd, rec('p2') + '\n');
    writeSync(
      fd,
      Buffer.concat([Buffer.from('{"user_id":"u1","chosen":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}\n')]),
    );
    closeSync(fd);
    const r = await readPreferenceFile(f, 'chunks.prefs.jsonl');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['p1', 'p2'],
    );
    assert.ok(r.pairs[0]!.chosen.content.endsWith('x€'));
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.column, p.message.slice(0, 27)]),
      [[3, 27, 'invalid UTF-8: byte 0xED do']],
    );
  });

  test('in a whole JSON file: the problem has its line and column, and the file is not read', async () => {
    const f = join(dir, 'bad.prefs.json');
    writeFileSync(
      f,
      Buffer.concat([
        Buffer.from(`[\n  ${rec('j1')},\n  {"chosen": "`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n]\n'),
      ]),
    );
    const r = await readPreferenceFile(f, 'bad.prefs.json');
    assert.equal(r.pairs.length, 0);
    assert.equal(r.problems.length, 1);
    assert.deepEqual([r.problems[0]!.line, r.problems[0]!.column], [3, 15]);
    assert.match(r.problems[0]!.message, /^invalid UTF-8: byte 0xC3 .*the file is not read$/);
  });

  test('the position finder agrees with the standard on overlongs, surrogates, truncation and range', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xe2, 0x82, 0xac], -1], // €
      [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
      [[0x61, 0xc0, 0xaf], 1], // overlong "/"
      [[0xe0, 0x80, 0xaf], 0], // overlong
      [[0x61, 0x62, 0xed, 0xa0, 0x80], 2], // encoded surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x61, 0xe2, 0x82], 1], // cut short
      [[0x61, 0x80], 1], // lone continuation
      [[0xff], 0],
    ];
    for (const [bytes, at] of cases)
      assert.equal(firstInvalidUtf8(Buffer.from(bytes)), at, bytes.map((b) => b.toString(16)).join(' '));
  });
});
