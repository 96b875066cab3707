/// <reference types="mocha" />
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import { escapeMarkdown } from '../../src/extension/editor/pair-codelens';
import { verdictTitle } from '../../src/extension/editor/verdict-store';
import { isInspectorToHost, isVerdictsToHost } from '../../src/extension/protocol';
import { join } from 'node:path';
import { personaView } from '../../src/extension/views/persona-data';
import { NO_EMBED_MODEL, nearestUsersView } from '../../src/extension/views/nearest-users';
import { pairsBySplit } from '../../src/core/workspace';
import { personaYaml } from '../support/persona-yaml';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { api, testApi, useLoopbackOllama, waitFor, writeText } from './helpers';

const order = (o: 'AB' | 'BA', preference: 'A' | 'B' | null, correct: boolean) => ({
  order: o,
  preference,
  correct,
  reasoning: '',
});

/** A hand-written persona of a user of the example workspace (their taste in words the bag-of-words embedding sees). */
function personaOf(userId: string, text: string): string {
  return personaYaml(userId, text);
}

/**
 * Issue 24 item 3: the Persona Inspector lists the shown user's nearest users through the engine's search, with the
 * folder's embedding model (synthesizeme.similar.embedModel) on a loopback Ollama's /api/embed: a clear message
 * without a model and when the server embeds nothing, ranks and similarities otherwise, cached the second time, and
 * never a pair's text.
 */
function nearestUsersSuite(): void {
  describe("the Persona Inspector's nearest users", () => {
    let server: LoopbackServer;
    let restore: () => Promise<void> = async () => undefined;
    const written: vscode.Uri[] = [];
    // dana must have no persona here (she is embedded from her context pairs): one fitted by an earlier suite of the
    // layer is set aside and put back after.
    let danaAside: { uri: vscode.Uri; bytes: Uint8Array } | undefined;
    const setEmbedModel = async (name: string | undefined) => {
      const f = (await api()).ctx.folders.first();
      await vscode.workspace
        .getConfiguration('synthesizeme')
        .update('similar.embedModel', name, vscode.ConfigurationTarget.Workspace);
      await waitFor('the embedding model setting', () => (f.files.config.embedModel === name ? true : undefined));
    };

    before(async () => {
      server = await startLoopbackOllama({ models: ['llama3.1:8b', 'bag-of-words'] });
      restore = await useLoopbackOllama(server.port, server.url);
      const f = (await api()).ctx.folders.first();
      const { personaDir } = await f.files.layout();
      for (const [user, text] of [
        ['bruno', 'Wants short, direct answers with code.'],
        ['chen', 'Enjoys long, warm stories about history and travel.'],
      ] as const) {
        // A persona another suite fitted is kept as it is (and not removed after).
        if (f.files.hasPersona(user)) continue;
        const uri = vscode.Uri.file(join(personaDir, `${user}.persona.yaml`));
        written.push(uri);
        await writeText(uri, personaOf(user, text));
        await waitFor(`${user}'s persona`, () => f.files.hasPersona(user) || undefined, 60_000);
      }
      if (f.files.hasPersona('dana')) {
        const uri = vscode.Uri.file(join(personaDir, 'dana.persona.yaml'));
        danaAside = { uri, bytes: await vscode.workspace.fs.readFile(uri) };
        await vscode.workspace.fs.delete(uri);
        await waitFor("dana's persona set aside", () => (f.files.hasPersona('dana') ? undefined : true), 60_000);
      }
    });

    after(async () => {
      await setEmbedModel(undefined).catch(() => undefined);
      for (const uri of written) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
      if (danaAside) await vscode.workspace.fs.writeFile(danaAside.uri, danaAside.bytes);
      await restore();
      await server?.close();
    });

    it('says what to set when no embedding model is set, and asks the server nothing', async () => {
      const f = (await api()).ctx.folders.first();
      const before = server.stats.byPath['/api/embed'] ?? 0;
      const view = await nearestUsersView(f, 'dana');
      assert.deepEqual(view, { userId: 'dana', users: [], message: NO_EMBED_MODEL });
      assert.match(view.message!, /synthesizeme\.similar\.embedModel/);
      assert.equal(server.stats.byPath['/api/embed'] ?? 0, before);
    });

    it("a server that embeds nothing: the embeddings client's error, with what to do", async () => {
      const f = (await api()).ctx.folders.first();
      await setEmbedModel('bag-of-words');
      server.options.embeddings = 501;
      try {
        const view = await nearestUsersView(f, 'dana');
        assert.deepEqual(view.users, []);
        assert.equal(view.embedModel, 'bag-of-words');
        assert.match(view.message ?? '', /gave no embedding of model "bag-of-words" \(501 /);
        assert.match(view.message ?? '', /ollama pull nomic-embed-text/);
      } finally {
        delete server.options.embeddings;
      }
    });

    it('lists the nearest users by rank and similarity, what was embedded, cached the second time', async () => {
      const { ctx } = await api();
      const f = ctx.folders.first();
      await setEmbedModel('bag-of-words');
      // dana has no persona: she is embedded from her context pairs; the neighbours are the persona holders.
      const index = await f.files.get();
      assert.ok(!f.files.hasPersona('dana'));
      const holders = index
        .users()
        .map((u) => u.id)
        .filter((id) => f.files.hasPersona(id));
      assert.ok(holders.includes('bruno') && holders.includes('chen'), holders.join(', '));
      const before = server.stats.byPath['/api/embed'] ?? 0;
      const view = await nearestUsersView(f, 'dana');
      assert.equal(view.message, undefined, view.message);
      assert.equal(view.embedded, 'context pairs');
      assert.deepEqual(
        view.users.map((u) => u.rank),
        view.users.map((_, i) => i + 1),
      );
      assert.deepEqual(view.users.map((u) => u.userId).sort(), holders.sort(), 'every persona holder, nearest first');
      for (const u of view.users) {
        assert.equal(u.embedded, 'persona');
        assert.ok(u.similarity >= -1 && u.similarity <= 1, String(u.similarity));
      }
      for (let i = 1; i < view.users.length; i++) assert.ok(view.users[i - 1]!.similarity >= view.users[i]!.similarity);
      const calls = (server.stats.byPath['/api/embed'] ?? 0) - before;
      assert.ok(calls > 0, 'the users were embedded');
      // Never a pair's text: only ids, ranks, similarities and what was embedded.
      const shown = JSON.stringify(view);
      for (const u of index.users())
        for (const p of pairsBySplit(u).test) assert.ok(!shown.includes(p.chosen.content), `test pair ${p.pairId}`);
      const again = await nearestUsersView(f, 'dana');
      assert.deepEqual(again, view);
      assert.equal((server.stats.byPath['/api/embed'] ?? 0) - before, calls, 'every vector from the cache');
    });

    it('the page asks with a typed message and the answer is shown with the user', async () => {
      const { webviews } = await testApi();
      assert.equal(await vscode.commands.executeCommand(CommandIds.inspectPersona, 'dana'), 'dana');
      await waitFor('the inspector showing dana', () => {
        const m = webviews.shown('inspector');
        return m?.type === 'show' && m.userId === 'dana' ? true : undefined;
      });
      await webviews.receive('inspector', { type: 'nearest', userId: 'dana' });
      const m = webviews.shown('inspector');
      assert.ok(m?.type === 'show' && m.nearest, JSON.stringify(m));
      assert.equal(m.nearest.embedModel, 'bag-of-words');
      assert.equal(m.nearest.embedded, 'context pairs');
      assert.ok(m.nearest.users.some((u) => u.userId === 'bruno'));
    });
  });
}

export function viewsSuite(): void {
  nearestUsersSuite();
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
