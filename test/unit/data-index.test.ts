import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { apportion, hashSplit, splitUser, DEFAULT_SPLIT_OPTIONS } from '../../src/core/data/splits';
import { PreferenceIndex } from '../../src/core/data/workspace-index';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { includeMatcher } from '../../src/core/data/glob';
import type { Pair } from '../../src/core/data/pair';

function pairs(user: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      user_id: user,
      pair_id: `${user}-${i}`,
      context: `q${i}`,
      chosen: `good ${i}`,
      rejected: `bad ${i}`,
      ...extra(i),
    }),
  ).join('\n');
}

describe('splits', () => {
  test('apportion follows the ratios and keeps every split non-empty', () => {
    assert.deepEqual(apportion(10, [50, 20, 30]), [5, 2, 3]);
    assert.deepEqual(apportion(20, [50, 20, 30]), [10, 4, 6]);
    assert.deepEqual(apportion(7, [50, 20, 30]), [4, 1, 2]);
    assert.deepEqual(apportion(5, [40, 10, 50]), [2, 1, 2]);
    for (let n = 3; n < 60; n++) {
      const c = apportion(n, [50, 20, 30]);
      assert.equal(c[0]! + c[1]! + c[2]!, n);
      assert.ok(
        c.every((x) => x > 0),
        `n=${n}: ${c}`,
      );
    }
  });

  test('deterministic from the seed, different across seeds, explicit splits respected', () => {
    const ps = parseJsonlText(
      pairs('u', 20, (i) => (i < 3 ? { split: 'test' } : {})),
      'f.jsonl',
    ).pairs;
    const a = splitUser('u', ps, DEFAULT_SPLIT_OPTIONS);
    const b = splitUser('u', ps, DEFAULT_SPLIT_OPTIONS);
    const c = splitUser('u', ps, { ...DEFAULT_SPLIT_OPTIONS, seed: 7 });
    assert.deepEqual([...a.assignment], [...b.assignment]);
    assert.notDeepEqual([...a.assignment], [...c.assignment]);
    for (let i = 0; i < 3; i++) assert.equal(a.assignment.get(`u-${i}`), 'test');
    // Each free pair's split follows the seed, its user and its own id (no apportionment over the user's pairs).
    for (const p of ps.slice(3))
      assert.equal(a.assignment.get(p.pairId), hashSplit(0, 'u', p.pairId, DEFAULT_SPLIT_OPTIONS.ratios));
    assert.deepEqual(a.counts, { context: 9, validation: 3, test: 8 });
    assert.equal(a.tooSmall, false);
  });

  test('temporal split keeps file order', () => {
    const ps = parseJsonlText(pairs('u', 10), 'f.jsonl').pairs;
    const s = splitUser('u', ps, { ...DEFAULT_SPLIT_OPTIONS, temporal: true });
    const order = ps.map((p) => s.assignment.get(p.pairId));
    assert.deepEqual(order, [
      'context',
      'context',
      'context',
      'context',
      'context',
      'validation',
      'validation',
      'test',
      'test',
      'test',
    ]);
  });

  test('users too small to split are reported, not dropped', () => {
    const idx = new PreferenceIndex();
    idx.setFile(
      parseJsonlText(pairs('tiny', 3, (i) => (i === 0 ? { split: 'test' } : {})) + '\n' + pairs('big', 8), 'f.jsonl'),
    );
    const tiny = idx.user('tiny')!;
    assert.equal(tiny.pairs.length, 3);
    assert.equal(tiny.split.tooSmall, true);
    assert.deepEqual(tiny.split.counts, { context: 0, validation: 0, test: 1 });
    const warn = idx.problems().find((p) => /too small/.test(p.message));
    assert.ok(warn);
    assert.equal(warn!.severity, 'warning');
    assert.equal(idx.user('big')!.split.tooSmall, false);
  });
});

describe('workspace index', () => {
  test('users across files, incremental update and removal', () => {
    const idx = new PreferenceIndex();
    idx.setFile(parseJsonlText(pairs('a', 6), 'one.jsonl'));
    idx.setFile(
      parseJsonlText(
        pairs('b', 5) +
          '\n' +
          JSON.stringify({ user_id: 'a', pair_id: 'a-extra', context: 'q', chosen: 'x', rejected: 'y' }),
        'two.jsonl',
      ),
    );
    assert.deepEqual(
      idx.users().map((u) => [u.id, u.pairs.length]),
      [
        ['a', 7],
        ['b', 5],
      ],
    );
    const bBefore = idx.user('b')!;
    idx.setFile(parseJsonlText(pairs('a', 2), 'one.jsonl'));
    assert.equal(idx.user('a')!.pairs.length, 3);
    // Only users the file touches are recomputed: b keeps its object.
    assert.equal(idx.user('b'), bBefore);
    idx.removeFile('two.jsonl');
    assert.deepEqual(
      idx.users().map((u) => u.id),
      ['a'],
    );
    assert.equal(idx.user('a')!.pairs.length, 2);
  });

  test('duplicate pair ids across files are problems; the first file wins', () => {
    const idx = new PreferenceIndex();
    idx.setFile(parseJsonlText(pairs('a', 5), 'b.jsonl'));
    idx.setFile(parseJsonlText(pairs('a', 1), 'a.jsonl'));
    const u = idx.user('a')!;
    assert.equal(u.pairs.length, 5);
    const dup = idx.problems().filter((p) => /duplicate/.test(p.message));
    assert.equal(dup.length, 1);
    assert.equal(dup[0]!.file, 'b.jsonl');
    assert.match(dup[0]!.message, /first in a\.jsonl:1/);
  });

  test('problems are sorted by file and line', () => {
    const idx = new PreferenceIndex();
    idx.setFile(parseJsonlText('{bad\n' + pairs('a', 5) + '\n{bad', 'z.jsonl'));
    idx.setFile(parseJsonlText('nope\n', 'm.jsonl'));
    const ps = idx.problems();
    assert.deepEqual(
      ps.map((p) => `${p.file}:${p.line}`),
      ['m.jsonl:1', 'z.jsonl:1', 'z.jsonl:7'],
    );
    const used: Pair[] = idx.user('a')!.pairs;
    assert.equal(used.length, 5);
  });
});

describe('globs', () => {
  test('default patterns', () => {
    const g = includeMatcher(['**/*.prefs.{jsonl,json,yaml,yml}']);
    assert.ok(g('ada.prefs.jsonl'));
    assert.ok(g('deep/dir/x.prefs.yml'));
    assert.ok(!g('x.prefs.txt'));
    assert.ok(!g('xprefs.jsonl'));
    assert.ok(includeMatcher(['**/*.jsonl'])('a/b.jsonl'));
    assert.ok(!includeMatcher(['data/*.jsonl'])('data/x/b.jsonl'));
  });
});
