/// <reference types="mocha" />
// What a demanding user notices, in the real extension host against a loopback Ollama: reports shown
// rendered in one editor group; Benchmark: Prepare leaving nothing empty behind and offering
// .synthesizeme/bench/; errors with buttons and the editor's advice (no CLI flags); the status bar
// recovering by itself when the server comes back on the same port; Select Model not keeping Ollama's
// URL for OpenAI; a confirmation for the API key; the Users tree grouped by folder.

import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { ClassifyOutcome } from '../../src/extension/commands/classify';
import type { PrepareOutcome } from '../../src/extension/commands/bench-prepare';
import type { FolderItem, UserItem } from '../../src/extension/views/users-tree';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import {
  api,
  file,
  folder,
  lensesOf,
  markdownPreviews,
  printLogOnFailure,
  readText,
  secondFolder,
  waitFor,
  workspaceSettingsFile,
} from './helpers';

/** This suite's model digest: the cache names a server by it, so no other suite's cached answer is this suite's. */
const DIGESTS = { 'llama3.1:8b': `sha256:${'4'.repeat(64)}` };

export function polishSuite(): void {
  describe('polish: what a demanding user notices', function () {
    this.timeout(120_000);
    printLogOnFailure();
    let server: LoopbackServer;
    const chosen = new Set<string>();

    // Personalizable always; the judge finds the user's choice in both orders, so it always agrees with
    // the user and the disagreement filter of Prepare keeps nothing.
    const brain = (req: BrainRequest): string => {
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
      if ('personalizable' in props) return JSON.stringify({ reason: 'taste', personalizable: true });
      const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(last)?.[1]?.trim() ?? '';
      return JSON.stringify({ reasoning: 'the chosen one', preference: chosen.has(a) ? 'A' : 'B' });
    };

    const configure = async (url: string) => {
      const { ctx } = await api();
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('provider', 'ollama', vscode.ConfigurationTarget.Workspace);
      await c.update('baseUrls', [url], vscode.ConfigurationTarget.Workspace);
      await c.update('model', 'llama3.1:8b', vscode.ConfigurationTarget.Workspace);
      await waitFor('the model settings', async () =>
        (await ctx.folders.first().model.describe()).baseUrls[0] === url ? true : undefined,
      );
    };

    before(async () => {
      const { ctx } = await api();
      for (const u of (await ctx.folders.first().files.get()).users())
        for (const p of u.pairs) chosen.add(p.chosen.content.trim());
      // The cache names a server by its model's digest (not its port): a digest of this suite's own, so that answers
      // cached by another suite's loopback brain are not this suite's.
      server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'], chunkIntervalMs: 1, digests: DIGESTS });
      await configure(server.url);
    });

    after(async () => {
      await server?.close();
    });

    it("groups the Users tree by folder, keeping the users' ids and commands", async () => {
      const { users } = await api();
      const top = await users.getChildren();
      assert.deepEqual(
        top.map((i) => i.id),
        [folder(), secondFolder()].map((u) => `folder:${u.toString()}`),
        'a node per workspace folder',
      );
      // (By shape: this bundle's classes are not the extension's.)
      assert.ok(
        top.every(
          (i) =>
            i.contextValue === 'folder' &&
            !('userId' in i) &&
            i.collapsibleState === vscode.TreeItemCollapsibleState.Expanded,
        ),
      );
      const first = top[0] as FolderItem;
      const ada = (await users.getChildren(first)).find((i): i is UserItem => 'userId' in i && i.userId === 'ada');
      assert.ok(ada, 'ada under the first folder');
      assert.equal(ada.id, `user:${folder().toString()}:ada`);
      assert.deepEqual(ada.command?.arguments, [{ userId: 'ada', folder: folder().toString() }]);
      assert.equal(users.getParent(ada), first);
      assert.ok(
        !(await users.getChildren(top[1])).some((i) => 'userId' in i && i.userId === 'ada'),
        'the second folder does not list ada',
      );
    });

    it('shows reports rendered, one group for all of them, without their source tab', async () => {
      const groupsBefore = vscode.window.tabGroups.all.length;
      const one = await vscode.commands.executeCommand<ClassifyOutcome>(
        CommandIds.classifyPairs,
        file('ada.prefs.jsonl'),
      );
      assert.ok(one, 'an outcome');
      const first = await waitFor('the first report rendered', () =>
        markdownPreviews().find((p) => p.tab.label.includes(basename(one.report))),
      );
      const two = await vscode.commands.executeCommand<ClassifyOutcome>(
        CommandIds.classifyPairs,
        file('bruno.prefs.json'),
      );
      assert.ok(two, 'a second outcome');
      await waitFor('the second report rendered', () =>
        markdownPreviews().find((p) => p.tab.label.includes(basename(two.report))),
      );
      const groups = new Set(markdownPreviews().map((p) => p.group.viewColumn));
      assert.deepEqual([...groups], [first.group.viewColumn], 'every report preview in the same group');
      assert.ok(vscode.window.tabGroups.all.length <= groupsBefore + 1, 'at most one group opened for reports');
      const sources = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputText && [one.report, two.report].includes(t.input.uri.fsPath));
      assert.deepEqual(
        sources.map((t) => t.label),
        [],
        'no source tab of a report',
      );
      assert.match(one.report, /[\\/]\.synthesizeme[\\/]bench[\\/]/);
    });

    it('Benchmark: Prepare offers .synthesizeme/bench/, and writes no empty file when no pair is kept', async () => {
      const files = ['ada.prefs.jsonl', 'bruno.prefs.json'].map((f) => file(f).fsPath);
      // The save dialog's proposal (the dialog itself is answered "cancel").
      const window = vscode.window as { showSaveDialog: typeof vscode.window.showSaveDialog };
      const dialog = window.showSaveDialog;
      let offered: vscode.Uri | undefined;
      window.showSaveDialog = (o) => {
        offered = o?.defaultUri;
        return Promise.resolve(undefined);
      };
      try {
        assert.equal(
          await vscode.commands.executeCommand(CommandIds.benchPrepare, {
            kind: 'prefs',
            files,
            folder: folder().toString(),
          }),
          undefined,
        );
      } finally {
        window.showSaveDialog = dialog;
      }
      assert.ok(offered, 'the dialog was asked');
      assert.equal(offered.fsPath, join(folder().fsPath, '.synthesizeme', 'bench', 'prepared.prefs.jsonl'));

      const dir = mkdtempSync(join(tmpdir(), 'sm-prepare-empty-'));
      try {
        const out = join(dir, 'prepared.prefs.jsonl');
        const r = await vscode.commands.executeCommand<PrepareOutcome>(CommandIds.benchPrepare, {
          kind: 'prefs',
          files,
          out,
          folder: folder().toString(),
        });
        assert.ok(r, 'an outcome');
        assert.equal(r.records, 0, 'the judge always agrees with the user: the disagreement filter keeps nothing');
        assert.equal(r.written, false);
        assert.ok(!existsSync(out), 'no empty output file');
        assert.match(await readText(vscode.Uri.file(r.report)), /was not written/);
        assert.ok(!existsSync(file('prepared.prefs.jsonl').fsPath), 'nothing at the workspace root');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("an unreachable server: the error offers Open Settings, Select Model and Show Log, in the editor's words; the status bar recovers by itself", async () => {
      const { ctx, status } = await api();
      const uri = file('ada.prefs.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      // Another temperature: the calls below are not answered from the cache of the earlier suites.
      const settings = vscode.workspace.getConfiguration('synthesizeme');
      await settings.update('temperature', 0.25, vscode.ConfigurationTarget.Workspace);
      try {
        await unreachableThenBack(ctx, status, uri);
      } finally {
        await settings.update('temperature', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    async function unreachableThenBack(
      ctx: Awaited<ReturnType<typeof api>>['ctx'],
      status: Awaited<ReturnType<typeof api>>['status'],
      uri: vscode.Uri,
    ): Promise<void> {
      await waitFor('the new temperature', () =>
        ctx.folders.first().files.config.temperature === 0.25 ? true : undefined,
      );
      await waitFor(
        'a healthy status bar',
        () => status.state === 'healthy' && status.item.text.startsWith('$(check)'),
        30_000,
      );
      const port = server.port;
      await server.close();
      const lens = (await lensesOf(uri)).find((l) => l.command?.command === CommandIds.judgePair)!;
      const before = ctx.notices.recent.at(-1);
      assert.equal(
        await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? [])),
        undefined,
        'the judge failed',
      );
      const shown = ctx.notices.recent.at(-1);
      assert.ok(shown !== before && shown?.severity === 'error', 'an error was shown');
      assert.match(shown.text, /^SynthesizeMe: Cannot reach Ollama at .* \(connection refused\)\. Is Ollama running\?/);
      assert.match(shown.text, /synthesizeme\.baseUrls setting/);
      assert.doesNotMatch(shown.text, /OLLAMA_HOST|--base-url/);
      assert.deepEqual(shown.actions, ['Open Settings', 'Select Model', 'Show Log']);
      // The failed call made the status bar look again.
      await waitFor(
        'the status bar in error',
        () => status.state === 'error' && !status.item.text.startsWith('$(check)'),
        30_000,
      );
      assert.doesNotMatch(String(status.item.tooltip), /OLLAMA_HOST|--base-url/);

      // The server comes back where it was: no reload, no click, no settings change.
      server = await startLoopbackOllama({
        brain,
        models: ['llama3.1:8b'],
        chunkIntervalMs: 1,
        port,
        digests: DIGESTS,
      });
      await waitFor(
        'the status bar recovered',
        () => status.state === 'healthy' && status.item.text.startsWith('$(check)'),
        30_000,
      );
      const v = await vscode.commands.executeCommand<{ orders: { preference: string | null }[] }>(
        lens.command!.command,
        ...(lens.command!.arguments ?? []),
      );
      assert.equal(v?.orders.length, 2, 'and the next command works');
      assert.ok(
        v.orders.every((o) => o.preference !== null),
        JSON.stringify(v.orders),
      );
      // (An order whose call was still retrying when the first judge failed may have been answered, and cached, meanwhile.)
      assert.ok(server.stats.chat >= 1, 'answered by the server that came back');
    }

    it("Select Model: choosing OpenAI drops Ollama's default URL; the API key is confirmed when saved and when cleared", async () => {
      const { ctx } = await api();
      const c = () => vscode.workspace.getConfiguration('synthesizeme');
      try {
        await c().update('baseUrls', ['http://127.0.0.1:11434'], vscode.ConfigurationTarget.Workspace);
        await waitFor("Ollama's default URL in the settings", async () =>
          (await ctx.folders.first().model.describe()).baseUrls[0] === 'http://127.0.0.1:11434' ? true : undefined,
        );
        const picked = await vscode.commands.executeCommand(CommandIds.selectModel, {
          provider: 'openai',
          model: 'gpt-4o-mini',
        });
        assert.equal(picked, 'gpt-4o-mini');
        assert.equal(
          c().inspect('baseUrls')?.workspaceValue,
          undefined,
          'the Ollama URL is gone from the workspace settings',
        );
        assert.ok(!(await readText(workspaceSettingsFile())).includes('11434'));
        const d = await waitFor('OpenAI', async () => {
          const x = await ctx.folders.first().model.describe();
          return x.provider === 'openai' ? x : undefined;
        });
        assert.ok(!d.baseUrls.some((u) => u.includes('11434')), d.baseUrls.join(', '));
        assert.equal(d.model, 'gpt-4o-mini');

        const host = new URL(d.baseUrls[0]!).host;
        const saved = await vscode.commands.executeCommand<string>(CommandIds.setApiKey, {
          provider: 'openai',
          key: 'sk-polish-test',
        });
        assert.equal(saved, `SynthesizeMe: API key saved for openai (${host}) in VS Code's secret storage.`);
        assert.equal(ctx.notices.recent.at(-1)?.text, saved, 'shown');
        const cleared = await vscode.commands.executeCommand<string>(CommandIds.setApiKey, {
          provider: 'openai',
          key: '',
        });
        assert.equal(cleared, `SynthesizeMe: API key for openai (${host}) cleared from VS Code's secret storage.`);
        assert.equal(ctx.notices.recent.at(-1)?.text, cleared);
        assert.equal(await ctx.secrets.get('openai'), undefined);
      } finally {
        await configure(server.url);
      }
    });
  });
}
