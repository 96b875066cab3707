// Gzip importers stream (issue 20): a .gz input is decompressed chunk by chunk into the line splitter and
// parsed line by line, never held whole. The records and problems are the same as from the plain file;
// a decompression bomb (a highly compressible huge line, or far more bytes than the file could hold) is
// refused with a message instead of filling memory.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { importFile, type ImportSource } from '../../src/core/data/importers/index';

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const turn = (role: string, content: string) => ({ role, content });

const arena = [
  {
    question_id: 'q1',
    model_a: 'a',
    model_b: 'b',
    winner: 'model_a',
    judge: 'u1',
    conversation_a: [turn('user', 'Hi?'), turn('assistant', 'Hello there.')],
    conversation_b: [turn('user', 'Hi?'), turn('assistant', 'Yo.')],
    turn: 1,
  },
  {
    question_id: 'q2',
    model_a: 'a',
    model_b: 'b',
    winner: 'model_b',
    judge: 'u2',
    conversation_a: [turn('user', 'Tea?'), turn('assistant', 'Green.')],
    conversation_b: [turn('user', 'Tea?'), turn('assistant', 'Black, strong.')],
    turn: 1,
  },
];
const prb = [{ user_id: 'u7', context: [turn('user', 'A plant?')], chosen: 'A pothos.', rejected: 'An orchid.' }];
const prismConv = [
  {
    conversation_id: 'c0',
    user_id: 'user0',
    conversation_history: [
      { role: 'user', content: 'Lie?', turn: 0 },
      { role: 'model', content: 'Sometimes.', if_chosen: true, within_turn_id: 0, turn: 0, score: 80 },
      { role: 'model', content: 'Never.', if_chosen: false, within_turn_id: 1, turn: 0, score: 20 },
    ],
  },
];
const prismSurvey = [{ user_id: 'user0', age: '25-34 years old' }];

function files(name: string, text: string | Buffer): { plain: string; gz: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-gz-'));
  const plain = join(dir, name);
  writeFileSync(plain, text);
  writeFileSync(`${plain}.gz`, gzipSync(text));
  return { plain, gz: `${plain}.gz` };
}

/** Records and problems, with the file names made equal (the .gz has another name). */
async function both(from: ImportSource, plain: string[], gz: string[]) {
  const strip = (r: Awaited<ReturnType<typeof importFile>>) =>
    JSON.parse(JSON.stringify(r).replaceAll('.gz', '')) as unknown;
  return [strip(await importFile(from, plain)), strip(await importFile(from, gz))];
}

describe('gzip importers stream', () => {
  test('a gzipped JSONL gives the same records and problems as the plain file: arena (with a broken and a truncated line), prb, prism', async () => {
    const a = files('arena.jsonl', `${jsonl(arena)}{"question_id": broken\n${JSON.stringify(arena[0]).slice(0, 30)}`);
    const [pa, ga] = await both('arena', [a.plain], [a.gz]);
    assert.deepEqual(ga, pa);
    assert.equal((pa as { records: unknown[] }).records.length, 2);
    const p = files('prb.jsonl', jsonl(prb));
    const [pp, gp] = await both('prb', [p.plain], [p.gz]);
    assert.deepEqual(gp, pp);
    const c = files('conv.jsonl', jsonl(prismConv));
    const s = files('survey.jsonl', jsonl(prismSurvey));
    // Survey first: the conversations file is told by its first bytes, streamed or not.
    const [pc, gc] = await both('prism', [s.plain, c.plain], [s.gz, c.gz]);
    assert.deepEqual(gc, pc);
    assert.equal((pc as { records: { demographics?: unknown }[] }).records[0]!.demographics !== undefined, true);
  });

  test('a gzipped JSON array is read whole (under the cap), the same as the plain file', async () => {
    const a = files('arena.json', JSON.stringify(arena, null, 2));
    const [pa, ga] = await both('arena', [a.plain], [a.gz]);
    assert.deepEqual(ga, pa);
  });

  const HH = resolve(process.cwd(), '..', 'shared', 'data', 'hh-rlhf-harmless-base-test.jsonl.gz');
  test(
    'the real HH test split: the .gz gives the same records as its plain text',
    { skip: !existsSync(HH) && 'the HH file is not on this machine' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sm-gz-hh-'));
      const plain = join(dir, 'hh.jsonl');
      writeFileSync(plain, gunzipSync(readFileSync(HH)));
      const strip = (r: Awaited<ReturnType<typeof importFile>>) =>
        JSON.stringify(r).replaceAll(HH, 'F').replaceAll(plain, 'F');
      const fromGz = await importFile('hh', [HH], { users: 10 });
      assert.ok(fromGz.records.length > 1000, `${fromGz.records.length} records`);
      assert.equal(strip(fromGz), strip(await importFile('hh', [plain], { users: 10 })));
    },
  );

  test('a bomb: a highly compressible huge line is dropped as it streams, said at its line; the rest is read', async () => {
    const huge = `{"chosen": "${'a'.repeat(3 * 1048576)}"}\n`;
    const f = files(
      'hh.jsonl',
      Buffer.concat([
        Buffer.from(huge),
        Buffer.from(
          jsonl([{ chosen: '\n\nHuman: Hi\n\nAssistant: Hello.', rejected: '\n\nHuman: Hi\n\nAssistant: Go.' }]),
        ),
      ]),
    );
    const r = await importFile('hh', [f.gz], { gzip: { maxLineBytes: 1048576 } });
    assert.match(r.problems[0]!.message, /^line of 3 MB exceeds the 1 MB limit for one record: not read$/);
    assert.equal(r.problems[0]!.line, 1);
    assert.equal(r.records.length, 1, 'the line after it is read');
  });

  test('a bomb: a stream that decompresses past the cap is refused with one line', async () => {
    const f = files('arena.jsonl', '\n'.repeat(8 * 1048576));
    await assert.rejects(
      importFile('arena', [f.gz], { gzip: { maxDecompressedBytes: 4 * 1048576 } }),
      /arena\.jsonl\.gz: decompresses to more than 4 MB: refused \(a decompression bomb\?\)/,
    );
  });

  test('a broken gzip is one line, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-gz-bad-'));
    writeFileSync(join(dir, 'x.jsonl.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]));
    await assert.rejects(importFile('prb', [join(dir, 'x.jsonl.gz')]), /cannot read .*x\.jsonl\.gz: /);
  });
});
