// Splits that never move (issue 22, part 3): a pair's split follows the seed, its user and its own id,
// so appending pairs never moves an existing one; a workspace fitted under the earlier rule (a seeded
// shuffle of each user's pairs) keeps its splits, pinned by its first run; and runs judged on different
// pairs say so when compared.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SPLIT_OPTIONS, hashSplit, legacySplitUser } from '../../src/core/data/splits';
import type { Split } from '../../src/core/data/pair';
import { PreferenceIndex } from '../../src/core/data/workspace-index';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { openWorkspace } from '../../src/core/workspace/open-workspace';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { cli } from './revalidate-fixture';

const USER = 'ada';

function rows(from: number, to: number): string {
  const out: string[] = [];
  for (let i = from; i < to; i++)
    out.push(
      JSON.stringify({
        user_id: USER,
        pair_id: `${USER}-${i}`,
        context: `Question ${i}?`,
        chosen: `Short answer ${i}.`,
        rejected: `A long answer ${i} that wanders.`,
      }),
    );
  return out.join('\n') + '\n';
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${USER}-${from + i}`);
const byHash = (id: string, seed = 0): Split => hashSplit(seed, USER, id, DEFAULT_SPLIT_OPTIONS.ratios);

function countsOf(splits: Iterable<Split>): Record<Split, number> {
  const c: Record<Split, number> = { context: 0, validation: 0, test: 0 };
  for (const s of splits) c[s]++;
  return c;
}

const plus = (a: Record<Split, number>, b: Record<Split, number>) => ({
  context: a.context + b.context,
  validation: a.validation + b.validation,
  test: a.test + b.test,
});

function workspaceWith(pairs: string): { dir: string; ws: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-splits-'));
  const ws = join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, `${USER}.prefs.jsonl`), pairs);
  return { dir, ws };
}

describe("a pair's split never depends on the other pairs", () => {
  test("10 existing pairs keep their splits after 10 are appended to the user's file (the index, as inspect and the views use it)", async () => {
    const index = new PreferenceIndex();
    index.setFile(parseJsonlText(rows(0, 10), `${USER}.prefs.jsonl`));
    const before = new Map(index.user(USER)!.split.assignment);
    assert.equal(before.size, 10);
    // The file grows by 10 pairs: read again whole, as a watcher or a new inspect reads it.
    index.setFile(parseJsonlText(rows(0, 20), `${USER}.prefs.jsonl`));
    const after = index.user(USER)!.split.assignment;
    for (const id of ids(0, 10))
      assert.equal(after.get(id), before.get(id), `${id} moved from ${before.get(id)} to ${after.get(id)}`);
    for (const id of ids(10, 20)) assert.equal(after.get(id), byHash(id), `${id}: split by its id`);

    // The same through the workspace loader (inspect's path).
    const { ws } = workspaceWith(rows(0, 10));
    const first = (await loadWorkspace([ws], { cwd: ws })).user(USER)!.split.assignment;
    appendFileSync(join(ws, `${USER}.prefs.jsonl`), rows(10, 20));
    const second = (await loadWorkspace([ws], { cwd: ws })).user(USER)!.split.assignment;
    for (const id of ids(0, 10)) assert.equal(second.get(id), first.get(id), `${id} moved on reload`);
  });

  test('through the CLI, inspect --json: the counts after appending are the old ones plus the new pairs’ own', async () => {
    const { dir, ws } = workspaceWith(rows(0, 10));
    const c1 = cli(dir);
    assert.equal(await c1.run('inspect', ws, '--json'), 0, c1.err());
    const before = (c1.json().users as { splits: Record<Split, number> }[])[0]!.splits;
    assert.deepEqual(before, countsOf(ids(0, 10).map((id) => byHash(id))));
    appendFileSync(join(ws, `${USER}.prefs.jsonl`), rows(10, 20));
    const c2 = cli(dir);
    assert.equal(await c2.run('inspect', ws, '--json'), 0, c2.err());
    const after = (c2.json().users as { splits: Record<Split, number> }[])[0]!.splits;
    assert.deepEqual(after, plus(before, countsOf(ids(10, 20).map((id) => byHash(id)))));
    // The earlier rule would have re-apportioned all 20 (10/4/6): the figures above are not that by chance.
    assert.notDeepEqual(
      after,
      legacySplitUser(USER, parseJsonlText(rows(0, 20), 'f.jsonl').pairs, DEFAULT_SPLIT_OPTIONS).counts,
    );
  });

  test("a split left empty is said in the user's problems, never filled by moving pairs", () => {
    const index = new PreferenceIndex();
    // 5 pairs whose ids all hash outside validation (found by the rule itself, so the test states its premise).
    const names = Array.from({ length: 200 }, (_, i) => `p${i}`)
      .filter((id) => byHash(id) !== 'validation')
      .slice(0, 5);
    const text = names
      .map((id) => JSON.stringify({ user_id: USER, pair_id: id, context: 'q', chosen: `c ${id}`, rejected: `r ${id}` }))
      .join('\n');
    index.setFile(parseJsonlText(text, 'f.jsonl'));
    assert.equal(index.user(USER)!.split.counts.validation, 0);
    const said = index.problems().filter((p) => /no validation pairs/.test(p.message));
    assert.equal(said.length, 1);
    assert.match(said[0]!.message, /selection falls back to the first candidate/);
  });
});

describe('a workspace fitted under the earlier rule keeps its splits', () => {
  test('read under the earlier rule; the first eval pins them and says so once; appended pairs follow their id', async () => {
    const server = await startLoopbackOllama({ models: ['llama3.1:8b'] });
    try {
      const { dir, ws } = workspaceWith(rows(0, 10));
      // A persona file: this workspace was fitted on the splits it had (the earlier shuffle).
      mkdirSync(join(ws, 'personas'));
      writeFileSync(join(ws, 'personas', `${USER}.persona.yaml`), 'user_id: ada\npersona: Likes it short.\n');
      const legacy = legacySplitUser(USER, parseJsonlText(rows(0, 10), 'f.jsonl').pairs, DEFAULT_SPLIT_OPTIONS);
      assert.notDeepEqual(
        legacy.counts,
        countsOf(ids(0, 10).map((id) => byHash(id))),
        'premise: the two rules differ on these pairs',
      );

      const look = cli(dir);
      assert.equal(await look.run('inspect', ws, '--json'), 0, look.err());
      assert.deepEqual(
        (look.json().users as { splits: unknown }[])[0]!.splits,
        legacy.counts,
        'inspect shows the splits the workspace was fitted on',
      );
      assert.equal(existsSync(join(ws, '.synthesizeme', 'splits.json')), false, 'reading never writes');

      const evalRun = async () => {
        const c = cli(dir);
        assert.equal(
          await c.run('eval', 'ws', '--all', '--method', 'default', '--json', '--base-url', server.url),
          0,
          c.err(),
        );
        return { run: join(dir, c.json().run as string), err: c.err() };
      };
      const first = await evalRun();
      assert.equal(first.err.match(/splits pinned/g)?.length, 1, first.err);
      assert.match(
        first.err,
        /note: splits pinned: this workspace was fitted under the earlier split rule; its 10 pairs keep their splits \(\.synthesizeme\/splits\.json\); pairs added from now on are split by their id/,
      );
      const record = JSON.parse(readFileSync(join(ws, '.synthesizeme', 'splits.json'), 'utf8'));
      assert.deepEqual(record.users[USER], Object.fromEntries(legacy.assignment));
      assert.deepEqual([record.version, record.seed, record.ratios], [1, 0, [50, 20, 30]]);

      const second = await evalRun();
      assert.doesNotMatch(second.err, /splits pinned/, 'said once');
      assert.equal(second.run, first.run, 'same pairs, same run');

      appendFileSync(join(ws, `${USER}.prefs.jsonl`), rows(10, 20));
      const opened = await openWorkspace(ws);
      const now = opened.index.user(USER)!.split.assignment;
      for (const id of ids(0, 10)) assert.equal(now.get(id), legacy.assignment.get(id), `${id} kept its pinned split`);
      for (const id of ids(10, 20)) assert.equal(now.get(id), byHash(id), `${id}: split by its id`);

      // The test set grew: a new run, and compare says the two were judged on different pairs.
      const third = await evalRun();
      assert.notEqual(third.run, first.run);
      const cmp = cli(dir);
      assert.equal(await cmp.run('compare', first.run, third.run), 0, cmp.err());
      const oldTest = ids(0, 10).filter((id) => legacy.assignment.get(id) === 'test').length;
      const newTest = oldTest + ids(10, 20).filter((id) => byHash(id) === 'test').length;
      assert.match(
        cmp.err(),
        new RegExp(
          `the runs were judged on different test sets: ${oldTest} pairs in common of ${oldTest} and ${newTest}; only the common pairs are compared`,
        ),
      );
      assert.match(cmp.out(), new RegExp(`\\b${oldTest} pairs\\b`), cmp.out());
    } finally {
      await server.close();
    }
  });

  test('a record made with another seed is not applied, and a note says so', async () => {
    const { dir, ws } = workspaceWith(rows(0, 10));
    mkdirSync(join(ws, '.synthesizeme'));
    const pinned = Object.fromEntries(ids(0, 10).map((id) => [id, 'context']));
    writeFileSync(
      join(ws, '.synthesizeme', 'splits.json'),
      JSON.stringify({ version: 1, seed: 0, ratios: [50, 20, 30], users: { [USER]: pinned } }),
    );
    const same = cli(dir);
    assert.equal(await same.run('inspect', ws, '--json'), 0, same.err());
    assert.deepEqual(
      (same.json().users as { splits: unknown }[])[0]!.splits,
      { context: 10, validation: 0, test: 0 },
      'the record applies',
    );
    assert.equal(same.err(), '');
    const other = cli(dir);
    assert.equal(await other.run('inspect', ws, '--json', '--seed', '7'), 0, other.err());
    assert.match(
      other.err(),
      /splits\.json pins 10 pairs for seed 0 and ratios 50\/20\/30; the splits in use have seed 7 and ratios 50\/20\/30, so the record is not applied/,
    );
    assert.deepEqual(
      (other.json().users as { splits: unknown }[])[0]!.splits,
      countsOf(ids(0, 10).map((id) => byHash(id, 7))),
    );
  });

  test('a malformed record is an error naming its file and line (exit 2), never ignored', async () => {
    const { dir, ws } = workspaceWith(rows(0, 10));
    mkdirSync(join(ws, '.synthesizeme'));
    writeFileSync(
      join(ws, '.synthesizeme', 'splits.json'),
      '{\n  "version": 1,\n  "seed": 0,\n  "ratios": [50, 20, 30],\n  "users": {\n  "ada": {"ada-1": "train"}\n  }\n}\n',
    );
    const c = cli(dir);
    assert.equal(await c.run('inspect', ws, '--json'), 2);
    assert.match(c.err(), /splits\.json:6: user "ada", pair "ada-1": "train" is not context, validation or test/);
    writeFileSync(join(ws, '.synthesizeme', 'splits.json'), '{\n  "version": 1,\n  "seed": 0,,\n}\n');
    const d = cli(dir);
    assert.equal(await d.run('inspect', ws), 2);
    assert.match(d.err(), /splits\.json:3: not valid JSON/);
  });
});
