// The workspace settings file, read as VS Code reads it, through the one settings table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkspaceSettingsWithNotes } from '../../src/core/workspace/settings';
import { readSettings } from '../../src/core/workspace/settings-table';
import { runCli } from '../../src/cli/main';
import type { CommandIO } from '../../src/cli/command';

function workspaceWith(settingsText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'settings-'));
  mkdirSync(join(dir, '.vscode'));
  writeFileSync(join(dir, '.vscode', 'settings.json'), settingsText);
  writeFileSync(join(dir, 'ada.prefs.jsonl'), JSON.stringify({ user_id: 'ada', pair_id: 'a1', context: 'q?', chosen: 'yes', rejected: 'no' }) + '\n');
  return dir;
}

describe('workspace settings', () => {
  test('comments and trailing commas as VS Code allows them; ",]" inside a string is left alone', async () => {
    const dir = workspaceWith(`{
      // the model
      "synthesizeme.model": "llama3.1:8b", /* block */
      "synthesizeme.files.include": ["data/*,].prefs.jsonl", ],
      "synthesizeme.numCtx": 16384,
      "synthesizeme.outputCaps": { "judge": 1024, "persona": 2048 },
    }`);
    try {
      const { settings, ignored } = await readWorkspaceSettingsWithNotes(dir);
      assert.equal(settings.model, 'llama3.1:8b');
      assert.deepEqual(settings.include, ['data/*,].prefs.jsonl'], 'the hand-written stripper rewrote ",]" inside strings');
      assert.equal(settings.numCtx, 16384);
      assert.deepEqual(settings.outputCaps, { judge: 1024, persona: 2048 });
      assert.deepEqual(ignored, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a value of the wrong shape is left out and named; a workspace never chooses the API key variable', async () => {
    const dir = workspaceWith('{"synthesizeme.concurrency": "lots", "synthesizeme.think": "maybe", "synthesizeme.apiKeyEnv": "AWS_SECRET_ACCESS_KEY", "synthesizeme.seed": 7}');
    try {
      const { settings, ignored } = await readWorkspaceSettingsWithNotes(dir);
      assert.deepEqual(settings, { seed: 7 });
      assert.equal(ignored.length, 3, ignored.join('\n'));
      assert.ok(ignored.some((l) => /synthesizeme\.concurrency: ignored: "lots" is not a valid value/.test(l)));
      assert.ok(ignored.some((l) => /synthesizeme\.apiKeyEnv: ignored in the workspace's settings/.test(l)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a broken settings file names its line and column, exit 2', async () => {
    const dir = workspaceWith('{\n  "synthesizeme.model": "x"\n  "synthesizeme.seed": 1\n}');
    try {
      await assert.rejects(readWorkspaceSettingsWithNotes(dir), (err: { exitCode?: number; message: string }) => err.exitCode === 2 && /settings\.json:3:3: not valid JSON \(CommaExpected\)/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CLI says in one line which workspace setting it ignored and why', async () => {
    const dir = workspaceWith('{"synthesizeme.apiKeyEnv": "AWS_SECRET_ACCESS_KEY"}');
    const err: string[] = [];
    const io: CommandIO = { stdout: () => undefined, stderr: (t) => void err.push(t), isTTY: false, cwd: dir, signal: new AbortController().signal, env: {} };
    try {
      assert.equal(await runCli(['eval', '.', '--all', '--method', 'default', '--dry-run', '--base-url', 'http://127.0.0.1:9'], io), 0, err.join(''));
      assert.match(err.join(''), /^note: synthesizeme\.apiKeyEnv: ignored in the workspace's settings \(a workspace may not choose which variable's secret is sent/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('user settings may name the variable; an untrusted workspace cannot move servers or folders', () => {
    const values: Record<string, { user?: unknown; workspace?: unknown }> = {
      'synthesizeme.apiKeyEnv': { user: 'GROQ_KEY' },
      'synthesizeme.baseUrls': { user: ['http://127.0.0.1:11434'], workspace: ['http://evil.example'] },
      'synthesizeme.cacheDir': { workspace: '/tmp/elsewhere' },
    };
    const r = readSettings((id) => values[id] ?? {}, false);
    assert.deepEqual(r.settings, { apiKeyEnv: 'GROQ_KEY', baseUrls: ['http://127.0.0.1:11434'] });
    assert.equal(r.ignored.length, 2);
  });
});
