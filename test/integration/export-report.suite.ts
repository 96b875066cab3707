/// <reference types="mocha" />
// Export Report... (issue 26 item 1): the engine's report job from VS Code, on runs given as the command's argument
// (the quick pick and the save dialog are the person's), written where the caller chose, even outside the workspace.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { ReportResult } from '../../src/core/report';
import { api, folder, printLogOnFailure } from './helpers';
import { runLines } from './run-editor.suite';

export function exportReportSuite(): void {
  describe('export report', () => {
    // The harness opens two folders: each call names the first (the command would otherwise ask which).
    printLogOnFailure();
    const made: string[] = [];
    let outside = '';
    let runs = '';

    before(async () => {
      const { ctx } = await api();
      runs = (await ctx.folders.first().files.layout()).runsDir;
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(runs));
      outside = mkdtempSync(join(tmpdir(), 'synthesizeme-report-'));
    });

    after(() => {
      for (const f of made) rmSync(f, { force: true });
      rmSync(outside, { recursive: true, force: true });
    });

    const run = (name: string, id: string, method: string, wrong: number) => {
      const path = join(runs, name);
      writeFileSync(path, runLines(id, method, 8, wrong));
      made.push(path);
      return path;
    };

    it('writes one self-contained HTML file of the runs given, outside the workspace where the caller chose', async () => {
      const base = run('default-test-report0001.run.jsonl', 'report0001', 'default', 4);
      const other = run('persona-demos-test-report0002.run.jsonl', 'report0002', 'persona+demos', 3);
      const out = join(outside, 'shared', 'report.html');
      const r = await vscode.commands.executeCommand<ReportResult | undefined>(CommandIds.exportReport, {
        folder: folder().toString(),
        runs: [base, other],
        out,
      });
      assert.ok(r, 'the command returned no result (see the log)');
      assert.equal(r.path, out);
      assert.equal(r.runs, 2);
      assert.equal(r.pairs, 8);
      assert.equal(r.users, 1);
      const html = readFileSync(out, 'utf8');
      assert.equal(Buffer.byteLength(html), r.bytes);
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
      assert.ok(html.includes('report0001') && html.includes('report0002'), 'both runs are in the file');
      assert.ok(!/<script[^>]+src=/i.test(html), 'no script is loaded from elsewhere');
      assert.match(html, /SynthesizeMe Studio \d+\.\d+\.\d+ \(Export Report\)/, 'the provenance names the face');
    });

    it('refuses to replace a file unless asked, and writes nothing when it refuses', async () => {
      const base = run('default-test-report0003.run.jsonl', 'report0003', 'default', 2);
      const out = join(outside, 'taken.html');
      writeFileSync(out, 'mine');
      const refused = await vscode.commands.executeCommand(CommandIds.exportReport, {
        folder: folder().toString(),
        runs: [base],
        out,
      });
      assert.equal(refused, undefined);
      assert.equal(readFileSync(out, 'utf8'), 'mine', 'the file that was there is untouched');
      const r = await vscode.commands.executeCommand<ReportResult | undefined>(CommandIds.exportReport, {
        folder: folder().toString(),
        runs: [base],
        out,
        force: true,
      });
      assert.equal(r?.runs, 1);
      assert.notEqual(readFileSync(out, 'utf8'), 'mine');
    });

    it("takes the folder's newest run of each kind, the default method first, as the CLI does for a folder", async () => {
      const out = join(outside, 'newest.html');
      const r = await vscode.commands.executeCommand<ReportResult | undefined>(CommandIds.exportReport, {
        folder: folder().toString(),
        newest: true,
        out,
      });
      assert.ok(r && existsSync(out), 'no report written');
      assert.ok(r.runs >= 1, `${r.runs} run(s)`);
      const html = readFileSync(out, 'utf8');
      // The head block names the runs in order: the first is a run of the default method.
      const methods = [...html.matchAll(/"method":"([^"]+)"/g)].map((m) => m[1]);
      assert.equal(methods[0], 'default', methods.slice(0, 5).join(', '));
    });
  });
}
