/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import { readSettingsFromVscode } from '../../src/extension/config';
import { api, file, logTail, say, waitFor, writeText } from './helpers';

export function extensionSuite(): void {
  describe('extension', () => {
    it('activates and indexes the example workspace', async () => {
      const t0 = Date.now();
      const { ctx } = await api();
      const index = await ctx.folders.first().files.get();
      const users = index.users().map((u) => u.id);
      const activated = /activated in (\d+) ms/.exec(await logTail(1000))?.[1];
      say(
        `      (activate(): ${activated ?? '?'} ms; activation + first index of the workspace: ${Date.now() - t0} ms)`,
      );
      for (const u of ['ada', 'bruno', 'chen', 'dana'])
        assert.ok(users.includes(u), `user ${u} in ${users.join(', ')}`);
    });

    it('registers every command of the manifest, and the manifest lists every command', async () => {
      await api();
      const ext = vscode.extensions.getExtension('synthesizeme.synthesizeme-studio')!;
      const pkg = JSON.parse(readFileSync(join(ext.extensionPath, 'package.json'), 'utf8')) as {
        contributes: { commands: { command: string }[] };
      };
      const registered = new Set(await vscode.commands.getCommands(true));
      const declared = pkg.contributes.commands.map((c) => c.command);
      for (const id of declared) assert.ok(registered.has(id), `${id} is registered`);
      assert.deepEqual([...declared].sort(), Object.values(CommandIds).sort());
    });

    it('shows index problems as diagnostics at their line and column', async () => {
      const { ctx } = await api();
      await ctx.folders.first().files.get();
      const uri = file('broken.prefs.jsonl');
      const diags = await waitFor('diagnostics of broken.prefs.jsonl', () => {
        const d = vscode.languages.getDiagnostics(uri);
        return d.length ? d : undefined;
      });
      const onLine2 = diags.find((d) => d.range.start.line === 1);
      assert.ok(
        onLine2,
        `a problem on line 2: ${diags.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`).join('; ')}`,
      );
      assert.equal(onLine2.source, 'SynthesizeMe');
      assert.equal(onLine2.severity, vscode.DiagnosticSeverity.Error);
    });

    it('keeps the index up to date when a file appears, changes and goes (watcher, one file re-read)', async () => {
      const { ctx } = await api();
      await ctx.folders.first().files.get();
      const uri = file('late.prefs.jsonl');
      const rec = (id: string) =>
        JSON.stringify({
          user_id: 'zoe',
          pair_id: id,
          context: [{ role: 'user', content: 'hi' }],
          chosen: 'Hello!',
          rejected: 'Go away.',
        });
      await writeText(uri, [rec('z1'), rec('z2')].join('\n') + '\n');
      await waitFor('user zoe', () => ctx.folders.first().files.current()?.user('zoe'));
      assert.equal(ctx.folders.first().files.current()!.user('zoe')!.pairs.length, 2);
      await writeText(uri, [rec('z1'), rec('z2'), '{"user_id": "zoe", "pair_id": oops}'].join('\n') + '\n');
      const d = await waitFor('a diagnostic on line 3', () =>
        vscode.languages.getDiagnostics(uri).find((x) => x.range.start.line === 2),
      );
      assert.match(d.message, /./);
      await vscode.workspace.fs.delete(uri);
      await waitFor('zoe gone', () => (ctx.folders.first().files.current()?.user('zoe') ? undefined : true));
    });

    it('ignores workspace-level base URLs in an untrusted workspace, and a workspace apiKeyEnv always, saying so', () => {
      const values: Record<string, { globalValue?: unknown; workspaceValue?: unknown }> = {
        baseUrls: { globalValue: ['http://127.0.0.1:11434'], workspaceValue: ['http://evil.example:1'] },
        apiKeyEnv: { workspaceValue: 'AWS_SECRET_ACCESS_KEY' },
        model: { workspaceValue: 'llama3.1:8b' },
      };
      const fake = { inspect: (key: string) => values[key] } as unknown as vscode.WorkspaceConfiguration;
      const untrusted = readSettingsFromVscode(fake, false);
      assert.deepEqual(untrusted.settings.baseUrls, ['http://127.0.0.1:11434']);
      assert.equal(untrusted.settings.model, 'llama3.1:8b', 'a harmless setting still counts');
      assert.equal(untrusted.settings.apiKeyEnv, undefined);
      assert.ok(
        untrusted.ignored.some((l) =>
          /synthesizeme\.baseUrls: ignored in the workspace's settings: an untrusted workspace may not choose the server/.test(
            l,
          ),
        ),
        untrusted.ignored.join('\n'),
      );
      const trusted = readSettingsFromVscode(fake, true);
      assert.deepEqual(trusted.settings.baseUrls, ['http://evil.example:1']);
      assert.equal(trusted.settings.apiKeyEnv, undefined, 'never from a workspace, trusted or not');
      assert.ok(trusted.ignored.some((l) => /synthesizeme\.apiKeyEnv: ignored in the workspace's settings/.test(l)));
    });
  });
}
