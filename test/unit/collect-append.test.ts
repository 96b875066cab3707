// Collect's appends and reads (issue 20, class 5): an append costs about the size of the pick (only the
// file's last line is read), YAML forms that an append would break are refused before anything is
// generated, a generated response far past its cap by length is a failed generation whatever the server
// counted, and the collect log and the pool file are read under the read guard (no FIFO opened, no link
// out of the workspace followed).

import { unblockFifoLater } from './reliability-reads-fixture';
import { cli } from './revalidate-fixture';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreferenceAppender } from '../../src/core/collect/append-pair';
import { collectLogPath, readLog } from '../../src/core/collect/collect-log';
import { generateCandidates, GENERATION_CAP } from '../../src/core/collect/generate';
import { parseYamlText } from '../../src/core/data/parse-yaml';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { allowWritesUnder } from '../../src/core/write-guard';
import type { ChatModel } from '../../src/core/llm/types';
import { collectedRecord, countingIo, writeLargeJsonl } from '../bench/collect-bench';

const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  allowWritesUnder(d);
  return d;
};

describe('collect: an append costs the size of the pick', () => {
  test('five appends to an 8 MB file read only its last lines, never the whole file', async () => {
    const dir = tmp('sm-append-cost-');
    const path = join(dir, 'big.prefs.jsonl');
    const size = writeLargeJsonl(path, 8);
    const io = countingIo();
    const appender = await PreferenceAppender.open(path, 'big.prefs.jsonl', io);
    for (let i = 0; i < 5; i++) await appender.append(collectedRecord(i));
    assert.equal(io.readFileCalls, 0);
    assert.ok(
      io.bytesRead <= 5 * 64 * 1024,
      `${io.bytesRead} bytes read for 5 appends to a ${size}-byte file: at most one 64 KB window each`,
    );
    const tail = readFileSync(path, 'utf8')
      .split('\n')
      .slice(-6, -1)
      .map((l) => (JSON.parse(l) as { pair_id: string }).pair_id);
    assert.deepEqual(
      tail,
      [0, 1, 2, 3, 4].map((i) => `collected-bench-${i}`),
    );
  });

  test('a last line without a newline gets one before the record; the old bytes stay', async () => {
    const dir = tmp('sm-append-nl-');
    const path = join(dir, 'x.prefs.jsonl');
    const before = JSON.stringify({
      user_id: 'u',
      pair_id: 'p1',
      context: [{ role: 'user', content: 'q' }],
      chosen: 'a',
      rejected: 'b',
    });
    writeFileSync(path, before);
    await (await PreferenceAppender.open(path)).append(collectedRecord(1));
    const after = readFileSync(path, 'utf8');
    assert.ok(after.startsWith(`${before}\n`));
    assert.deepEqual(parseJsonlText(after, 'x').problems, []);
    assert.equal(parseJsonlText(after, 'x').pairs.length, 2);
  });
});

describe('collect: YAML forms an append cannot break', () => {
  const pair = (id: string) =>
    `- user_id: chen\n  pair_id: ${id}\n  context:\n    - role: user\n      content: "Hi?"\n  chosen: hello\n  rejected: go away\n`;
  const accepted: [string, string][] = [
    ['a block list', pair('c1')],
    ['a list with comments at its end', `${pair('c1')}# more to come\n  # an indented comment`],
    ['a list opened by ---', `---\n${pair('c1')}`],
    [
      'a list whose last text is a |+ block scalar',
      `${pair('c0')}- user_id: chen\n  pair_id: c1\n  context: [{role: user, content: "Hi?"}]\n  rejected: no\n  chosen: |+\n    kept lines\n\n`,
    ],
    ['comments only', '# nothing yet\n'],
  ];
  const refused: [string, string, RegExp][] = [
    [
      'a mapping of users',
      `chen:\n  - pair_id: x\n    context: [{role: user, content: hi}]\n    chosen: a\n    rejected: b\n`,
      /not a YAML list of pairs at its top level/,
    ],
    [
      'a flow-style list',
      `[{user_id: chen, pair_id: x, context: [{role: user, content: hi}], chosen: a, rejected: b}]\n`,
      /flow-style list/,
    ],
    ['several documents', `${pair('c1')}---\n${pair('c2')}`, /holds 2 YAML documents/],
    ['a document closed by ...', `${pair('c1')}...\n`, /ends with "\.\.\."/],
    ['an indented list', pair('c1').replace(/^/gm, '  '), /indented/],
  ];
  for (const [name, text] of accepted) {
    test(`accepted: ${name}; the appended item joins the list and changes no earlier text`, async () => {
      const dir = tmp('sm-yaml-ok-');
      const path = join(dir, 'chen.prefs.yaml');
      writeFileSync(path, text);
      const before = parseYamlText(text, 'y').pairs;
      await (await PreferenceAppender.open(path, 'chen.prefs.yaml')).append({ ...collectedRecord(9), user_id: 'chen' });
      const after = readFileSync(path, 'utf8');
      assert.ok(after.startsWith(text));
      const parsed = parseYamlText(after, 'y');
      assert.deepEqual(parsed.problems, [], after);
      assert.equal(parsed.pairs.length, before.length + 1, after);
      assert.deepEqual(
        parsed.pairs.slice(0, -1).map((p) => [p.chosen.content, p.rejected.content]),
        before.map((p) => [p.chosen.content, p.rejected.content]),
      );
    });
  }
  for (const [name, text, why] of refused) {
    test(`refused with one line before anything is generated: ${name}`, async () => {
      const dir = tmp('sm-yaml-no-');
      const path = join(dir, 'chen.prefs.yaml');
      writeFileSync(path, text);
      await assert.rejects(
        PreferenceAppender.open(path, 'chen.prefs.yaml'),
        (err: Error) => why.test(err.message) && !err.message.includes('\n'),
      );
      assert.equal(readFileSync(path, 'utf8'), text);
    });
  }
});

describe('collect: a response far past its cap by length', () => {
  test('is a failed generation, whatever the server counted', async () => {
    const model = (text: string): ChatModel => ({
      provider: 'ollama',
      model: 'm',
      chat: async () => ({
        text,
        usage: { promptTokens: 5, completionTokens: 12 },
        latencyMs: 1,
        cached: false,
        model: 'm',
      }),
    });
    const long = { label: 'long', model: model('and on '.repeat(3000)), system: 's' };
    const short = { label: 'short', model: model('Short.'), system: 's' };
    await assert.rejects(
      generateCandidates(long, short, [{ role: 'user', content: 'q' }], { temperature: 0, seed: 1 }),
      new RegExp(
        `long's response is 21,000 characters, far past what its cap of ${GENERATION_CAP} tokens can hold \\(the server counted 12\\)`,
      ),
    );
    const fine = await generateCandidates(
      { ...long, model: model('word '.repeat(1000)) },
      short,
      [{ role: 'user', content: 'q' }],
      { temperature: 0, seed: 1 },
    );
    assert.equal(fine.ok, true, 'a long answer within the bound is a candidate');
  });
});

const unblockLater = (fifo: string) => unblockFifoLater(fifo);

describe('collect: the log and the pool file are read under the read guard', () => {
  test('a collect log that is a FIFO is refused by its kind, never opened', { timeout: 10_000 }, async () => {
    const ws = tmp('sm-log-fifo-');
    const log = collectLogPath(ws, 'u');
    mkdirSync(join(ws, '.synthesizeme', 'collect'), { recursive: true });
    execFileSync('mkfifo', [log]);
    unblockLater(log);
    await assert.rejects(readLog(log), /refusing to read collect log .*named pipe \(FIFO\)/);
  });

  test('a collect log linked out of the workspace is refused with one line', async () => {
    const ws = tmp('sm-log-link-');
    const outside = mkdtempSync(join(tmpdir(), 'sm-outside-'));
    writeFileSync(join(outside, 'secret.jsonl'), '{"type":"tie"}\n');
    mkdirSync(join(ws, '.synthesizeme', 'collect'), { recursive: true });
    symlinkSync(join(outside, 'secret.jsonl'), collectLogPath(ws, 'u'));
    await assert.rejects(
      readLog(collectLogPath(ws, 'u')),
      /refusing to read .*symbolic link to .*outside the workspace/,
    );
  });

  test(
    'a pool file that is a FIFO: exit 2 with one line, never opened; one linked out of the workspace: refused',
    { timeout: 10_000 },
    async () => {
      // The FIFO is named on the command line, beside the workspace: only the pool's read meets it.
      const dir = tmp('sm-pool-fifo-');
      mkdirSync(join(dir, 'ws'));
      execFileSync('mkfifo', [join(dir, 'pool.jsonl')]);
      unblockLater(join(dir, 'pool.jsonl'));
      const a = cli(dir, { input: [] });
      assert.equal(
        await a.run('collect', 'ws', '--user', 'zoe', '--pairs-from', 'pool.jsonl', '--base-url', 'http://127.0.0.1:9'),
        2,
        a.err(),
      );
      assert.match(a.err(), /refusing to read pool file .*named pipe \(FIFO\)/);
      const outside = mkdtempSync(join(tmpdir(), 'sm-outside-'));
      writeFileSync(
        join(outside, 'p.jsonl'),
        JSON.stringify({ prompt: 'Q?', response_1: 'a', response_2: 'b', answer: '1' }) + '\n',
      );
      symlinkSync(join(outside, 'p.jsonl'), join(dir, 'ws', 'linked.jsonl'));
      const b = cli(dir, { input: [] });
      assert.equal(
        await b.run(
          'collect',
          'ws',
          '--user',
          'zoe',
          '--pairs-from',
          join('ws', 'linked.jsonl'),
          '--base-url',
          'http://127.0.0.1:9',
        ),
        2,
        b.err(),
      );
      assert.match(b.err(), /refusing to read .*linked\.jsonl is a symbolic link to .*outside the workspace/);
    },
  );
});
