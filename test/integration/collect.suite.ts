/// <reference types="mocha" />
// Collect Preferences in the VS Code host (issue 15): picks appended as native pairs to JSONL and YAML
// files, ties and skips kept in the log only, a failed generation appending nothing, a new user
// starting a new file. The answers are scripted (the command's `answers` argument); the browser test
// answers with keys in the panel.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { CollectSummary } from '../../src/core/collect/session';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { parseYamlText } from '../../src/core/data/parse-yaml';
import { readLog, collectLogPath } from '../../src/core/collect/collect-log';
import { startLoopbackOllama, type BrainRequest, type Fault, type LoopbackServer } from '../support/loopback-ollama';
import { api, file, folder, printLogOnFailure, readText, waitFor } from './helpers';

export function collectSuite(): void {
  describe('collecting preferences', function () {
    this.timeout(120_000);
    printLogOnFailure();
    let server: LoopbackServer;
    let failing = false;
    // Generation: the system prompt decides the reply, so two system prompts give two different responses.
    const brain = (req: BrainRequest): string => {
      // The persona judge (ask next) always answers A: it contradicts itself across the two orders.
      if (req.schema) return JSON.stringify({ reasoning: 'A it is', preference: 'A' });
      const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
      const q = req.messages[req.messages.length - 1]?.content ?? '';
      return system.includes('few words')
        ? `Short: ${q.slice(0, 30)}`
        : `A long answer about ${q.slice(0, 30)}, with every detail one could want and then some more.`;
    };

    before(async () => {
      const { ctx } = await api();
      server = await startLoopbackOllama({
        brain,
        models: ['llama3.1:8b'],
        chunkIntervalMs: 1,
        faultFor: (): Fault | undefined =>
          failing ? { type: 'server-error', status: 400, message: 'invalid request: planted' } : undefined,
      });
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('baseUrls', [server.url], vscode.ConfigurationTarget.Workspace);
      await waitFor('the model settings', async () =>
        (await ctx.folders.first().model.describe()).baseUrls[0] === server.url ? true : undefined,
      );
    });

    after(async () => {
      await server?.close();
    });

    const run = (args: Record<string, unknown>) =>
      vscode.commands.executeCommand<CollectSummary | undefined>(CommandIds.collectPreferences, {
        folder: folder().toString(),
        sources: 'prompts',
        systemA: 'You are a helpful assistant.',
        systemB: 'Answer in as few words as you can.',
        ...args,
      });

    it("appends picks to the user's JSONL file, keeps ties and skips in the log only, and never touches the old lines", async () => {
      const uri = file('ada.prefs.jsonl');
      const before = await readText(uri);
      const r = await run({
        userId: 'ada',
        prompts: ['How do I undo a commit?', 'Tabs or spaces?', 'Best editor?', 'Is Rust hard?'],
        answers: ['2 shorter', '1', 't', 's'],
      });
      assert.ok(r, 'the command ran');
      assert.deepEqual([r.picked, r.ties, r.skipped, r.failed], [2, 1, 1, 0]);
      const after = await readText(uri);
      assert.ok(after.startsWith(before), 'the old lines are untouched');
      const parsed = parseJsonlText(after, 'ada.prefs.jsonl');
      assert.deepEqual(parsed.problems, []);
      const added = parsed.pairs.filter((p) => r.appended.includes(p.pairId));
      assert.equal(added.length, 2);
      assert.equal((added[0]!.meta as { collected: { reason?: string } }).collected.reason, 'shorter');
      const { ctx } = await api();
      await waitFor('the index to see the new pairs', async () =>
        r.appended.every((id) =>
          ctx.folders
            .first()
            .files.current()
            ?.user('ada')
            ?.pairs.some((p) => p.pairId === id),
        )
          ? true
          : undefined,
      );
      const log = await readLog(collectLogPath(folder().fsPath, 'ada'));
      assert.deepEqual(
        log
          .filter((e) => e.type !== 'appended')
          .slice(-4)
          .map((e) => e.type),
        ['pick', 'pick', 'tie', 'skip'],
      );
      // Restore the example file for the suites after this one.
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(before));
    });

    it('appends to a YAML list of pairs, and starts a new file for a new user', async () => {
      const yaml = file('chen.prefs.yaml');
      const before = await readText(yaml);
      const r = await run({ userId: 'chen', prompts: ['Is coffee bad for you?'], answers: ['1'] });
      assert.equal(r?.picked, 1);
      const after = await readText(yaml);
      assert.ok(after.startsWith(before));
      const parsed = parseYamlText(after, 'chen.prefs.yaml');
      assert.deepEqual(parsed.problems, []);
      assert.ok(parsed.pairs.some((p) => p.pairId === r!.appended[0]));
      await vscode.workspace.fs.writeFile(yaml, new TextEncoder().encode(before));

      const n = await run({ userId: 'newbie', prompts: ['What should I cook tonight?'], answers: ['2 less fuss'] });
      assert.equal(n?.picked, 1);
      const created = file('newbie.prefs.jsonl');
      const parsedNew = parseJsonlText(await readText(created), 'newbie.prefs.jsonl');
      assert.deepEqual(parsedNew.problems, []);
      assert.equal(parsedNew.pairs[0]!.userId, 'newbie');
      await vscode.workspace.fs.delete(created);
    });

    it('a failed generation appends nothing and says so', async () => {
      const uri = file('ada.prefs.jsonl');
      const before = await readText(uri);
      failing = true;
      try {
        const r = await run({ userId: 'ada', prompts: ['Will this fail?'], answers: ['1'] });
        assert.deepEqual([r?.picked, r?.failed], [0, 1]);
        assert.equal(await readText(uri), before);
      } finally {
        failing = false;
      }
    });

    it('ask next (synthesizeme.collect.askNext): the pair is chosen by the persona judge, and why is kept with the pick', async () => {
      const { ctx } = await api();
      assert.ok(ctx.folders.first().files.hasPersona('ada'), 'the model suite fitted ada');
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('collect.askNext', 2, vscode.ConfigurationTarget.Workspace);
      const uri = file('ada.prefs.jsonl');
      const before = await readText(uri);
      try {
        await waitFor('the setting', () => (ctx.folders.first().files.config.collect.askNext === 2 ? true : undefined));
        const r = await run({ userId: 'ada', prompts: ['First question?', 'Second question?'], answers: ['1', '2'] });
        assert.equal(r?.picked, 2);
        const log = await readLog(collectLogPath(folder().fsPath, 'ada'));
        const picks = log.filter((e) => e.type === 'pick').slice(-2) as { informative?: string }[];
        assert.match(
          picks[0]!.informative ?? '',
          /unsure about this pair/,
          'the first pick was chosen by the judge, with its reason',
        );

        // A pool of unlabelled pairs: nothing generated, the picks appended as they are.
        const pool = vscode.Uri.joinPath(folder(), 'pool.txt');
        await vscode.workspace.fs.writeFile(
          pool,
          new TextEncoder().encode(
            [
              JSON.stringify({ prompt: 'P1?', response_1: 'one', response_2: 'uno' }),
              JSON.stringify({ prompt: 'P2?', response_1: 'two', response_2: 'dos' }),
            ].join('\n') + '\n',
          ),
        );
        const generations = () => server.chats.filter((x) => !x.request.schema).length;
        const g0 = generations();
        const p = await run({ userId: 'ada', pairsFile: 'pool.txt', answers: ['1', '1'] });
        assert.equal(p?.picked, 2);
        assert.equal(generations(), g0, 'nothing generated');
        const added = parseJsonlText(await readText(uri), 'ada.prefs.jsonl').pairs.filter((x) =>
          p!.appended.includes(x.pairId),
        );
        assert.deepEqual(added.map((x) => [x.chosen.content, x.rejected.content].sort().join('/')).sort(), [
          'dos/two',
          'one/uno',
        ]);
        await vscode.workspace.fs.delete(pool);
      } finally {
        await c.update('collect.askNext', undefined, vscode.ConfigurationTarget.Workspace);
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(before));
      }
    });
  });
}
