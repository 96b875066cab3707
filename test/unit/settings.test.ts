// The workspace settings file, read as VS Code reads it, through the one settings table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWorkspaceSettingsWithNotes } from '../../src/core/workspace/settings';
import { readSettings } from '../../src/core/workspace/settings-table';
import { cli } from './revalidate-fixture';
import { startLoopbackOllama } from '../support/loopback-ollama';

function workspaceWith(settingsText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'settings-'));
  mkdirSync(join(dir, '.vscode'));
  writeFileSync(join(dir, '.vscode', 'settings.json'), settingsText);
  writeFileSync(
    join(dir, 'ada.prefs.jsonl'),
    JSON.stringify({ user_id: 'ada', pair_id: 'a1', context: 'q?', chosen: 'yes', rejected: 'no' }) + '\n',
  );
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
      assert.deepEqual(
        settings.include,
        ['data/*,].prefs.jsonl'],
        'the hand-written stripper rewrote ",]" inside strings',
      );
      assert.equal(settings.numCtx, 16384);
      assert.deepEqual(settings.outputCaps, { judge: 1024, persona: 2048 });
      assert.deepEqual(ignored, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a value of the wrong shape is left out and named; a workspace never chooses the API key variable', async () => {
    const dir = workspaceWith(
      '{"synthesizeme.concurrency": "lots", "synthesizeme.think": "maybe", "synthesizeme.apiKeyEnv": "AWS_SECRET_ACCESS_KEY", "synthesizeme.seed": 7}',
    );
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
      await assert.rejects(
        readWorkspaceSettingsWithNotes(dir),
        (err: { exitCode?: number; message: string }) =>
          err.exitCode === 2 && /settings\.json:3:3: not valid JSON \(CommaExpected\)/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CLI says in one line which workspace setting it ignored and why', async () => {
    const dir = workspaceWith('{"synthesizeme.apiKeyEnv": "AWS_SECRET_ACCESS_KEY"}');
    const c = cli(dir);
    try {
      assert.equal(
        await c.call('eval', '.', '--all', '--method', 'default', '--dry-run', '--base-url', 'http://127.0.0.1:9'),
        0,
        c.err(),
      );
      assert.match(
        c.err(),
        /^note: synthesizeme\.apiKeyEnv: ignored in the workspace's settings \(a workspace may not choose which variable's secret is sent/m,
      );
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

  test('a server address that is not http or https is ignored and said, from any level', () => {
    const r = readSettings((id) => (id === 'synthesizeme.baseUrls' ? { user: ['file:///etc/passwd'] } : {}), true);
    assert.equal(r.settings.baseUrls, undefined);
    assert.match(
      r.ignored.join('\n'),
      /^synthesizeme\.baseUrls: ignored: \["file:\/\/\/etc\/passwd"\] is not a valid value/m,
    );
    assert.deepEqual(
      readSettings(
        (id) => (id === 'synthesizeme.baseUrls' ? { user: ['localhost:11434', 'https://api.example.com/v1'] } : {}),
        true,
      ).settings.baseUrls,
      ['localhost:11434', 'https://api.example.com/v1'],
    );
  });
});

describe('an untrusted workspace cannot send the key anywhere new, nor lift the limits (issue 20, class 2)', () => {
  test('the provider follows the server rule: ignored from an untrusted workspace, used from a trusted one', () => {
    const values: Record<string, { user?: unknown; workspace?: unknown }> = {
      'synthesizeme.provider': { workspace: 'openai' },
    };
    const untrusted = readSettings((id) => values[id] ?? {}, false);
    assert.equal(untrusted.settings.provider, undefined);
    assert.match(
      untrusted.ignored.join('\n'),
      /^synthesizeme\.provider: ignored in the workspace's settings: an untrusted workspace may not choose the server/m,
    );
    assert.equal(readSettings((id) => values[id] ?? {}, true).settings.provider, 'openai');
    const mine: Record<string, { user?: unknown; workspace?: unknown }> = {
      'synthesizeme.provider': { user: 'ollama', workspace: 'openai' },
    };
    assert.equal(
      readSettings((id) => mine[id] ?? {}, false).settings.provider,
      'ollama',
      "the user's own provider stays",
    );
  });

  test("with the user's own --base-url of an Ollama server and OPENAI_API_KEY set, the workspace's provider sends no key there", async () => {
    const server = await startLoopbackOllama();
    const dir = workspaceWith('{"synthesizeme.provider": "openai", "synthesizeme.model": "llama3.1:8b"}');
    const judge = cli(dir, { env: { OPENAI_API_KEY: 'sk-test-secret-do-not-send' } });
    try {
      const code = await judge.call('judge', 'ada.prefs.jsonl', '--pair', 'a1', '--base-url', server.url, '--no-cache');
      assert.equal(code, 0, judge.err());
      assert.ok(server.chats.length >= 2, 'both orders were judged');
      for (const c of server.chats) {
        assert.equal(c.path, '/api/chat', "Ollama's protocol, the one the user chose");
        assert.equal(c.headers.authorization, undefined, 'no Authorization header reached the server');
      }
      assert.ok(!JSON.stringify(server.chats.map((c) => c.headers)).includes('sk-test-secret'));
      assert.match(judge.err(), /^note: synthesizeme\.provider: ignored in the workspace's settings/m);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('caps, context, concurrency, temperature and thinking from an untrusted workspace are bounded, each said in one line', () => {
    const ws: Record<string, unknown> = {
      'synthesizeme.outputCaps': { judge: 1000000, persona: 2048 },
      'synthesizeme.numCtx': 1048576,
      'synthesizeme.concurrency': 512,
      'synthesizeme.temperature': 2,
      'synthesizeme.think': 'high',
      'synthesizeme.collect.askNext': 1000000,
    };
    const untrusted = readSettings((id) => ({ workspace: ws[id] }), false);
    assert.deepEqual(untrusted.settings, {
      outputCaps: { judge: 4096, persona: 2048 },
      numCtx: 32768,
      concurrency: 16,
      temperature: 1,
      collectAskNext: 16,
    });
    const lines = untrusted.ignored;
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.ok(lines.some((l) => /^synthesizeme\.collect\.askNext: clamped to 16/.test(l)));
    assert.ok(
      lines.some((l) =>
        /^synthesizeme\.outputCaps: clamped to \{"judge":4096,"persona":2048\} .*judge at most 4096 tokens/.test(l),
      ),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => /^synthesizeme\.numCtx: clamped to 32768/.test(l)));
    assert.ok(lines.some((l) => /^synthesizeme\.concurrency: clamped to 16/.test(l)));
    assert.ok(lines.some((l) => /^synthesizeme\.temperature: clamped to 1/.test(l)));
    assert.ok(
      lines.some((l) =>
        /^synthesizeme\.think: ignored in the workspace's settings \("high"\): thinking multiplies/.test(l),
      ),
    );
    // The same values from the user, or from a trusted workspace, are theirs to set.
    const trusted = readSettings((id) => ({ workspace: ws[id] }), true);
    assert.deepEqual(trusted.settings, {
      outputCaps: { judge: 1000000, persona: 2048 },
      numCtx: 1048576,
      concurrency: 512,
      temperature: 2,
      think: 'high',
      collectAskNext: 1000000,
    });
    assert.deepEqual(trusted.ignored, []);
    assert.deepEqual(readSettings((id) => ({ user: ws[id] }), false).settings, trusted.settings);
    // Values within the bounds pass without a note.
    const modest = readSettings(
      (id) => ({
        workspace: (
          { 'synthesizeme.numCtx': 'auto', 'synthesizeme.concurrency': 4, 'synthesizeme.think': 'off' } as Record<
            string,
            unknown
          >
        )[id],
      }),
      false,
    );
    assert.deepEqual(modest.settings, { numCtx: 'auto', concurrency: 4, think: 'off' });
    assert.deepEqual(modest.ignored, []);
  });
});
