/// <reference types="mocha" />
// The benchmark commands (issue 6) against a loopback Ollama started here, on the example
// workspace: the personalizable classifier on the active file, and the scaling plot (fits at
// each context size, evaluation, the SVG and JSON files, the chart drawn in the Verdicts view).

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { ClassifyOutcome } from '../../src/extension/commands/classify';
import type { ScalingOutcome } from '../../src/extension/commands/bench-scaling';
import type { BenchRunOutcome } from '../../src/extension/commands/bench-run';
import type { PrepareOutcome } from '../../src/extension/commands/bench-prepare';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import {
  api,
  chartPaintOf,
  file,
  folder,
  markdownPreviews,
  printLogOnFailure,
  readText,
  say,
  waitFor,
} from './helpers';

export function benchSuite(): void {
  describe('benchmark commands (loopback Ollama)', function () {
    this.timeout(180_000);
    printLogOnFailure();
    let server: LoopbackServer;
    const chosen = new Set<string>();
    let saidPersonalizable = 0;

    // The classifier's label follows the length of the pair's text, so both labels occur; its
    // reason holds markup and a pipe, which the Markdown report must escape. The judge finds the
    // user's choice only with a persona in its system prompt, like model.suite's brain.
    const brain = (req: BrainRequest): string => {
      const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
      if ('personalizable' in props) {
        const yes = last.length % 2 === 0;
        if (yes) saidPersonalizable++;
        return JSON.stringify({ reason: `taste <b>differs</b> | or not (${last.length})`, personalizable: yes });
      }
      if ('persona' in props)
        return JSON.stringify({ reasoning: 'summarised', persona: 'Prefers short, direct answers.' });
      if (!('preference' in props)) return 'Prefers short, direct answers.';
      let preference = 'A';
      if (system.includes('Prefers short')) {
        const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(last)?.[1]?.trim() ?? '';
        preference = chosen.has(a) ? 'A' : 'B';
      }
      return JSON.stringify({ reasoning: `I pick ${preference}.`, preference });
    };

    before(async () => {
      const { ctx } = await api();
      const index = await ctx.folders.first().files.get();
      for (const u of index.users()) for (const p of u.pairs) chosen.add(p.chosen.content.trim());
      server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'], chunkIntervalMs: 1 });
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('provider', 'ollama', vscode.ConfigurationTarget.Workspace);
      await c.update('baseUrls', [server.url], vscode.ConfigurationTarget.Workspace);
      await c.update('model', 'llama3.1:8b', vscode.ConfigurationTarget.Workspace);
      await waitFor('the model settings', async () =>
        (await ctx.folders.first().model.describe()).baseUrls.some((u) => u.includes(String(server.port)))
          ? true
          : undefined,
      );
    });

    after(async () => {
      await server?.close();
    });

    it('classifies the pairs of the active file, with a message, the log and an escaped Markdown report', async () => {
      const uri = file('ada.prefs.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const before = server.stats.chat;
      const r = await vscode.commands.executeCommand<ClassifyOutcome>(CommandIds.classifyPairs);
      assert.ok(r, 'an outcome');
      assert.equal(r.pairs, 16);
      assert.equal(server.stats.chat - before, 16, 'one call per pair');
      assert.equal(r.personalizable, saidPersonalizable);
      assert.equal(r.personalizable + r.notPersonalizable, 16);
      assert.ok(
        r.personalizable > 0 && r.notPersonalizable > 0,
        JSON.stringify({ yes: r.personalizable, no: r.notPersonalizable }),
      );
      assert.equal(r.unlabelled, 0);
      const md = await readText(vscode.Uri.file(r.report));
      assert.match(md, new RegExp(`${r.personalizable} of 16 pair\\(s\\) personalizable`));
      assert.equal(md.split('\n').filter((l) => /^\| ada-\d+ \|/.test(l)).length, 16, md);
      assert.ok(
        !md.includes('<b>') && md.includes('\\<b\\>') && md.includes('\\|'),
        'model text is escaped in the table',
      );
      // Shown rendered (the Markdown preview), not as its source.
      await waitFor('the report preview', () =>
        markdownPreviews().find((p) => p.tab.label.includes(basename(r.report))),
      );
    });

    it('runs the scaling plot: the SVG and JSON files, numbers at each size, the chart drawn from data', async () => {
      const chartPaint = await chartPaintOf();
      const r = await vscode.commands.executeCommand<ScalingOutcome>(CommandIds.benchScaling, {
        sizes: [2, 4, 8],
        folder: folder().toString(),
      });
      assert.ok(r, 'an outcome');
      assert.deepEqual(
        r.result.points.map((p) => p.size),
        [2, 4, 8],
      );
      for (const p of r.result.points) {
        assert.ok(p.pairs > 0 && p.users === 4, JSON.stringify(p));
        assert.ok(Number.isFinite(p.accuracy) && p.ci95[0] <= p.accuracy && p.accuracy <= p.ci95[1], JSON.stringify(p));
        assert.ok(p.meanContextUsed <= p.size);
      }
      assert.ok(r.result.points[0]!.calls > 0, 'the first size called the model');
      say(
        `      scaling: ${r.result.points.map((p) => `${p.size}: ${(100 * p.accuracy).toFixed(1)}%`).join(', ')}; slope ${r.result.slopePointsPerPair}`,
      );
      assert.match(r.svg, /[\\/]\.synthesizeme[\\/]bench[\\/]scaling-[^\\/]+\.svg$/);
      const svg = await readText(vscode.Uri.file(r.svg));
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal((svg.match(/<circle class="point"/g) ?? []).length, 3);
      const data = JSON.parse(await readText(vscode.Uri.file(r.json))) as {
        points: { size: number; accuracy: number }[];
      };
      assert.deepEqual(
        data.points.map((p) => p.size),
        [2, 4, 8],
      );
      assert.ok(data.points.every((p) => typeof p.accuracy === 'number'));
      // The webview reports how many points it drew with DOM APIs from the numbers it was sent.
      const painted = await waitFor('the chart in the Verdicts view', () => chartPaint(), 30_000);
      assert.equal(painted.points, 3);
    });

    it('a re-run reuses the fitted personas and the cached calls', async () => {
      const before = server.stats.chat;
      const r = await vscode.commands.executeCommand<ScalingOutcome>(CommandIds.benchScaling, {
        sizes: [2, 4, 8],
        folder: folder().toString(),
      });
      assert.ok(r);
      assert.equal(server.stats.chat, before, 'no new model call');
    });
    it('runs methods over the workspace: one results table with every method and the comparison with default', async () => {
      const r = await vscode.commands.executeCommand<BenchRunOutcome>(CommandIds.benchRun, {
        methods: ['default', 'persona+demos'],
        folder: folder().toString(),
      });
      assert.ok(r, 'an outcome');
      assert.deepEqual(r.result.cells.map((c) => c.method).sort(), ['default', 'persona+demos']);
      for (const c of r.result.cells) assert.ok(c.pairs > 0 && Number.isFinite(c.accuracy), JSON.stringify(c));
      // The brain finds the user's choice only with a persona: persona+demos beats default.
      const acc = (m: string) => r.result.cells.find((c) => c.method === m)!.accuracy;
      assert.ok(acc('persona+demos') > acc('default'), `${acc('persona+demos')} vs ${acc('default')}`);
      assert.equal(r.result.comparisons.length, 1);
      const md = await readText(vscode.Uri.file(r.report));
      assert.match(md, /persona\+demos/);
      assert.match(md, /vs default/);
    });

    it('prepares a data set from preference files: native JSONL, the report with every step', async () => {
      // Outside the workspace folder, so the prepared copy of the pairs does not join the index.
      const dir = mkdtempSync(join(tmpdir(), 'sm-prepare-'));
      try {
        const files = ['ada.prefs.jsonl', 'bruno.prefs.json', 'chen.prefs.yaml', 'dana.prefs.yaml'].map(
          (f) => file(f).fsPath,
        );
        const r = await vscode.commands.executeCommand<PrepareOutcome>(CommandIds.benchPrepare, {
          kind: 'prefs',
          files,
          out: join(dir, 'prepared.prefs.jsonl'),
          folder: folder().toString(),
        });
        assert.ok(r, 'an outcome');
        assert.ok(r.records > 0 && r.records < 61, `${r.records} records kept of 61`);
        const lines = (await readText(vscode.Uri.file(r.out))).trim().split('\n');
        assert.equal(lines.length, r.records);
        assert.ok(lines.every((l) => typeof (JSON.parse(l) as { user_id?: unknown }).user_id === 'string'));
        const md = await readText(vscode.Uri.file(r.report));
        assert.match(md, /^# PersonalRewardBench preparation/);
        assert.match(md, /Personalizable classifier \(llama3\.1:8b\): \d+ personalizable/);
        assert.match(md, /Splits: \d+ context, \d+ validation, \d+ test/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
