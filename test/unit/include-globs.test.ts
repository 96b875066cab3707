// One matcher for `synthesizeme.files.include` (src/core/data/glob.ts, picomatch): the CLI's search
// (loadWorkspace), the extension's index (findPreferencePaths, which WorkspaceFiles.load calls) and the
// extension's file watchers (isIncludedFile + isPreferenceFile on each changed file) select the same files.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { includeMatcher, isIncludedFile } from '../../src/core/data/glob';
import { findPreferencePaths, isPreferenceFile, loadWorkspace } from '../../src/core/data/load-workspace';

const root = mkdtempSync(join(tmpdir(), 'sm-globs-'));
after(() => rmSync(root, { recursive: true, force: true }));

const pair = (user: string) =>
  JSON.stringify({ user_id: user, pair_id: `${user}-1`, context: 'Hi?', chosen: 'Short.', rejected: 'Long.' }) + '\n';

/** A workspace with the given files (relative path → text). */
function workspace(name: string, files: Record<string, string>): string {
  const ws = join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(ws, rel)), { recursive: true });
    writeFileSync(join(ws, rel), text);
  }
  return ws;
}

function allFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

/** The three ways a face decides which files it reads, as sorted names relative to the workspace. */
async function selections(ws: string, include: string[]) {
  const cli = (await loadWorkspace([ws], { cwd: ws, include })).fileNames().sort();
  const index = (await findPreferencePaths([ws], include)).files.map((f) => relative(ws, f)).sort();
  const matches = includeMatcher(include);
  const watched: string[] = [];
  for (const f of allFiles(ws))
    if (isIncludedFile(f, matches) && (await isPreferenceFile(join(ws, f)))) watched.push(f);
  return { cli, index, watched: watched.sort() };
}

describe('include globs: one matcher for the CLI and VS Code', () => {
  test('brace sets, dot files and nested folders: the same files through the search and the watcher rule', async () => {
    const ws = workspace('braces', {
      'ada.prefs.jsonl': pair('ada'),
      'deep/dir/x.prefs.yml': 'user_id: x\n',
      'data/b.prefs.json': '[]',
      '.dot.prefs.yaml': 'user_id: d\n',
      'nested/a/b/.hidden.prefs.json': '[]',
      'plain.jsonl': pair('plain'),
      'notes.jsonl': '{"note": "not a pair"}\n',
      'x.prefs.txt': 'no',
      'xprefs.jsonl.bak': 'no',
      '.hidden/x.prefs.jsonl': pair('h'),
      'node_modules/pkg/x.prefs.jsonl': pair('n'),
    });
    const include = ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'];
    const { cli, index, watched } = await selections(ws, include);
    assert.deepEqual(cli, [
      '.dot.prefs.yaml',
      'ada.prefs.jsonl',
      'data/b.prefs.json',
      'deep/dir/x.prefs.yml',
      'nested/a/b/.hidden.prefs.json',
      'plain.jsonl',
    ]);
    assert.deepEqual(index, cli);
    assert.deepEqual(watched, cli);
  });

  test('a character class selects what it names (the hand-written matcher took `[ab]` literally; VS Code does not)', async () => {
    const ws = workspace('class', {
      'data/a.prefs.jsonl': pair('a'),
      'data/b.prefs.jsonl': pair('b'),
      'data/c.prefs.jsonl': pair('c'),
    });
    const { cli, index, watched } = await selections(ws, ['data/[ab].prefs.jsonl']);
    assert.deepEqual(cli, ['data/a.prefs.jsonl', 'data/b.prefs.jsonl']);
    assert.deepEqual(index, cli);
    assert.deepEqual(watched, cli);
  });

  test('one folder deep with `*`, any depth with `**`; either separator', () => {
    assert.ok(includeMatcher(['data/*.jsonl'])('data\\b.jsonl'));
    assert.ok(!includeMatcher(['data/*.jsonl'])('data/x/b.jsonl'));
    assert.ok(includeMatcher(['data/**/*.jsonl'])('data/b.jsonl'));
    assert.ok(includeMatcher(['data/**/*.jsonl'])('data/x/y/b.jsonl'));
    assert.ok(!isIncludedFile('node_modules/x.prefs.jsonl', includeMatcher(['**/*.prefs.jsonl'])));
    assert.ok(!isIncludedFile('a/.git/x.prefs.jsonl', includeMatcher(['**/*.prefs.jsonl'])));
  });
});
