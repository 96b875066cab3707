/// <reference types="mocha" />
// Reading and comparing results (issue 14): the pair view, the comparison grid and version history,
// driven through their commands in the VS Code host, after the model suite has fitted and evaluated.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { EvalResult } from '../../src/core/eval/evaluate';
import type { PairViewData, HistoryView } from '../../src/extension/protocol';
import { readRun } from '../../src/core/eval/run-file';
import { api, file, folder, lensesOf, pairViewOf, readText, waitFor } from './helpers';

export function readingSuite(): void {
  describe('reading and comparing results', () => {
    let defaultRun: string;
    let personaRun: string;
    let testPair: string;

    before(async () => {
      // Both are cached from the model suite (same prompts, same model): no new calls.
      defaultRun = (
        await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
          method: 'default',
          split: 'test',
          userId: 'ada',
        })
      ).run;
      personaRun = (
        await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
          method: 'persona+demos',
          split: 'test',
          userId: 'ada',
        })
      ).run;
      testPair = [...(await readRun(defaultRun)).verdicts.values()][0]!.pairId;
    });

    it('every pair has an "Open Pair" lens, and it opens the pair view with the pair rendered and every run that judged it', async () => {
      const uri = file('ada.prefs.jsonl');
      await vscode.workspace.openTextDocument(uri);
      const lenses = (await lensesOf(uri)).filter((l) => l.command?.command === CommandIds.openPair);
      const text = await readText(uri);
      assert.equal(
        lenses.length,
        text.split('\n').filter((l) => l.trim()).length,
        'one lens per pair (one pair per line)',
      );
      const lens = lenses.find((l) => (l.command!.arguments![0] as { pairId: string }).pairId === testPair)!;
      const view = await vscode.commands.executeCommand<PairViewData>(
        CommandIds.openPair,
        ...(lens.command!.arguments ?? []),
      );
      assert.equal(view.user, 'ada');
      assert.equal(view.pairId, testPair);
      assert.equal(view.split, 'test');
      assert.ok(view.chosen.length > 0 && view.rejected.length > 0);
      const methods = view.judgements.map((j) => j.method).sort();
      assert.ok(methods.includes('default') && methods.includes('persona+demos'), methods.join(', '));
      for (const j of view.judgements) assert.equal(j.orders.length, 2, 'both orders of every run');
      assert.ok(
        view.judgements.find((j) => j.method === 'persona+demos')?.personaVersion,
        'the persona version a persona run used',
      );
      assert.deepEqual(
        view.positions.map((p) => p.scope),
        ['file', 'user'],
      );
    });

    it('moves to the next and previous pair in the file and in the user', async () => {
      const { ctx } = await api();
      const pairView = await pairViewOf();
      const start = (await vscode.commands.executeCommand<PairViewData>(CommandIds.openPair, {
        folder: folder().toString(),
        user: 'ada',
        pairId: testPair,
      }))!;
      const at = start.positions.find((p) => p.scope === 'file')!.index;
      const pairs = (await ctx.folders.first().files.get()).file(start.file)!.pairs;
      await pairView.navigate('file', 1);
      assert.equal(pairView.last()?.pairId, pairs[(at + 1) % pairs.length]!.pairId, 'the next pair of the file');
      await pairView.navigate('file', -1);
      assert.equal(pairView.last()?.pairId, testPair, 'and back');
      const users = (await ctx.folders.first().files.get()).user('ada')!.pairs;
      const u = users.findIndex((p) => p.pairId === testPair);
      await pairView.navigate('user', -1);
      assert.equal(
        pairView.last()?.pairId,
        users[(u - 1 + users.length) % users.length]!.pairId,
        'the previous pair of the user',
      );
      assert.equal(pairView.last()?.scope, 'user');
    });

    it('Compare Runs: one row per pair, a column per run, flipped pairs, and the paired difference against the first column', async () => {
      const grid = await vscode.commands.executeCommand<{
        runs: unknown[];
        rows: { flipped: boolean; cells: ({ score: number | null } | null)[] }[];
        summary: { accuracy: number | null; versusFirst?: { difference: number } }[];
      }>(CommandIds.compareRuns, { folder: folder().toString(), runs: [defaultRun, personaRun] });
      assert.equal(grid.runs.length, 2);
      assert.equal(grid.rows.length, (await readRun(defaultRun)).verdicts.size);
      for (const r of grid.rows)
        assert.equal(r.flipped, r.cells[0]?.score !== r.cells[1]?.score && r.cells[0] !== null && r.cells[1] !== null);
      const [a, b] = grid.summary;
      assert.ok(a!.accuracy !== null && b!.accuracy !== null);
      assert.ok(
        Math.abs(b!.versusFirst!.difference - (b!.accuracy! - a!.accuracy!)) < 1e-9,
        'the difference is the second run minus the first, over the same pairs',
      );
      // One run is an expected error: said in a notification, nothing shown.
      const { ctx } = await api();
      assert.equal(
        await vscode.commands.executeCommand(CommandIds.compareRuns, {
          folder: folder().toString(),
          runs: [defaultRun],
        }),
        undefined,
      );
      assert.match(ctx.notices.recent[ctx.notices.recent.length - 1]?.text ?? '', /two or more runs/);
    });

    it('Show History: each persona version with who made it and its runs, oldest first, the current one last', async () => {
      const h = await vscode.commands.executeCommand<HistoryView>(CommandIds.showHistory, {
        folder: folder().toString(),
        user: 'ada',
      });
      assert.equal(h.kind, 'persona');
      assert.ok(h.versions.length >= 2, `${h.versions.length} version(s)`);
      assert.equal(h.versions[h.versions.length - 1]!.current, true);
      const origins = new Set(h.versions.map((v) => v.origin));
      assert.ok(origins.has('fit'), [...origins].join(', '));
      assert.ok(origins.has('hand edit'), 'the model suite edited the persona by hand and re-validated it');
      assert.ok(
        h.versions.some((v) => v.runs.some((r) => r.method === 'persona+demos')),
        'a version lists its runs',
      );
      const judge = await vscode.commands.executeCommand<HistoryView>(CommandIds.showHistory, {
        folder: folder().toString(),
        prompt: 'judge',
      });
      assert.equal(judge.kind, 'prompt');
      assert.ok(judge.versions.length >= 1);
    });

    it('Compare with current: the diff of two persona versions and the grid of their runs, on the flipped pairs', async () => {
      const { ctx } = await api();
      const f = ctx.folders.first();
      const path = vscode.Uri.file(`${(await f.files.layout()).personaDir}/ada.persona.yaml`);
      const original = await readText(path);
      try {
        // A hand edit, then a run with it: the edited version and the one before each have a persona+demos test run.
        await vscode.workspace.fs.writeFile(
          path,
          new TextEncoder().encode(
            original.replace(/^persona: \|.*\n/m, (m) => `${m}  Prefers answers that start with the code.\n`),
          ),
        );
        const edited = await readText(path);
        assert.notEqual(edited, original, 'the persona was edited');
        // The extension reads an open editor's text first (saved or not): wait until the editor has reloaded the file.
        const doc = await vscode.workspace.openTextDocument(path);
        await waitFor('the editor to reload the edited persona', () => (doc.getText() === edited ? true : undefined));
        const ran = await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
          method: 'persona+demos',
          split: 'test',
          userId: 'ada',
        });
        const { personaVersions } = await import('../../src/core/eval/version-history');
        const versions = await personaVersions(await f.files.layout(), 'ada');
        const now = versions[versions.length - 1]!;
        const header = ran ? (await readRun(ran.run)).header : undefined;
        assert.ok(
          now.current && now.runs.some((r) => r.method === 'persona+demos' && r.split === 'test'),
          `the edited version has its run (run ${ran?.run}, persona ${header?.inputs['persona:ada']}, current ${now.hash}; ${ctx.notices.recent
            .map((n) => n.text)
            .slice(-2)
            .join(' | ')})`,
        );
        const before = [...versions]
          .reverse()
          .find((v) => !v.current && v.runs.some((r) => r.method === 'persona+demos' && r.split === 'test'))!;
        assert.ok(before, 'an earlier version with a run on the same split and method');
        const { compareWithCurrent } = await import('../../src/extension/views/history-panel');
        await compareWithCurrent(ctx, f, before, now);
        const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
        assert.ok(
          tabs.some((l) => l.startsWith('ada: ') && l.includes('↔ current')),
          `the diff editor: ${tabs.join(' | ')}`,
        );
        assert.ok(tabs.includes('Compare 2 runs'), `the grid: ${tabs.join(' | ')}`);
      } finally {
        await vscode.workspace.fs.writeFile(path, new TextEncoder().encode(original));
      }
    });
  });
}
