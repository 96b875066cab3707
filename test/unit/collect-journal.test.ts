// Collect never loses or changes a pick (issue 20, class 5): the pick is logged before its append (the log
// is the journal), a kill between any two steps is repaired at the next start without a duplicate, an
// answer typed while the file briefly cannot take it is kept in the log and appended later, a restart
// resumes after what was answered, and a pool that asks the same pair twice asks it once.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, type Asker, type CollectInputs, type Item } from '../../src/core/collect/session';
import { collectLogPath, readLog } from '../../src/core/collect/collect-log';
import type { JournalStep } from '../../src/core/collect/pick-journal';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { allowWritesUnder } from '../../src/core/write-guard';
import { cli } from './revalidate-fixture';

const pool = (n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'pair',
    context: [{ role: 'user', content: `Question ${i}?` }],
    responses: [`answer A${i}`, `answer B${i}`],
    sources: ['a', 'b'],
  }));

/** Answers 1 to everything, and remembers what it was asked. */
function firstAsker(limit = Infinity): Asker & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ask: async (s) => {
      if (asked.length >= limit) return undefined;
      asked.push(s.context[0]!.content);
      return { pick: '1' };
    },
  };
}

function setup() {
  const ws = mkdtempSync(join(tmpdir(), 'sm-journal-'));
  allowWritesUnder(ws);
  const file = join(ws, 'u.prefs.jsonl');
  const base = (asker: Asker, items: Item[], extra: Partial<CollectInputs> = {}): CollectInputs => ({
    userId: 'u',
    file,
    fileName: 'u.prefs.jsonl',
    root: ws,
    items,
    asker,
    temperature: 0,
    retestRate: 0,
    seed: 1,
    journal: { retryDelaysMs: [5, 5] },
    ...extra,
  });
  const pairs = () => parseJsonlText(readFileSync(file, 'utf8'), 'u.prefs.jsonl');
  const log = () => readLog(collectLogPath(ws, 'u'));
  return { ws, file, base, pairs, log };
}

const killAt = (step: JournalStep, n = 1) => {
  let seen = 0;
  return (s: JournalStep) => {
    if (s === step && ++seen === n) throw new Error(`killed after "${step}"`);
  };
};

describe('collect: the journal', () => {
  for (const step of ['logged', 'appended'] as const) {
    test(`a kill after the pick is ${step} is repaired at the restart: every pick in the file once, the log and the file agree`, async () => {
      const { base, pairs, log } = setup();
      await assert.rejects(
        collect(base(firstAsker(), pool(3), { journal: { retryDelaysMs: [], afterStep: killAt(step, 2) } })),
        /killed/,
      );
      const again = firstAsker();
      const s = await collect(base(again, pool(3)));
      const p = pairs();
      assert.deepEqual(p.problems, []);
      assert.deepEqual(
        p.pairs.map((x) => x.context[0]!.content),
        ['Question 0?', 'Question 1?', 'Question 2?'],
        'each pick once, in order',
      );
      assert.deepEqual(again.asked, ['Question 2?'], 'the restart asks only what was not answered');
      assert.equal(s.recovered, step === 'logged' ? 1 : 0, 'a pick logged and never appended is appended at the start');
      const events = await log();
      const picks = events.filter((e) => e.type === 'pick').map((e) => (e as { pairId: string }).pairId);
      const marks = events.filter((e) => e.type === 'appended').map((e) => (e as { pairId: string }).pairId);
      assert.deepEqual([...marks].sort(), [...picks].sort(), 'every pick in the log is marked appended once');
      assert.deepEqual(
        p.pairs.map((x) => x.pairId).sort(),
        [...picks].sort(),
        'the file holds exactly the logged picks',
      );
    });
  }

  test('an answer typed while the file ends in a half-saved line is kept in the log, said, and appended once the file reads', async () => {
    const { file, base, pairs, log } = setup();
    writeFileSync(
      file,
      JSON.stringify({
        user_id: 'u',
        pair_id: 'old',
        context: [{ role: 'user', content: 'Q?' }],
        chosen: 'a',
        rejected: 'b',
      }) + '\n',
    );
    const notes: string[] = [];
    // The person answers while an editor has saved half a line.
    const asker: Asker = {
      ask: async () => (appendFileSync(file, '{"user_id": "u", "pai'), { pick: '2', reason: 'clearer' }),
    };
    const s = await collect(
      base({ ask: async (sh) => (sh.index === 1 ? asker.ask(sh) : undefined) }, pool(2), {
        onNote: (m) => notes.push(m),
      }),
    );
    assert.equal(s.picked, 1);
    assert.equal(s.pending.length, 1, 'not in the file');
    assert.ok(
      notes.some((n) =>
        /last line does not read as JSON .*1 pick\(s\) are kept in \.synthesizeme\/collect\/u\.jsonl/.test(n),
      ),
      notes.join('\n'),
    );
    const [pick] = (await log()).filter((e) => e.type === 'pick');
    assert.equal((pick as { reason?: string }).reason, 'clearer', 'the pick, with its reason, is in the log');
    // The editor finishes its save; the next collect appends the kept pick first, and only once.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\{"user_id": "u", "pai$/, ''));
    const next = firstAsker();
    const t = await collect(base(next, pool(2)));
    assert.equal(t.recovered, 1);
    assert.deepEqual(next.asked, ['Question 1?'], 'the answered pair is not asked again');
    const p = pairs();
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.pairs.map((x) => [x.pairId === 'old' ? 'old' : x.context[0]!.content, x.chosen.content]),
      [
        ['old', 'a'],
        ['Question 0?', 'answer B0'],
        ['Question 1?', 'answer A1'],
      ],
    );
  });

  test('a half-saved line that the editor completes while the append is retried: the pick goes in at once', async () => {
    const { file, base, pairs } = setup();
    writeFileSync(file, '');
    const asker: Asker = {
      ask: async (sh) => {
        if (sh.index > 1) return undefined;
        appendFileSync(file, '{"user_id": "u", "pair_id": "typed", "context": [{"role": "user", "content": "x"}], ');
        setTimeout(() => appendFileSync(file, '"chosen": "c", "rejected": "r"}\n'), 20);
        return { pick: '1' };
      },
    };
    const s = await collect(base(asker, pool(1), { journal: { retryDelaysMs: [50, 100, 200] } }));
    assert.deepEqual(s.pending, []);
    assert.deepEqual(
      pairs()
        .pairs.map((x) => x.pairId)
        .slice(0, 1),
      ['typed'],
    );
    assert.equal(pairs().pairs.length, 2);
    assert.deepEqual(pairs().problems, []);
  });

  test('a pair deleted from the file by hand after its append does not come back at the next start', async () => {
    const { file, base, pairs } = setup();
    await collect(base(firstAsker(), pool(2)));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, lines[1] + '\n');
    await collect(base(firstAsker(), pool(3)));
    assert.deepEqual(
      pairs().pairs.map((x) => x.context[0]!.content),
      ['Question 1?', 'Question 2?'],
    );
  });
});

describe('collect: what is asked', () => {
  test('a restart after a kill resumes after the answered pool entries: nothing is asked or appended twice', async () => {
    const { base, pairs } = setup();
    const killed: Asker = {
      ask: async (s) => {
        if (s.index === 3) throw new Error('killed while the third pair was shown');
        return { pick: '2' };
      },
    };
    await assert.rejects(collect(base(killed, pool(4))), /killed/);
    const again = firstAsker();
    const notes: string[] = [];
    const s = await collect(base(again, pool(4), { onNote: (m) => notes.push(m) }));
    assert.deepEqual(again.asked, ['Question 2?', 'Question 3?']);
    assert.equal(s.resumed, 2);
    assert.ok(
      notes.some((n) => /2 item\(s\) were answered in an earlier session .*skipped/.test(n)),
      notes.join('\n'),
    );
    assert.deepEqual(
      pairs().pairs.map((x) => [x.context[0]!.content, x.chosen.content]),
      [
        ['Question 0?', 'answer B0'],
        ['Question 1?', 'answer B1'],
        ['Question 2?', 'answer A2'],
        ['Question 3?', 'answer A3'],
      ],
    );
  });

  test('a pool file that asks the same pair twice (answered 1, then 2): asked once, one record with its own answer, said in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-dup-'));
    const line = (answer: string, swap = false) =>
      JSON.stringify({
        prompt: 'Tea or coffee?',
        response_1: swap ? 'coffee' : 'tea',
        response_2: swap ? 'tea' : 'coffee',
        answer,
      });
    writeFileSync(
      join(dir, 'pool.jsonl'),
      [
        line('1'),
        JSON.stringify({ prompt: 'Other?', response_1: 'x', response_2: 'y', answer: '2' }),
        line('2'),
        line('1', true),
      ].join('\n') + '\n',
    );
    const c = cli(dir, { input: [] });
    const code = await c.call(
      'collect',
      '.',
      '--user',
      'zoe',
      '--pairs-from',
      'pool.jsonl',
      '--base-url',
      'http://127.0.0.1:9',
      '--json',
    );
    assert.equal(code, 0, c.err());
    const parsed = parseJsonlText(readFileSync(join(dir, 'zoe.prefs.jsonl'), 'utf8'), 'zoe.prefs.jsonl');
    assert.deepEqual(
      parsed.pairs.map((p) => [p.context[0]!.content, p.chosen.content, p.rejected.content]),
      [
        ['Tea or coffee?', 'tea', 'coffee'],
        ['Other?', 'y', 'x'],
      ],
    );
    const notes = c
      .err()
      .split('\n')
      .filter((l) => /ask what an earlier one asks/.test(l));
    assert.equal(notes.length, 1, c.err());
    assert.match(
      notes[0]!,
      /2 item\(s\) .*pool\.jsonl:3 repeats pool\.jsonl:1; pool\.jsonl:4 repeats pool\.jsonl:1.*asked once/,
    );
  });
});
