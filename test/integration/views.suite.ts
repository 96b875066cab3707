/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import { escapeMarkdown } from '../../src/extension/editor/pair-codelens';
import { verdictTitle } from '../../src/extension/editor/verdict-store';
import { isInspectorToHost, isVerdictsToHost } from '../../src/extension/protocol';
import { join } from 'node:path';
import { personaView } from '../../src/extension/views/persona-data';
import { api, waitFor } from './helpers';

const order = (o: 'AB' | 'BA', preference: 'A' | 'B' | null, correct: boolean) => ({
  order: o,
  preference,
  correct,
  reasoning: '',
});

export function viewsSuite(): void {
  describe('views', () => {
    it('the Users tree lists users with their splits and persona state', async () => {
      const { users, ctx } = await api();
      await ctx.folders.first().files.get();
      // Multi-root (the harness opens two folders): the users are grouped under their folder's node.
      const items = await users.userItems();
      const ada = items.find((i) => i.userId === 'ada');
      assert.ok(ada, items.map((i) => i.userId).join(', '));
      assert.match(String(ada.description), /^ctx \d+ · val \d+ · test \d+/);
      assert.equal(ada.contextValue, ctx.folders.first().files.hasPersona('ada') ? 'user.persona' : 'user');
      assert.equal(ada.command?.command, CommandIds.inspectPersona);
    });

    it('the Persona Inspector flags a persona fitted with a judge prompt that has changed since', async () => {
      const { ctx } = await api();
      const f = ctx.folders.first();
      assert.ok(f.files.hasPersona('ada'), 'the model suite fitted ada');
      const judge = vscode.Uri.file(join((await f.files.layout()).promptDir, 'judge.prompt.md'));
      const original = new TextDecoder().decode(await vscode.workspace.fs.readFile(judge));
      assert.equal((await personaView(f, 'ada'))?.stale, undefined, 'fitted with the current judge prompt');
      try {
        await vscode.workspace.fs.writeFile(judge, new TextEncoder().encode(original + '\nAlso weigh tone.\n'));
        assert.deepEqual((await personaView(f, 'ada'))?.stale, ['judge']);
      } finally {
        await vscode.workspace.fs.writeFile(judge, new TextEncoder().encode(original));
      }
    });

    it('the Persona Inspector opens for a user', async () => {
      const shown = await vscode.commands.executeCommand(CommandIds.inspectPersona, 'ada');
      assert.equal(shown, 'ada');
    });

    it('lens titles say which order went wrong', () => {
      assert.equal(
        verdictTitle({ orders: [order('AB', 'A', true), order('BA', 'B', true)] }),
        '✓ chosen in both orders',
      );
      assert.equal(
        verdictTitle({ orders: [order('AB', 'B', false), order('BA', 'B', true)] }),
        '✗ rejected (A,B) · ✓ (B,A)',
      );
      assert.equal(
        verdictTitle({ orders: [order('AB', 'B', false), order('BA', 'A', false)] }),
        '✗ rejected in both orders',
      );
      assert.equal(
        verdictTitle({ orders: [order('AB', null, false), order('BA', 'B', true)] }),
        '✗ no answer (A,B) · ✓ (B,A)',
      );
    });

    it('Markdown escaping leaves no markup', () => {
      const e = escapeMarkdown('<script>x</script> [a](javascript:1) **b** & `c`');
      assert.ok(!e.includes('<'));
      assert.ok(!/(^|[^\\])[[\]*`]/.test(e), e);
    });

    it('webview messages are validated before use', () => {
      assert.ok(isInspectorToHost({ type: 'ready' }));
      assert.ok(isInspectorToHost({ type: 'action', action: 'fit', userId: 'ada' }));
      assert.ok(!isInspectorToHost({ type: 'action', action: 'rm -rf', userId: 'ada' }));
      assert.ok(!isInspectorToHost({ type: 'openPair', file: 'a.jsonl', line: 0 }));
      assert.ok(!isInspectorToHost({ type: 'openPair', file: 'a.jsonl', line: 1.5 }));
      assert.ok(!isInspectorToHost('ready'));
      assert.ok(!isInspectorToHost(null));
      assert.ok(isVerdictsToHost({ type: 'openPair', file: 'a.jsonl', line: 3 }));
      assert.ok(!isVerdictsToHost({ type: 'openPair', file: 7, line: 3 }));
      assert.ok(!isVerdictsToHost({ type: 'painted', rows: 1, ms: Infinity }));
      assert.ok(!isVerdictsToHost({ type: 'eval', code: 'x' }));
    });

    it('the status bar shows the provider and model', async () => {
      const { ctx } = await api();
      const d = await waitFor('a model description', () => ctx.folders.first().model.describe());
      assert.ok(d.provider === 'ollama' || d.provider === 'openai');
      assert.ok(d.model.length > 0);
    });
  });
}
