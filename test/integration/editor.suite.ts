/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import { api, file, lensesOf } from './helpers';

const judgeLenses = (lenses: vscode.CodeLens[]) => lenses.filter((l) => l.command?.command === CommandIds.judgePair);

export function editorSuite(): void {
  describe('CodeLens "Judge this pair"', () => {
    before(async () => {
      await (await api()).ctx.folders.first().files.get();
    });

    it('is above every record of a JSONL file (one per line)', async () => {
      const uri = file('ada.prefs.jsonl');
      const doc = await vscode.workspace.openTextDocument(uri);
      const lenses = judgeLenses(await lensesOf(uri));
      const records = doc
        .getText()
        .split('\n')
        .filter((l) => l.trim()).length;
      assert.equal(lenses.length, records);
      lenses.forEach((l, i) => assert.equal(l.range.start.line, i));
      assert.match(lenses[0]!.command!.title, /Judge this pair/);
    });

    it('hovering a pair not judged yet shows its question, the start of each response and which was chosen, as text', async () => {
      const uri = file('bruno.prefs.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      const first = (JSON.parse(doc.getText()) as { pair_id: string; chosen: string }[])[0]!;
      const line = doc
        .getText()
        .split('\n')
        .findIndex((l) => l.includes('{'));
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        uri,
        new vscode.Position(line, 2),
      );
      const text = hovers
        .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)))
        .join('\n');
      assert.match(text, /\*Question:\*/);
      assert.match(text, /\*Chosen:\*/);
      assert.match(text, /Not judged yet/);
      assert.ok(text.includes(first.pair_id.replace(/[\\`*_{}[\]()#+\-.!|>~]/g, '\\$&')), text);
    });

    it('is above every element of a JSON array, on its opening brace', async () => {
      const uri = file('bruno.prefs.json');
      const doc = await vscode.workspace.openTextDocument(uri);
      const lenses = judgeLenses(await lensesOf(uri));
      const parsed = JSON.parse(doc.getText()) as unknown[];
      assert.equal(lenses.length, parsed.length);
      for (const l of lenses) assert.equal(doc.lineAt(l.range.start.line).text.trim(), '{');
    });

    for (const [name, item] of [
      ['chen.prefs.yaml', /^- /],
      ['dana.prefs.yaml', /^ {2}- /],
    ] as const) {
      it(`is above every item of a YAML list (${name})`, async () => {
        const uri = file(name);
        const doc = await vscode.workspace.openTextDocument(uri);
        const lenses = judgeLenses(await lensesOf(uri));
        const items = doc
          .getText()
          .split('\n')
          .filter((l) => item.test(l)).length;
        assert.ok(items > 0);
        assert.equal(lenses.length, items);
        for (const l of lenses) assert.match(doc.lineAt(l.range.start.line).text, item);
      });
    }

    it('is not offered outside preference files', async () => {
      const uri = file('README.md');
      await vscode.workspace.openTextDocument(uri);
      assert.equal(judgeLenses(await lensesOf(uri)).length, 0);
    });

    it('follows unsaved edits of the open document', async () => {
      const uri = file('ada.prefs.jsonl');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      const before = judgeLenses(await lensesOf(uri)).length;
      await editor.edit((e) =>
        e.insert(
          new vscode.Position(0, 0),
          doc.lineAt(0).text.replace(/"pair_id":"[^"]+"/, '"pair_id":"ada-new"') + '\n',
        ),
      );
      const after = judgeLenses(await lensesOf(uri));
      assert.equal(after.length, before + 1);
      assert.equal(after[1]!.range.start.line, 1);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      assert.equal(judgeLenses(await lensesOf(uri)).length, before);
    });
  });
}
