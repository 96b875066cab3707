// export --as preference-data: a workspace's pairs as the JSONL a trainer reads (TRL's RewardTrainer and
// DPOTrainer): the lines' shape (single- and multi-turn), the persona as a system message, the splits and
// the test-set rule, collected pairs, and the write rules of a named output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './revalidate-fixture';

const q = (text: string) => ({ role: 'user', content: text });
const a = (text: string) => ({ role: 'assistant', content: text });

/** ada: 7 pairs with explicit splits (one multi-turn, one opening with a system message, one collected); bruno: 5, no persona. */
function workspace(): { dir: string; ws: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-prefdata-'));
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'personas'), { recursive: true });
  const pair = (user: string, id: string, split: string, context: unknown, extra: object = {}) =>
    JSON.stringify({
      user_id: user,
      pair_id: id,
      split,
      context,
      chosen: `good ${id}`,
      rejected: `bad ${id}`,
      ...extra,
    });
  const lines = [
    pair('ada', 'a0', 'context', 'How do I boil an egg?'),
    pair('ada', 'a1', 'context', [q('Plan a trip.'), a('Where to?'), q('Lisbon, three days.')]),
    pair('ada', 'a2', 'validation', 'Name a prime.'),
    pair('ada', 'a3', 'test', 'Secret test question one?'),
    pair('ada', 'a4', 'test', 'Secret test question two?'),
    pair('ada', 'a6', 'context', [{ role: 'system', content: 'Be brief.' }, q('Sum 2 and 2.')]),
    ...['b0', 'b1', 'b2', 'b3', 'b4'].map((id, i) => pair('bruno', id, i < 3 ? 'context' : 'test', `Bruno asks ${id}`)),
  ];
  writeFileSync(join(ws, 'prefs.jsonl'), lines.join('\n') + '\n');
  // A pair collected in the editor: an ordinary pair of the workspace, in its own file.
  const collected = { collected: { at: '2026-01-01T00:00:00Z', sources: { chosen: 'm1', rejected: 'm2' } } };
  writeFileSync(
    join(ws, 'ada.collected.jsonl'),
    pair('ada', 'a5', 'context', 'Collected question?', { meta: collected }) + '\n',
  );
  writeFileSync(
    join(ws, 'personas', 'ada.persona.yaml'),
    'user_id: ada\npersona: |\n  Ada wants short, exact answers.\n',
  );
  return { dir, ws };
}

interface Message {
  role: string;
  content: string;
}
interface Line {
  prompt: Message[];
  chosen: Message[];
  rejected: Message[];
}

/**
 * A reader shaped like TRL's: a JSONL file as rows, each an explicit-prompt preference example; conversational
 * when the prompt is a list of {role, content} messages (trl.data_utils.is_conversational), every row in the
 * same form (a dataset's columns have one type), roles a chat template knows, a system message only first.
 */
function readLikeTrl(text: string): Line[] {
  const rows = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const row of rows) {
    for (const key of ['prompt', 'chosen', 'rejected']) {
      const messages = row[key];
      assert.ok(Array.isArray(messages) && messages.length, `${key} is a non-empty list of messages`);
      for (const [i, m] of (messages as Message[]).entries()) {
        assert.deepEqual(Object.keys(m).sort(), ['content', 'role']);
        assert.equal(typeof m.content, 'string');
        assert.ok(['system', 'user', 'assistant'].includes(m.role), `role ${m.role}`);
        if (m.role === 'system') assert.ok(key === 'prompt' && i === 0, 'a system message only opens the prompt');
      }
    }
    assert.deepEqual(
      (row.chosen as Message[]).map((m) => m.role),
      ['assistant'],
    );
    assert.deepEqual(
      (row.rejected as Message[]).map((m) => m.role),
      ['assistant'],
    );
    assert.equal((row.prompt as Message[]).at(-1)!.role, 'user', 'the prompt ends with the turn the responses answer');
  }
  return rows as unknown as Line[];
}

const byChosen = (lines: Line[]) => new Map(lines.map((l) => [l.chosen[0]!.content, l]));

test('export --as preference-data: one conversational line a pair, single- and multi-turn, collected pairs in, test left out with a note', async () => {
  const { dir } = workspace();
  const c = cli(dir);
  assert.equal(await c.run('export', 'ws', '--as', 'preference-data', '--user', 'ada'), 0, c.err());
  const lines = byChosen(readLikeTrl(c.out()));
  assert.deepEqual([...lines.keys()].sort(), ['good a0', 'good a1', 'good a2', 'good a5', 'good a6']);
  assert.deepEqual(lines.get('good a0'), {
    prompt: [q('How do I boil an egg?')],
    chosen: [a('good a0')],
    rejected: [a('bad a0')],
  });
  assert.deepEqual(lines.get('good a1')!.prompt, [q('Plan a trip.'), a('Where to?'), q('Lisbon, three days.')]);
  assert.doesNotMatch(c.out(), /Secret test question/);
  assert.match(c.err(), /note: export: left out 2 test pair\(s\).*--split test or --split all/);
});

test('export --persona: the persona file first, as one system message (merged with a system message of the conversation)', async () => {
  const { dir } = workspace();
  const c = cli(dir);
  assert.equal(await c.run('export', 'ws', '--as', 'preference-data', '--user', 'ada', '--persona'), 0, c.err());
  const lines = byChosen(readLikeTrl(c.out()));
  const persona = { role: 'system', content: 'Ada wants short, exact answers.' };
  assert.deepEqual(lines.get('good a0')!.prompt, [persona, q('How do I boil an egg?')]);
  assert.deepEqual(lines.get('good a1')!.prompt, [
    persona,
    q('Plan a trip.'),
    a('Where to?'),
    q('Lisbon, three days.'),
  ]);
  assert.deepEqual(lines.get('good a6')!.prompt, [
    { role: 'system', content: 'Ada wants short, exact answers.\n\nBe brief.' },
    q('Sum 2 and 2.'),
  ]);
});

test('export --persona: a user without a persona file is an error that names them, and nothing is written', async () => {
  const { dir } = workspace();
  const c = cli(dir);
  const code = await c.run('export', 'ws', '--as', 'preference-data', '--all', '--persona', '--out', 'train.jsonl');
  assert.equal(code, 2);
  assert.match(c.err(), /no persona file for user "bruno"/);
  assert.doesNotMatch(c.err(), /"ada"/);
  assert.equal(existsSync(join(dir, 'train.jsonl')), false);
});

test('export --split: one split, all, and --out-dir one file a split (the test file only when asked)', async () => {
  const { dir } = workspace();
  const only = cli(dir);
  assert.equal(await only.run('export', 'ws', '--as', 'preference-data', '--all', '--split', 'test'), 0, only.err());
  assert.deepEqual([...byChosen(readLikeTrl(only.out())).keys()].sort(), ['good a3', 'good a4', 'good b3', 'good b4']);
  assert.doesNotMatch(only.err(), /left out/);

  const train = cli(dir);
  assert.equal(
    await train.run('export', 'ws', '--as', 'preference-data', '--all', '--out-dir', 'data'),
    0,
    train.err(),
  );
  assert.deepEqual(readdirSync(join(dir, 'data')).sort(), ['context.jsonl', 'validation.jsonl']);
  assert.match(train.out(), /Wrote 7 pair\(s\) \(context\) to data\/context\.jsonl/);
  assert.match(train.err(), /left out 4 test pair\(s\)/);
  const context = readLikeTrl(readFileSync(join(dir, 'data', 'context.jsonl'), 'utf8'));
  assert.equal(context.length, 7);

  const all = cli(dir);
  const code = await all.run('export', 'ws', '--as', 'preference-data', '--all', '--split', 'all', '--out-dir', 'all');
  assert.equal(code, 0, all.err());
  assert.deepEqual(readdirSync(join(dir, 'all')).sort(), ['context.jsonl', 'test.jsonl', 'validation.jsonl']);
  assert.equal(readLikeTrl(readFileSync(join(dir, 'all', 'test.jsonl'), 'utf8')).length, 4);

  const one = cli(dir);
  assert.equal(
    await one.run('export', 'ws', '--as', 'preference-data', '--all', '--split', 'all', '--out', 'x.jsonl'),
    0,
  );
  assert.equal(readLikeTrl(readFileSync(join(dir, 'x.jsonl'), 'utf8')).length, 12);
  assert.match(one.out(), /Wrote 12 pair\(s\) to x\.jsonl/);

  const bad = cli(dir);
  assert.equal(await bad.run('export', 'ws', '--as', 'preference-data', '--all', '--split', 'train'), 2);
  assert.match(bad.err(), /--split context, validation, test or all/);
});

test('export --out: a link out of the folder on its way is refused; an existing file needs --force; a preference file never', async () => {
  const { dir, ws } = workspace();
  const outside = mkdtempSync(join(tmpdir(), 'sm-prefdata-outside-'));
  symlinkSync(outside, join(ws, 'o'));
  const linked = cli(dir);
  assert.equal(await linked.run('export', 'ws', '--as', 'preference-data', '--all', '--out', 'ws/o/train.jsonl'), 2);
  assert.match(linked.err(), /refusing to use \S*ws\/o\/train\.jsonl as an output file: \S*ws\/o is a symbolic link/);
  const viaDir = cli(dir);
  assert.equal(await viaDir.run('export', 'ws', '--as', 'preference-data', '--all', '--out-dir', 'ws/o/data'), 2);
  assert.deepEqual(readdirSync(outside), []);
  assert.equal(existsSync(join(ws, '.synthesizeme')), false, 'refused before the workspace is opened (nothing pinned)');

  writeFileSync(join(dir, 'train.jsonl'), 'keep me\n');
  const exists = cli(dir);
  assert.equal(await exists.run('export', 'ws', '--as', 'preference-data', '--all', '--out', 'train.jsonl'), 2);
  assert.match(exists.err(), /train\.jsonl exists: .*--force/);
  assert.equal(readFileSync(join(dir, 'train.jsonl'), 'utf8'), 'keep me\n');
  const forced = cli(dir);
  assert.equal(
    await forced.run('export', 'ws', '--as', 'preference-data', '--all', '--out', 'train.jsonl', '--force'),
    0,
  );
  assert.equal(readLikeTrl(readFileSync(join(dir, 'train.jsonl'), 'utf8')).length, 8);

  const source = readFileSync(join(ws, 'prefs.jsonl'), 'utf8');
  const over = cli(dir);
  const code = await over.run('export', 'ws', '--as', 'preference-data', '--all', '--out', 'ws/prefs.jsonl', '--force');
  assert.equal(code, 2);
  assert.match(over.err(), /is a preference file of the workspace/);
  assert.equal(readFileSync(join(ws, 'prefs.jsonl'), 'utf8'), source);
});

test('export --as preference-data: the options of the prompt exports are refused, and --user or --all is required', async () => {
  const { dir } = workspace();
  const c = cli(dir);
  assert.equal(await c.run('export', 'ws', '--as', 'preference-data', '--all', '--persona-only'), 2);
  assert.match(c.err(), /--persona-only goes with --as judge or generation/);
  const none = cli(dir);
  assert.equal(await none.run('export', 'ws', '--as', 'preference-data'), 2);
  assert.match(none.err(), /--user ID or --all/);
});
