/// <reference types="mocha" />
// Multi-root workspaces: each folder's own settings apply to that folder's files. The harness opens
// two folders; here the second gets its own server and model (folder-level settings), and a pair of
// each folder is judged: each call must reach its own folder's server with its own folder's model.
// Before each folder had its own session, calls for the second folder went to the first's server.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { PairVerdict } from '../../src/core/method/judge';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { api, file, folder, lensesOf, printLogOnFailure, secondFolder, waitFor } from './helpers';

const judge = JSON.stringify({ reasoning: 'short is better', preference: 'A' });

export function multiRootSuite(): void {
  describe('multi-root workspace: each folder with its own settings', function () {
    this.timeout(120_000);
    printLogOnFailure();
    let first: LoopbackServer;
    let second: LoopbackServer;

    before(async () => {
      const { ctx } = await api();
      // The cache names a server by its model's digest (not its port): a digest of this suite's own, so that answers
      // cached by another suite's loopback brain are not this suite's.
      const digests = { 'llama3.1:8b': `sha256:${'1'.repeat(64)}`, 'qwen3:30b-a3b': `sha256:${'2'.repeat(64)}` };
      first = await startLoopbackOllama({ brain: () => judge, models: ['llama3.1:8b'], chunkIntervalMs: 1, digests });
      second = await startLoopbackOllama({
        brain: () => judge,
        models: ['qwen3:30b-a3b'],
        chunkIntervalMs: 1,
        digests,
      });
      const all = vscode.workspace.getConfiguration('synthesizeme');
      await all.update('provider', 'ollama', vscode.ConfigurationTarget.Workspace);
      await all.update('baseUrls', [first.url], vscode.ConfigurationTarget.Workspace);
      await all.update('model', 'llama3.1:8b', vscode.ConfigurationTarget.Workspace);
      // The second folder's own settings (written into its .vscode/settings.json).
      const own = vscode.workspace.getConfiguration('synthesizeme', secondFolder());
      await own.update('baseUrls', [second.url], vscode.ConfigurationTarget.WorkspaceFolder);
      await own.update('model', 'qwen3:30b-a3b', vscode.ConfigurationTarget.WorkspaceFolder);
      const [a, b] = ctx.folders.all();
      await waitFor('each folder with its own server', async () =>
        (await a!.model.describe()).baseUrls[0] === first.url && (await b!.model.describe()).baseUrls[0] === second.url
          ? true
          : undefined,
      );
    });

    after(async () => {
      const own = vscode.workspace.getConfiguration('synthesizeme', secondFolder());
      await own.update('baseUrls', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      await own.update('model', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      await first?.close();
      await second?.close();
    });

    it('indexes each folder apart, file names relative to their folder', async () => {
      const { ctx } = await api();
      const [a, b] = ctx.folders.all();
      assert.equal(ctx.folders.all().length, 2);
      const ia = await a!.files.get();
      const ib = await b!.files.get();
      assert.deepEqual(
        ib.users().map((u) => u.id),
        ['zed'],
      );
      assert.deepEqual(ib.fileNames(), ['zed.prefs.jsonl']);
      assert.equal(ia.user('zed'), undefined, "the first folder does not see the second folder's user");
      assert.ok(ia.user('ada'), 'the first folder keeps its own users');
      assert.equal(ctx.folders.of(vscode.Uri.joinPath(secondFolder(), 'zed.prefs.jsonl')), b);
    });

    it("sends a pair of the second folder to the second folder's server and model, and the first folder's to the first", async () => {
      const zed = vscode.Uri.joinPath(secondFolder(), 'zed.prefs.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(zed));
      const lens = (await lensesOf(zed)).find((l) => l.command?.command === CommandIds.judgePair);
      assert.ok(lens, 'a "Judge this pair" lens in the second folder\'s file');
      const [a0, b0] = [first.stats.chat, second.stats.chat];
      const v = await vscode.commands.executeCommand<PairVerdict>(
        lens.command!.command,
        ...(lens.command!.arguments ?? []),
      );
      assert.ok(v && v.orders.length === 2, JSON.stringify(v));
      assert.equal(second.stats.chat - b0, 2, "both orders went to the second folder's server");
      assert.equal(first.stats.chat - a0, 0, "nothing went to the first folder's server");
      assert.ok(
        second.chats.slice(-2).every((c) => c.body?.['model'] === 'qwen3:30b-a3b'),
        "with the second folder's model",
      );

      const ada = file('ada.prefs.jsonl');
      const adaLens = (await lensesOf(ada)).find((l) => l.command?.command === CommandIds.judgePair);
      assert.ok(adaLens);
      const [a1, b1] = [first.stats.chat, second.stats.chat];
      await vscode.commands.executeCommand<PairVerdict>(
        adaLens.command!.command,
        ...(adaLens.command!.arguments ?? []),
      );
      assert.equal(first.stats.chat - a1, 2, "the first folder's pair went to its own server");
      assert.equal(second.stats.chat - b1, 0);
      assert.ok(first.chats.slice(-2).every((c) => c.body?.['model'] === 'llama3.1:8b'));
    });

    it("lists every folder's users in the tree, each with its folder", async () => {
      const { users } = await api();
      // Grouped by folder: the second folder's node holds zed.
      const second = (await users.getChildren()).find((i) => i.folder === secondFolder().toString());
      assert.ok(second && !('userId' in second), 'a node for the second folder');
      assert.equal(second.label, 'second');
      const items = await users.userItems();
      const zed = items.find((i) => i.userId === 'zed');
      assert.ok(zed, items.map((i) => i.userId).join(', '));
      assert.equal(zed.folder, secondFolder().toString());
      assert.deepEqual(
        (await users.getChildren(second)).map((i) => (i as { userId?: string }).userId),
        ['zed'],
      );
      assert.equal(items.find((i) => i.userId === 'ada')?.folder, folder().toString());
    });

    it("fits a user of the second folder into that folder's personas, with that folder's model", async () => {
      const b0 = second.stats.chat;
      const a0 = first.stats.chat;
      second.options.brain = (req) => {
        const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
        if ('persona' in props) return JSON.stringify({ reasoning: 'summarised', persona: 'Prefers short answers.' });
        if (!('preference' in props)) return 'Prefers short answers.';
        return judge;
      };
      const out = await vscode.commands.executeCommand<{ persona: string }>(CommandIds.fitUser, 'zed');
      assert.ok(out, 'an outcome');
      assert.ok(out.persona.startsWith(secondFolder().fsPath), `${out.persona} is inside the second folder`);
      assert.ok(second.stats.chat > b0, "the fit called the second folder's server");
      assert.equal(first.stats.chat, a0, "and never the first's");
    });
  });
}
