/// <reference types="mocha" />
// The run file's editor (issue 26 item 4): `*.run.jsonl` opens in the Verdicts page, read-only, with the grid one
// click away and "Open as Text"; a file that is no run, or lies outside the workspace, is refused in the editor.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HostToVerdicts, VerdictsToHost } from '../../src/extension/protocol';
import type { EditorTestApi } from '../../src/extension/views/webview-host';
import { RUN_EDITOR } from '../../src/extension/views/run-editor';
import { api, testApi, waitFor } from './helpers';

/** A run file's lines: a header, ada's first `pairs` pairs judged (the `wrong`th of each wrong), a summary. */
export function runLines(id: string, method: string, pairs: number, wrong: number): string {
  const header = {
    type: 'header',
    version: 1,
    id,
    method,
    split: 'test',
    provider: 'ollama',
    model: 'llama3.1:8b',
    seed: 0,
    temperature: 0,
    users: ['ada'],
    created: new Date().toISOString(),
    inputs: {},
  };
  const lines = [JSON.stringify(header)];
  let correct = 0;
  for (let i = 1; i <= pairs; i++) {
    const ok = i % wrong !== 0;
    correct += ok ? 2 : 0;
    const order = (o: 'AB' | 'BA') => ({
      order: o,
      preference: ok === (o === 'AB') ? 'A' : 'B',
      correct: ok,
      reasoning: `r${i}`,
    });
    lines.push(
      JSON.stringify({
        type: 'verdict',
        userId: 'ada',
        pairId: `ada-${String(i).padStart(2, '0')}`,
        file: 'ada.prefs.jsonl',
        line: i,
        orders: [order('AB'), order('BA')],
      }),
    );
  }
  const acc = correct / (2 * pairs);
  lines.push(
    JSON.stringify({
      type: 'summary',
      accuracy: acc,
      ci95: [Math.max(0, acc - 0.2), Math.min(1, acc + 0.2)],
      consistency: 1,
      samples: 2 * pairs,
      pairs,
      users: [],
      completed: new Date().toISOString(),
    }),
  );
  return lines.join('\n') + '\n';
}

async function activeTab(): Promise<vscode.Tab | undefined> {
  return vscode.window.tabGroups.activeTabGroup.activeTab;
}

/** The editor's page once it has shown something for this document. */
async function editorOf(uri: vscode.Uri): Promise<{ view: EditorTestApi<'verdicts'>; shown: HostToVerdicts }> {
  const { webviews } = await testApi();
  return waitFor(`the run editor of ${uri.fsPath}`, () => {
    const view = webviews.editor('verdicts', uri);
    const shown = view?.shown();
    return view && shown ? { view, shown } : undefined;
  });
}

export function runEditorSuite(): void {
  describe('run editor', () => {
    const made: string[] = [];
    let outside = '';
    let runs = '';

    before(async () => {
      const { ctx } = await api();
      runs = (await ctx.folders.first().files.layout()).runsDir;
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(runs));
      outside = mkdtempSync(join(tmpdir(), 'synthesizeme-run-editor-'));
    });

    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      for (const f of made) rmSync(f, { force: true });
      rmSync(outside, { recursive: true, force: true });
    });

    const write = (path: string, text: string) => {
      writeFileSync(path, text);
      made.push(path);
      return vscode.Uri.file(path);
    };

    it('opens a *.run.jsonl in the Verdicts page by default, read-only, its grid one click away, as text on request', async () => {
      const uri = write(join(runs, 'default-test-runeditor01.run.jsonl'), runLines('runeditor01', 'default', 8, 4));
      write(join(runs, 'persona-demos-test-runeditor02.run.jsonl'), runLines('runeditor02', 'persona+demos', 8, 3));
      await vscode.commands.executeCommand('vscode.open', uri);
      const { view, shown } = await editorOf(uri);
      const tab = await activeTab();
      assert.ok(tab?.input instanceof vscode.TabInputCustom, 'a custom editor, not the text editor');
      assert.equal(tab.input.viewType, RUN_EDITOR);
      assert.equal(shown.type, 'run', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'run') return;
      assert.equal(shown.inEditor, true, 'with the editor buttons');
      assert.equal(shown.rows.length, 8);
      assert.deepEqual(
        shown.methods.map((m) => m.method),
        ['default', 'persona+demos'],
        'the other method beside it, over the same pairs',
      );
      // The page itself drew the rows (the ready handshake went through the one host).
      await waitFor('the first paint', () => view.reported('painted'), 30_000);

      // "Open in Grid": Compare Runs on this run (the baseline column) and the run beside it.
      const { webviews } = await testApi();
      await view.receive({ type: 'openGrid' } satisfies VerdictsToHost);
      const grid = await waitFor('the grid', () => {
        const g = webviews.shown('grid');
        return g?.type === 'grid' && g.runs.some((r) => r.id === 'runeditor01') ? g : undefined;
      });
      assert.deepEqual(
        grid.runs.map((r) => r.id),
        ['runeditor01', 'runeditor02'],
      );

      // "Open as Text": VS Code's text editor on the same file.
      await view.receive({ type: 'openAsText' });
      const text = await waitFor('the text editor', async () => {
        const t = await activeTab();
        return t?.input instanceof vscode.TabInputText && t.input.uri.fsPath === uri.fsPath ? t : undefined;
      });
      assert.ok(text);
    });

    it('a file that is no run says so in the editor', async () => {
      const uri = write(join(runs, 'not-a-run.run.jsonl'), '{"note": "a JSON line, not a run"}\n');
      await vscode.commands.executeCommand('vscode.openWith', uri, RUN_EDITOR);
      const { shown } = await editorOf(uri);
      assert.equal(shown.type, 'notice', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'notice') return;
      assert.match(shown.title, /not-a-run\.run\.jsonl cannot be shown as a run/);
      assert.match(shown.text, /not a run file/);
    });

    it('a run outside the workspace, or a link in it that leads out, is refused without being shown', async () => {
      const away = join(outside, 'default-test-away0001.run.jsonl');
      writeFileSync(away, runLines('away0001', 'default', 4, 2));
      const uri = vscode.Uri.file(away);
      await vscode.commands.executeCommand('vscode.openWith', uri, RUN_EDITOR);
      const { shown } = await editorOf(uri);
      assert.equal(shown.type, 'notice', JSON.stringify(shown).slice(0, 300));
      if (shown.type !== 'notice') return;
      assert.match(shown.title, /is outside the workspace/);
      assert.match(shown.text, /has not read/);

      // A link planted in the runs folder, to the same file outside: the read guard refuses it.
      const link = join(runs, 'default-test-link0001.run.jsonl');
      symlinkSync(away, link);
      made.push(link);
      const linked = vscode.Uri.file(link);
      await vscode.commands.executeCommand('vscode.openWith', linked, RUN_EDITOR);
      const refused = (await editorOf(linked)).shown;
      assert.equal(refused.type, 'notice', JSON.stringify(refused).slice(0, 300));
      if (refused.type !== 'notice') return;
      assert.match(refused.title, /default-test-link0001\.run\.jsonl cannot be shown as a run/);
      assert.match(refused.text, /refusing to read/, refused.text);
    });
  });
}
