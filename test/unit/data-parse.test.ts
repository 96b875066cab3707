import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdtempSync,
  writeFileSync,
  readFileSync,
  statSync,
  openSync,
  writeSync,
  closeSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { parseJsonText } from '../../src/core/data/parse-json';
import { parseYamlText } from '../../src/core/data/parse-yaml';
import { readPreferenceFile } from '../../src/core/data/read-file';

const rec = (o: Record<string, unknown>) =>
  JSON.stringify({
    user_id: 'u1',
    context: [{ role: 'user', content: 'Hi?' }],
    chosen: 'Short answer.',
    rejected: 'A long rambling answer.',
    ...o,
  });

describe('JSONL', () => {
  test('reads pairs with positions, turns and defaults', () => {
    const text =
      [rec({ pair_id: 'p1' }), '', rec({ pair_id: 'p2', context: 'just a string', split: 'val', flip: true })].join(
        '\n',
      ) + '\n';
    const r = parseJsonlText(text, 'a.prefs.jsonl');
    assert.equal(r.problems.length, 0, JSON.stringify(r.problems));
    assert.equal(r.pairs.length, 2);
    assert.equal(r.pairs[0]!.source.line, 1);
    assert.equal(r.pairs[1]!.source.line, 3);
    assert.deepEqual(r.pairs[1]!.context, [{ role: 'user', content: 'just a string' }]);
    assert.deepEqual(r.pairs[0]!.chosen, { role: 'assistant', content: 'Short answer.' });
    assert.equal(r.pairs[1]!.split, 'validation');
    assert.equal(r.pairs[1]!.flip, true);
  });

  test('a malformed line gives line and column, and the rest still loads', () => {
    const text = [rec({ pair_id: 'p1' }), '{"user_id": "u1", "context": }', rec({ pair_id: 'p3' })].join('\n');
    const r = parseJsonlText(text, 'f.jsonl');
    assert.equal(r.pairs.length, 2);
    assert.equal(r.problems.length, 1);
    const p = r.problems[0]!;
    assert.equal(p.line, 2);
    assert.equal(p.column, 30, p.message);
    assert.match(p.message, /malformed JSON/);
  });

  test('missing field, wrong type, empty response, chosen == rejected, unknown split', () => {
    const lines = [
      JSON.stringify({ context: 'q', chosen: 'a', rejected: 'b' }),
      rec({ chosen: 42 }),
      rec({ rejected: '   ' }),
      rec({ chosen: 'same', rejected: 'same' }),
      rec({ pair_id: 'ok', split: 'holdout' }),
    ];
    const r = parseJsonlText(lines.join('\n') + '\n', 'f.jsonl');
    const byLine = new Map(r.problems.map((p) => [p.line, p]));
    assert.match(byLine.get(1)!.message, /missing field "user_id"/);
    assert.match(byLine.get(2)!.message, /"chosen".*found a number/);
    assert.equal(byLine.get(2)!.column, lines[1]!.indexOf('42') + 1, 'points at the value');
    assert.match(byLine.get(3)!.message, /"rejected" is an empty response/);
    assert.match(byLine.get(4)!.message, /same text/);
    assert.match(byLine.get(5)!.message, /unknown split "holdout"/);
    assert.equal(byLine.get(5)!.severity, 'warning');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['ok'],
      'only the valid record loads',
    );
    assert.equal(r.pairs[0]!.split, undefined);
  });

  test('duplicate pair_id in one file keeps the first', () => {
    const r = parseJsonlText(
      [rec({ pair_id: 'x', chosen: 'first' }), rec({ pair_id: 'x', chosen: 'second' })].join('\n'),
      'f.jsonl',
    );
    assert.equal(r.pairs.length, 1);
    assert.equal(r.pairs[0]!.chosen.content, 'first');
    assert.match(r.problems[0]!.message, /duplicate pair_id "x".*first at line 1/);
    assert.equal(r.problems[0]!.line, 2);
  });

  test('BOM, CRLF and a truncated last line', () => {
    const text =
      '\ufeff' + rec({ pair_id: 'a' }) + '\r\n' + rec({ pair_id: 'b' }) + '\r\n' + rec({ pair_id: 'c' }).slice(0, 40);
    const r = parseJsonlText(text, 'f.jsonl');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['a', 'b'],
    );
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.line, 3);
    assert.match(r.problems[0]!.message, /truncated last line/);
  });

  test('stable derived pair ids', () => {
    const a = parseJsonlText(rec({}) + '\n' + rec({ chosen: 'other' }), 'dir/x.prefs.jsonl');
    const b = parseJsonlText('\n\n' + rec({}) + '\n' + rec({ chosen: 'other' }), 'dir/x.prefs.jsonl');
    assert.deepEqual(
      a.pairs.map((p) => p.pairId),
      ['x.prefs.jsonl#1', 'x.prefs.jsonl#2'],
    );
    assert.deepEqual(
      b.pairs.map((p) => p.pairId),
      a.pairs.map((p) => p.pairId),
      'blank lines do not change ids',
    );
  });

  test('PersonalRewardBench rows read as is', () => {
    const row = {
      conversation_id: 'c-17',
      user_id: 'user42',
      context: [{ role: 'user', content: 'Plan a trip' }],
      chosen: { role: 'assistant', content: 'Day 1: ...' },
      rejected: { role: 'assistant', content: 'Go anywhere.' },
      split: 'train',
      flip: false,
      turns: 1,
      type: 'unguided',
    };
    const r = parseJsonlText(JSON.stringify(row), 'prb.jsonl');
    assert.equal(r.problems.length, 0);
    const p = r.pairs[0]!;
    assert.equal(p.pairId, 'c-17');
    assert.equal(p.split, 'context');
    assert.equal(p.flip, false);
    assert.deepEqual(p.meta, { turns: 1, type: 'unguided' });
  });

  test('non-object lines are reported', () => {
    const r = parseJsonlText('[1,2]\n"text"\n', 'f.jsonl');
    assert.equal(r.pairs.length, 0);
    assert.equal(r.problems.length, 2);
    assert.match(r.problems[0]!.message, /found a list/);
  });
});

describe('JSON', () => {
  test('array elements get their own ranges; a broken element is confined', () => {
    const text = `[\n  ${rec({ pair_id: 'a' })},\n  {"user_id": "u1", "chosen": tru},\n  ${rec({ pair_id: 'c' })}\n]\n`;
    const r = parseJsonText(text, 'f.prefs.json');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['a', 'c'],
    );
    assert.equal(r.pairs[0]!.source.line, 2);
    assert.equal(r.pairs[0]!.source.column, 3);
    assert.equal(r.pairs[1]!.source.line, 4);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.line, 3);
    assert.match(r.problems[0]!.message, /malformed JSON/);
  });

  test('multi-line elements and strings with brackets', () => {
    const el = JSON.stringify(
      { user_id: 'u', pair_id: 'x', context: 'what is [1, {2}]?', chosen: 'a "quoted" ] answer', rejected: 'b' },
      null,
      2,
    );
    const r = parseJsonText(`[${el}, ${el.replace('"x"', '"y"')}]`, 'f.json');
    assert.equal(r.problems.length, 0, JSON.stringify(r.problems));
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['x', 'y'],
    );
    assert.equal(r.pairs[0]!.source.endLine, 7);
  });

  test('truncated array and not-an-array', () => {
    const r = parseJsonText(`[${rec({ pair_id: 'a' })}, ${rec({ pair_id: 'b' }).slice(0, 30)}`, 'f.json');
    assert.deepEqual(
      r.pairs.map((p) => p.pairId),
      ['a'],
    );
    assert.ok(
      r.problems.some((p) => /ends before the array is closed|ends too early/.test(p.message)),
      JSON.stringify(r.problems),
    );
    const s = parseJsonText('42', 'g.json');
    assert.equal(s.pairs.length, 0);
    assert.match(s.problems[0]!.message, /expected a JSON array/);
    const e = parseJsonText('', 'h.json');
    assert.match(e.problems[0]!.message, /empty file/);
  });
});

describe('YAML', () => {
  test('a list of pairs with block scalars and node ranges', () => {
    const text = `- user_id: u1\n  pair_id: p1\n  context: How do I boil an egg?\n  chosen: |\n    Put it in boiling water\n    for 8 minutes.\n  rejected: Just cook it.\n- user_id: u1\n  pair_id: p2\n  context:\n    - role: user\n      content: Hello\n  chosen: Hi!\n  rejected: Hello there, how may I help?\n  split: test\n`;
    const r = parseYamlText(text, 'c.prefs.yaml');
    assert.equal(r.problems.length, 0, JSON.stringify(r.problems));
    assert.equal(r.pairs.length, 2);
    assert.equal(r.pairs[0]!.chosen.content, 'Put it in boiling water\nfor 8 minutes.\n');
    assert.equal(r.pairs[0]!.source.line, 1);
    assert.equal(r.pairs[0]!.source.column, 3);
    assert.equal(r.pairs[1]!.source.line, 8);
    assert.equal(r.pairs[1]!.split, 'test');
  });

  test('a mapping user_id -> pairs; bad items reported at their line', () => {
    const text = `dana:\n  - context: Q1\n    chosen: A formal reply.\n    rejected: hey!! 😀\n  - context: Q2\n    chosen: 7\n    rejected: b\nerin: not a list\n`;
    const r = parseYamlText(text, 'd.prefs.yaml');
    assert.equal(r.pairs.length, 1);
    assert.equal(r.pairs[0]!.userId, 'dana');
    assert.deepEqual(
      r.problems.map((p) => p.line),
      [6, 8],
    );
    assert.match(r.problems[0]!.message, /"chosen"/);
    assert.match(r.problems[1]!.message, /user "erin": expected a list/);
  });

  test('syntax errors have positions', () => {
    const r = parseYamlText('- user_id: u\n  context: [unclosed\n', 'x.yaml');
    assert.ok(r.problems.length >= 1);
    assert.match(r.problems[0]!.message, /^YAML:/);
    assert.ok(r.problems[0]!.line >= 1);
  });
});

describe('files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smd-'));

  test('a binary file is reported, not read', async () => {
    const f = join(dir, 'bin.prefs.jsonl');
    writeFileSync(f, Buffer.from([0x7b, 0x00, 0x01, 0x02, 0xff, 0x0a]));
    const r = await readPreferenceFile(f, 'bin.prefs.jsonl');
    assert.equal(r.pairs.length, 0);
    assert.match(r.problems[0]!.message, /binary file/);
  });

  test('reading never modifies a file', async () => {
    const f = join(dir, 'keep.prefs.jsonl');
    const body = '\ufeff' + rec({ pair_id: 'a' }) + '\r\n{bad\r\n';
    writeFileSync(f, body);
    const before = statSync(f).mtimeMs;
    const r = await readPreferenceFile(f, 'keep.prefs.jsonl');
    assert.equal(r.pairs.length, 1);
    assert.equal(readFileSync(f, 'utf8'), body);
    assert.equal(statSync(f).mtimeMs, before);
  });

  test('JSONL streams across chunk boundaries (a 9 MB file)', async () => {
    const f = join(dir, 'big.prefs.jsonl');
    const fd = openSync(f, 'w');
    const n = 12000;
    for (let i = 0; i < n; i++)
      writeSync(
        fd,
        rec({ pair_id: `p${i}`, chosen: `answer ${i} ${'x'.repeat(700)}` }) + (i === 5000 ? '\n{oops\n' : '\n'),
      );
    closeSync(fd);
    const r = await readPreferenceFile(f, 'big.prefs.jsonl');
    assert.equal(r.pairs.length, n);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.line, 5002);
    assert.equal(r.pairs[n - 1]!.source.line, n + 1);
  });

  test('oversized JSON is refused with advice, unknown extensions too', async () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'hello');
    const r = await readPreferenceFile(f, 'notes.txt');
    assert.match(r.problems[0]!.message, /not a preference file/);
  });
});

describe('very large files', () => {
  test('a 500 MB JSON file is refused at once with advice, without being read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smd-big-'));
    const f = join(dir, 'huge.prefs.json');
    // A sparse file: 500 MB on paper, nothing on disk.
    closeSync(openSync(f, 'w'));
    truncateSync(f, 500 * 1024 * 1024);
    const r = await readPreferenceFile(f, 'huge.prefs.json');
    assert.equal(r.pairs.length, 0);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /500 MB is too large to read as JSON; convert it to JSONL/);
    assert.deepEqual([r.problems[0]!.line, r.problems[0]!.column], [1, 1]);
  });
});
