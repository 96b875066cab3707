/// <reference types="mocha" />
// Everything that calls a model, against a loopback Ollama started here (the real `ollama`
// client on the real protocol). The brain answers "A" unless the system prompt says SMART,
// in which case it finds the user's chosen response: an edited persona changes the outcome.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { PairVerdict } from '../../src/core/method/judge';
import type { RevalidateOutcome } from '../../src/extension/commands/revalidate';
import type { EvalResult } from '../../src/core/eval/evaluate';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { basename, dirname, join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RevalidateResult } from '../../src/core/eval/revalidate';
import type { ThetaOutcome } from '../../src/core/theta/optimize';
import { verdictsMessage } from '../../src/extension/views/verdicts-panel';
import {
  api,
  file,
  folder,
  lensesOf,
  logTail,
  printLogOnFailure,
  readText,
  say,
  waitFor,
  workspaceSettingsFile,
  writeText,
} from './helpers';

const SECRET = 'sk-integration-SECRET-4242';

export function modelSuite(): void {
  describe('with a model (loopback Ollama)', function () {
    this.timeout(120_000);
    printLogOnFailure();
    let server: LoopbackServer;
    const chosen = new Set<string>();

    const brain = (req: BrainRequest): string => {
      const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
      if ('persona' in props)
        return JSON.stringify({ reasoning: 'summarised', persona: 'Prefers short, direct answers.' });
      if (!('preference' in props)) return 'Prefers short, direct answers.';
      let preference = 'A';
      if (system.includes('SMART')) {
        const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(last)?.[1]?.trim() ?? '';
        preference = chosen.has(a) ? 'A' : 'B';
      }
      return JSON.stringify({
        // Markup and a command link in the model's answer: the hover must show both as text.
        reasoning:
          `I pick ${preference}. <script>alert(1)</script> <img src=x onerror=alert(2)> ` +
          `[run](command:${CommandIds.openTranscript}?%7B%22run%22%3A%22%2Fetc%2Fpasswd%22%7D)`,
        preference,
      });
    };

    before(async () => {
      const { ctx } = await api();
      const index = await ctx.folders.first().files.get();
      for (const u of index.users()) for (const p of u.pairs) chosen.add(p.chosen.content.trim());
      // chunkIntervalMs: the loopback corks a burst of chunks otherwise, and under Node 24 (the
      // extension host of code-server) a corked chunked response loses every chunk after the first.
      server = await startLoopbackOllama({ brain, models: ['llama3.1:8b', 'qwen3:30b-a3b'], chunkIntervalMs: 1 });
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

    it('lists the models the server really has', async () => {
      const { ctx } = await api();
      const llm = await ctx.folders.first().model.get();
      const names = (await llm.listModels()).map((m) => m.name);
      assert.deepEqual(names.sort(), ['llama3.1:8b', 'qwen3:30b-a3b']);
      const picked = await vscode.commands.executeCommand(CommandIds.selectModel, {
        provider: 'ollama',
        model: 'llama3.1:8b',
      });
      assert.equal(picked, 'llama3.1:8b');
    });

    it('judges a pair from its lens, shows the verdict in the lens and the reasoning as text in the hover', async () => {
      const uri = file('ada.prefs.jsonl');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const lens = (await lensesOf(uri)).find(
        (l) => l.command?.command === CommandIds.judgePair && l.range.start.line === 0,
      )!;
      const v = await vscode.commands.executeCommand<PairVerdict>(
        lens.command!.command,
        ...(lens.command!.arguments ?? []),
      );
      assert.ok(v, 'a verdict');
      assert.equal(v.pairId, 'ada-01');
      assert.deepEqual(
        v.orders.map((o) => [o.order, o.preference, o.correct]),
        [
          ['AB', 'A', true],
          ['BA', 'A', false],
        ],
      );
      const titles = (await lensesOf(uri)).filter((l) => l.range.start.line === 0).map((l) => l.command?.title ?? '');
      assert.ok(titles.includes('✓ (A,B) · ✗ rejected (B,A)'), titles.join(' | '));
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        uri,
        new vscode.Position(0, 5),
      );
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /I pick A/);
      assert.ok(!text.includes('<script') && !text.includes('<img'), 'model output is escaped, not markup');
      const md = hovers
        .flatMap((h) => h.contents)
        .find((c) => typeof c !== 'string' && /I pick/.test(c.value)) as vscode.MarkdownString;
      assert.ok(!md.supportHtml, 'the hover never renders HTML');
      // Trusted for exactly one command (its Transcript link), never for any other, nor wholly.
      assert.deepEqual(md.isTrusted, { enabledCommands: [CommandIds.openTranscript] }, 'the hover trusts one command');
      // The only link that renders is the hover's own: the model's link is escaped text.
      const links = [...md.value.matchAll(/(?<!\\)\[([^\]]*)(?<!\\)\]\((?!\\)([^)\s]*)/g)];
      assert.deepEqual(
        links.map((l) => l[1]),
        ['$(comment-discussion) Transcript'],
        md.value,
      );
      assert.match(md.value, /\\\[run\\\]\\\(command:/, "the model's link is shown as text");
      // The hover's link opens the lens verdict's transcript; the command refuses a path outside the runs folder.
      const target = JSON.parse(decodeURIComponent(links[0]![2]!.split('?')[1]!)) as Record<string, unknown>;
      assert.deepEqual(target, { uri: uri.toString(), pairId: 'ada-01', mode: 'plain' });
      const { ctx } = await api();
      for (const run of ['/etc/passwd', file('ada.prefs.jsonl').fsPath, `${file('.').fsPath}/../x.run.jsonl`]) {
        const shown = await vscode.commands.executeCommand(CommandIds.openTranscript, {
          run,
          user: 'ada',
          pairId: 'ada-01',
        });
        assert.equal(shown, undefined, run);
        assert.match(ctx.notices.recent.at(-1)?.text ?? '', /under the workspace's runs folder/, run);
      }
    });

    it('fits a user, writes the persona file, and then offers "Judge with persona"', async () => {
      const { ctx } = await api();
      const out = await vscode.commands.executeCommand<{ persona: string }>(CommandIds.fitUser, 'ada');
      assert.ok(out?.persona.endsWith('ada.persona.yaml'), JSON.stringify(out));
      const text = await readText(vscode.Uri.file(out.persona));
      assert.match(text, /Prefers short, direct answers/);
      // The file watcher reports the new persona file; on a loaded machine that can take well over 15 s.
      await waitFor('persona known', () => ctx.folders.first().files.hasPersona('ada') || undefined, 60_000);
      const uri = file('ada.prefs.jsonl');
      const lenses = await waitFor('a Judge with persona lens', async () => {
        const l = (await lensesOf(uri)).filter((x) => x.command?.title.includes('Judge with persona'));
        return l.length ? l : undefined;
      });
      const v = await vscode.commands.executeCommand<PairVerdict>(
        lenses[0]!.command!.command,
        ...(lenses[0]!.command!.arguments ?? []),
      );
      assert.equal(v.orders.length, 2);
      const last = server.chats[server.chats.length - 1]!;
      assert.match(JSON.stringify(last.request.messages), /Prefers short, direct answers/, 'the judge saw the persona');
    });

    it('fits all users, a few at a time, and reports the ones that cannot be fitted', async () => {
      const out = await vscode.commands.executeCommand<{ user: string }[]>(CommandIds.fitAll);
      assert.ok(out && out.length >= 4, JSON.stringify(out?.map((o) => o.user)));
    });

    it('re-validates a hand-edited persona: a new version, the previous kept, the paired statistics reported', async () => {
      const { ctx } = await api();
      const first = await vscode.commands.executeCommand<RevalidateOutcome>(CommandIds.revalidatePersona, 'ada');
      assert.ok(first && first.accuracy >= 0 && first.accuracy <= 1, JSON.stringify(first));
      const layout = await ctx.folders.first().files.layout();
      const path = vscode.Uri.file(`${layout.personaDir}/ada.persona.yaml`);
      const text = await readText(path);
      await writeText(path, text.replace('Prefers short, direct answers.', 'Prefers short, direct answers. SMART'));
      const second = await vscode.commands.executeCommand<RevalidateOutcome>(
        CommandIds.revalidatePersona,
        vscode.Uri.file(path.fsPath),
      );
      assert.ok(second?.previous, JSON.stringify(second));
      assert.ok(second.accuracy > second.previousAccuracy!, `${second.accuracy} > ${second.previousAccuracy}`);
      assert.match(
        second.sentence!,
        /^\+\d+(\.\d)? points \(95% CI -?\d+(\.\d)? to -?\d+(\.\d)?, p [=<] [\d.e-]+\): ((not yet )?significant|borderline: .+)$/,
      );
      say(`      (re-validate: ${second.sentence})`);
      const saved = await readText(path);
      assert.match(saved, /SMART/);
      assert.match(saved, /edited: true/);
      const history = await vscode.workspace.fs.readDirectory(vscode.Uri.file(`${layout.historyDir}/ada`));
      assert.ok(history.length >= 2, `history versions: ${history.map(([n]) => n).join(', ')}`);
      assert.equal(await vscode.commands.executeCommand(CommandIds.comparePersonaVersions, 'ada'), true);
      assert.ok(
        vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff)),
        'a diff editor is open',
      );
      // Tabs reach the extension host asynchronously (from the workbench).
      await waitFor(
        'the Verdicts view',
        () =>
          vscode.window.tabGroups.all.some((g) =>
            g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && /Verdicts/.test(t.label)),
          ) || undefined,
      );
    });

    it('re-validates a judge-prompt edit from its lens: compared with the shipped default, flipped pairs, the two versions in the diff editor', async () => {
      const { ctx } = await api();
      const judge = vscode.Uri.file(join((await ctx.folders.first().files.layout()).promptDir, 'judge.prompt.md'));
      const original = await readText(judge);
      // Opened first: the lens query on a file no editor has opened yet fails with "Illegal argument" here.
      await vscode.workspace.openTextDocument(judge);
      const lenses = () =>
        vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', judge).then((l) => l ?? []);
      const lens = await waitFor('the prompt lens', async () =>
        (await lenses()).find((l) => l.command?.command === CommandIds.revalidatePrompt),
      );
      try {
        // The brain finds the user's choice when the system prompt says SMART: the edit must help.
        await writeText(judge, original + '\nSMART\n');
        const r = await vscode.commands.executeCommand<RevalidateResult>(
          lens.command!.command,
          ...(lens.command!.arguments ?? []),
        );
        assert.ok(r, 'a result');
        assert.equal(r.previous?.id, 'default', 'the first edit is compared with the shipped default');
        assert.ok((r.difference ?? 0) > 0, JSON.stringify({ d: r.difference, pairs: r.pairs }));
        assert.ok(r.flipped.length > 0);
        assert.ok(
          vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff)),
          'the diff editor is open',
        );
      } finally {
        await writeText(judge, original);
      }
    });

    it('optimizes Θ within its budget, and keeps the current Θ when nothing beats it on held-out users', async () => {
      const before = server.stats.chat;
      const outcome = await vscode.commands.executeCommand<ThetaOutcome>(CommandIds.optimizeTheta, {
        budget: 100,
        k: 1,
        folder: folder().toString(),
      });
      assert.ok(outcome, 'an outcome');
      assert.ok(server.stats.chat - before <= 100, `${server.stats.chat - before} calls for a budget of 100`);
      assert.ok(outcome.result.calls.used <= 100);
      assert.equal(outcome.adopted, undefined, 'this brain rewards no instruction: nothing to adopt');
      assert.match(await readText(vscode.Uri.file(outcome.reportPath)), /Θ/);
    });

    it('cancels a run: the requests are aborted', async () => {
      const { ctx } = await api();
      server.options.latencyMs = 20_000;
      try {
        const uri = file('ada.prefs.jsonl');
        const lens = (await lensesOf(uri)).find(
          (l) => l.command?.command === CommandIds.judgePair && l.range.start.line === 4,
        )!;
        const t0 = Date.now();
        const run = vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
        await waitFor('a run in flight', () => (ctx.runs.running > 0 ? true : undefined));
        assert.equal(await vscode.commands.executeCommand(CommandIds.cancelRun), 1);
        assert.equal(await run, undefined);
        assert.ok(Date.now() - t0 < 10_000, 'cancel does not wait for the model');
      } finally {
        server.options.latencyMs = 0;
      }
    });

    it('evaluates a method and shows its verdicts', async () => {
      const r = await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
        method: 'default',
        split: 'test',
        folder: folder().toString(),
      });
      assert.ok(r && r.pairs > 0, JSON.stringify(r && { pairs: r.pairs, skipped: r.skipped }));
      const rows = await vscode.commands.executeCommand<number>(CommandIds.showVerdicts, r.run);
      assert.equal(rows, r.pairs);
    });

    it("the Users tree shows the persona's last test accuracy", async () => {
      const { users } = await api();
      const r = await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
        method: 'persona+demos',
        split: 'test',
        userId: 'ada',
      });
      assert.ok(r && r.pairs > 0);
      const pct = `test ${(100 * r.users.find((u) => u.id === 'ada')!.accuracy).toFixed(0)}%`;
      const ada = await waitFor('the tree', async () =>
        (await users.userItems()).find((i) => i.userId === 'ada' && String(i.description).includes(pct)),
      );
      assert.match(String(ada.description), /persona val \d+% test \d+%/);
    });

    it('the Verdicts chart shows the opened run, and another method only over the same pairs, with the paired difference', async () => {
      const { ctx } = await api();
      const f = ctx.folders.first();
      // ada's default run: the persona+demos run of the test above judged exactly its pairs.
      const mine = await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
        method: 'default',
        split: 'test',
        userId: 'ada',
      });
      assert.ok(mine && mine.pairs > 0);
      const m = await verdictsMessage(f, mine.run);
      assert.equal(m.methods[0]!.name, basename(mine.run), 'the opened run first, not the newest of its method');
      assert.equal(m.methods[0]!.accuracy, mine.accuracy);
      const persona = m.methods.find((x) => x.method === 'persona+demos');
      assert.ok(persona?.versus, JSON.stringify(m.methods));
      assert.equal(persona.pairs, mine.pairs, 'over the same pairs');
      // A newer persona+demos run over another user's pairs: counted, and it does not hide the one over ada's.
      const runsDir = dirname(mine.run);
      const [head, ...rest] = readFileSync(join(runsDir, persona.name), 'utf8').trim().split('\n');
      const other = join(runsDir, 'persona-demos-test-otheruser01.run.jsonl');
      const moved = rest.map((l) => {
        const rec = JSON.parse(l) as { type: string; pairId?: string; userId?: string };
        return JSON.stringify(rec.type === 'verdict' ? { ...rec, userId: 'zed', pairId: `zed-${rec.pairId}` } : rec);
      });
      writeFileSync(other, [JSON.stringify({ ...JSON.parse(head!), id: 'otheruser01' }), ...moved].join('\n') + '\n');
      try {
        const again = await verdictsMessage(f, mine.run);
        const drawn = again.methods.find((x) => x.method === 'persona+demos');
        assert.equal(drawn?.name, persona.name, 'the older run over these pairs, not the newer one over others');
        assert.equal(again.notComparable ?? 0, (m.notComparable ?? 0) + 1, 'the newer run over other pairs is counted');
      } finally {
        rmSync(other, { force: true });
      }
      // The all-users default run: the persona+demos run covers ada only, so it is not drawn beside it.
      const all = await vscode.commands.executeCommand<EvalResult>(CommandIds.evaluate, {
        method: 'default',
        split: 'test',
        folder: folder().toString(),
      });
      const wide = await verdictsMessage(f, all!.run);
      assert.equal(wide.methods[0]!.name, basename(all!.run));
      assert.equal(
        wide.methods.find((x) => x.method === 'persona+demos'),
        undefined,
        'a run over other pairs is not drawn as comparable',
      );
      assert.ok((wide.notComparable ?? 0) >= 1);
    });

    it('estimates the cost of a run without calling the model', async () => {
      const before = server.stats.chat;
      const est = await vscode.commands.executeCommand<{ calls: number; cachedCalls: number; promptTokens: number }>(
        CommandIds.estimateCost,
        { method: 'default', folder: folder().toString() },
      );
      // Evaluate ran just before: every call of the same run is answered from the cache.
      assert.ok(est && est.calls + est.cachedCalls > 0 && est.cachedCalls > 0, JSON.stringify(est));
      assert.equal(server.stats.chat, before, 'no chat call');
    });

    it('keeps the API key in secret storage only', async () => {
      const { ctx } = await api();
      await vscode.commands.executeCommand(CommandIds.setApiKey, { provider: 'openai', key: SECRET });
      assert.equal(await ctx.secrets.get('openai'), SECRET);
      assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('synthesizeme')).includes(SECRET));
      const settings = await readText(workspaceSettingsFile()).catch(() => '');
      assert.ok(!settings.includes(SECRET));
      // A call with the key in use, then the log must still not hold it.
      await (await ctx.folders.first().model.get()).listModels().catch(() => undefined);
      const log = await logTail(100_000);
      assert.match(log, /API key for openai stored/, 'the log was found and read');
      assert.ok(!log.includes(SECRET), 'the key reached the log');
      await vscode.commands.executeCommand(CommandIds.setApiKey, { provider: 'openai', key: '' });
      assert.equal(await ctx.secrets.get('openai'), undefined);
    });
  });
}
