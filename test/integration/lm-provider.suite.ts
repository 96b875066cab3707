/// <reference types="mocha" />
// VS Code's language models as the judge (issue 26 item 5), against a chat provider this suite registers itself
// (never a real service) under the vendor the test-only extension test/support/fake-lm-vendor contributes (VS Code
// refuses a vendor no extension contributes; the harness loads that extension beside ours). The provider is chosen
// through Select Provider and Model; a pair is judged and a user evaluated through the language-model tools. Checked:
// the system text arrives folded into the first user message (the API has no system role), the verdicts, the model's
// family and version in the run header, and a provider out of quota gives failed calls (an incomplete run), not answers.
//
// registerLanguageModelChatProvider was finalized in VS Code 1.104; @types/vscode here is 1.95 (engines ^1.95.0), so
// the call is typed locally and looked up at run time: a host without it skips the suite and says why.

import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { personaYaml } from '../support/persona-yaml';
import { CommandIds } from '../../src/extension/command-ids';
import { SYSTEM_OPEN } from '../../src/extension/lm-provider/fold-messages';
import { ToolNames } from '../../src/extension/tools/tool-names';
import { api, file, invokeTool, logTail, printLogOnFailure, say, waitFor, waitUserGone, writeText } from './helpers';

const VENDOR = 'synthesizeme-test';
const MODEL_NAME = `${VENDOR}/judge-1`;
const USER = 'lmu';
const PREFS = `${USER}.prefs.jsonl`;

/** The finalized provider API (VS Code 1.104), as far as this suite uses it. */
interface ChatInfo {
  id: string;
  name: string;
  family: string;
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: Record<string, never>;
}
interface RequestMessage {
  role: vscode.LanguageModelChatMessageRole;
  content: readonly unknown[];
}
interface ChatProvider {
  provideLanguageModelChatInformation(options: unknown, token: vscode.CancellationToken): ChatInfo[];
  provideLanguageModelChatResponse(
    model: ChatInfo,
    messages: readonly RequestMessage[],
    options: unknown,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void>;
  provideTokenCount(model: ChatInfo, text: string | RequestMessage, token: vscode.CancellationToken): Promise<number>;
}
type Register = (vendor: string, provider: ChatProvider) => vscode.Disposable;

const MODEL: ChatInfo = {
  id: 'judge-1',
  name: 'Fake judge',
  family: 'fake-family',
  version: 'fake-2026-01',
  maxInputTokens: 100_000,
  maxOutputTokens: 4096,
  capabilities: {},
};

/** How long the never-stopping model would stream, were the reader not to leave: far past any output cap. */
const LOOP_PIECES = 20_000;

function prefs(): string {
  const splits = [...Array<string>(2).fill('context'), ...Array<string>(4).fill('validation')];
  return [...splits, ...Array<string>(4).fill('test')]
    .map((split, i) =>
      JSON.stringify({
        user_id: USER,
        pair_id: `${USER}-${i + 1}`,
        split,
        context: [{ role: 'user', content: `Question ${i + 1}: how do I reverse a list?` }],
        chosen: `chosen ${i + 1}: xs[::-1]`,
        rejected: `rejected ${i + 1}: lists are a long story.`,
      }),
    )
    .join('\n');
}

function textOf(m: RequestMessage): string {
  return m.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

/** The user's choice when the folded system text carries the persona's SMART, else always A. */
function verdict(first: string, last: string): string {
  const aChosen = /<response_a>\n(chosen \d+:)/.test(last);
  const preference = first.includes('SMART') ? (aChosen ? 'A' : 'B') : 'A';
  return JSON.stringify({ reasoning: `The fake judge picks ${preference}.`, preference });
}

const invoke = invokeTool;

export function lmProviderSuite(): void {
  describe("VS Code's language models as the judge (a test-registered chat provider)", function () {
    this.timeout(120_000);
    printLogOnFailure();
    const sent: { role: vscode.LanguageModelChatMessageRole; text: string; count: number }[][] = [];
    let failWith: Error | undefined;
    // A model that never stops: it streams until the request is cancelled (or LOOP_PIECES pieces, were it not).
    let looping = false;
    let loopPieces = 0;
    let registration: vscode.Disposable | undefined;
    let personaDir = '';
    let runsDir = '';
    const saved = new Map<string, unknown>();

    before(async function () {
      const register = (vscode.lm as unknown as { registerLanguageModelChatProvider?: Register })
        .registerLanguageModelChatProvider;
      if (!register) {
        say(
          `      (skipped: VS Code ${vscode.version} has no vscode.lm.registerLanguageModelChatProvider; 1.104+ does)`,
        );
        return this.skip();
      }
      const provider: ChatProvider = {
        provideLanguageModelChatInformation: () => [MODEL],
        provideLanguageModelChatResponse: async (_model, messages, _options, progress, token) => {
          sent.push(messages.map((m) => ({ role: m.role, text: textOf(m), count: messages.length })));
          if (failWith) throw failWith;
          if (looping) {
            progress.report(new vscode.LanguageModelTextPart('{"reasoning": "'));
            for (let i = 0; i < LOOP_PIECES && !token.isCancellationRequested; i++) {
              progress.report(new vscode.LanguageModelTextPart('again and again '));
              loopPieces++;
              // A pause now and then, as a model's stream has, so that the reader runs and can leave.
              if (i % 10 === 9) await new Promise((r) => setTimeout(r, 0));
            }
            return;
          }
          const answer = verdict(textOf(messages[0]!), textOf(messages[messages.length - 1]!));
          // Streamed in two pieces, as a real model streams.
          progress.report(new vscode.LanguageModelTextPart(answer.slice(0, 10)));
          progress.report(new vscode.LanguageModelTextPart(answer.slice(10)));
        },
        provideTokenCount: async (_model, text) =>
          Math.ceil((typeof text === 'string' ? text : textOf(text)).length / 4),
      };
      try {
        registration = register(VENDOR, provider);
      } catch (err) {
        // The vendor must be contributed (test/support/fake-lm-vendor): a runner without that extension skips.
        say(`      (skipped: ${(err as Error).message})`);
        return this.skip();
      }
      // An unknown vendor is refused on the workbench's side, after the call returned: the model then never shows.
      const seen = await waitFor('the fake model', async () =>
        (await vscode.lm.selectChatModels({ vendor: VENDOR })).length > 0 ? true : undefined,
      ).catch(() => false);
      if (!seen) {
        registration.dispose();
        registration = undefined;
        say(
          `      (skipped: no extension contributes the vendor ${VENDOR}: test/support/fake-lm-vendor is not installed)`,
        );
        return this.skip();
      }
      const { ctx } = await api();
      const f = ctx.folders.first();
      ({ personaDir, runsDir } = await f.files.layout());
      const c = vscode.workspace.getConfiguration('synthesizeme');
      for (const key of ['provider', 'model', 'baseUrls']) saved.set(key, c.inspect(key)?.workspaceValue);
      await writeText(file(PREFS), prefs());
      await writeText(
        vscode.Uri.file(join(personaDir, `${USER}.persona.yaml`)),
        personaYaml(USER, 'Prefers SMART answers.', { provider: 'vscode-lm', model: MODEL_NAME }),
      );
      await waitFor('the user in the index', async () => (await f.files.get()).user(USER), 30_000);
    });

    after(async () => {
      registration?.dispose();
      if (!registration) return;
      const c = vscode.workspace.getConfiguration('synthesizeme');
      for (const [key, value] of saved) await c.update(key, value, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace.fs.delete(file(PREFS)).then(undefined, () => undefined);
      rmSync(join(personaDir, `${USER}.persona.yaml`), { force: true });
      await waitUserGone(USER);
    });

    it("lists the provider's model with its family and version, and Select Provider and Model chooses it", async () => {
      const { ctx } = await api();
      const f = ctx.folders.first();
      const listed = await f.model.listModelsFor({ provider: 'vscode-lm', baseUrls: undefined });
      const ours = listed.find((m) => m.name === MODEL_NAME);
      assert.ok(ours, `listed: ${listed.map((m) => m.name).join(', ')}`);
      assert.equal(ours.identity, 'vendor synthesizeme-test, id judge-1, family fake-family, version fake-2026-01');
      const chosen = await vscode.commands.executeCommand(CommandIds.selectModel, {
        provider: 'vscode-lm',
        model: MODEL_NAME,
      });
      assert.equal(chosen, MODEL_NAME);
      const d = await waitFor('the vscode-lm provider in use', async () => {
        const now = await f.model.describe();
        return now.provider === 'vscode-lm' ? now : undefined;
      });
      assert.deepEqual(d, { provider: 'vscode-lm', model: MODEL_NAME, baseUrls: ['vscode-lm:'] });
    });

    it('judges a pair: the system text (with the persona) folded into the first user message, the verdicts', async () => {
      sent.length = 0;
      const text = await invoke(ToolNames.judgePair, { file: PREFS, pairId: `${USER}-7`, withPersona: true });
      assert.match(text, /judged with the persona: 2 of 2 orders picked the user's choice/);
      assert.equal(sent.length, 2, 'one request per order');
      for (const messages of sent) {
        assert.ok(
          messages.every((m) => m.role !== (3 as vscode.LanguageModelChatMessageRole)),
          'no system role',
        );
        const first = messages[0]!;
        assert.equal(first.role, vscode.LanguageModelChatMessageRole.User);
        assert.ok(first.text.startsWith(`${SYSTEM_OPEN}\n`), first.text.slice(0, 80));
        assert.match(first.text, /Prefers SMART answers\.[\s\S]*<\/system_instructions>\n\n/);
        // No JSON schema reaches the API: the prompt states it, and the answer is parsed tolerantly.
        assert.match(first.text, /JSON schema/);
      }
    });

    it("evaluates a user: the run header records vscode-lm and the model's vendor, id, family and version", async () => {
      const text = await invoke(ToolNames.evaluateUser, { userId: USER, method: 'persona+demos' });
      assert.match(
        text,
        /^persona\+demos on test \(synthesizeme-test\/judge-1\): accuracy .*\(100\.0%\) over 8 samples of 4 pairs/,
      );
      assert.doesNotMatch(text, /INCOMPLETE/);
      const header = headerOf(runsDir, 'persona-demos-test-');
      assert.equal(header['provider'], 'vscode-lm');
      assert.equal(header['model'], MODEL_NAME);
      assert.equal(header['baseUrl'], 'vscode-lm:');
      assert.equal(
        header['modelDigest'],
        'vendor synthesizeme-test, id judge-1, family fake-family, version fake-2026-01',
      );
    });

    it('a model that never stops is cut at the output cap on this side (the API takes none), and the settings it cannot take are said', async () => {
      looping = true;
      loopPieces = 0;
      sent.length = 0;
      try {
        const text = await invoke(ToolNames.judgePair, { file: PREFS, pairId: `${USER}-8`, withPersona: false });
        assert.equal(sent.length, 2, 'one request per order');
        // Both orders were left early: far fewer pieces than the model would have streamed.
        assert.ok(loopPieces > 0 && loopPieces < LOOP_PIECES, `${loopPieces} pieces streamed`);
        assert.match(text, /lmu-8/);
      } finally {
        looping = false;
      }
      // Said once, when the client made its first call (the log file is written a moment after).
      const said = /VS Code's language-model API takes no temperature or seed: synthesizeme-test\/judge-1/;
      await waitFor('the warning in the log', async () => (said.test(await logTail(5000)) ? true : undefined));
    });

    it('a provider out of quota gives failed calls: the run stops incomplete, says why, and keeps no answer', async () => {
      sent.length = 0;
      failWith = vscode.LanguageModelError.Blocked('You have exceeded your premium requests quota for this month.');
      try {
        // A spent quota ends the run as a refused key or a stopped server does (no later call can succeed): the
        // tool's call fails with the reason and the way to resume, rather than returning figures.
        await assert.rejects(
          invoke(ToolNames.evaluateUser, { userId: USER, method: 'default' }),
          /refused the request \(quota or rate limit: You have exceeded your premium requests quota.*\)\. The run is incomplete/,
        );
        assert.ok(sent.length >= 1, 'the provider was asked');
        // What the run journaled (if it wrote a file at all) holds no answer from the provider.
        const name = newestRun(runsDir, 'default-test-', false);
        const records = name ? readFileSync(join(runsDir, name), 'utf8').split('\n').filter(Boolean) : [];
        for (const line of records) {
          const r = JSON.parse(line) as { type?: string; orders?: { preference?: unknown }[] };
          if (r.type !== 'verdict') continue;
          for (const o of r.orders ?? []) assert.equal(o.preference ?? null, null, `an answer was kept: ${line}`);
        }
      } finally {
        failWith = undefined;
      }
    });
  });
}

function newestRun(runsDir: string, prefix: string, required = true): string | undefined {
  const files = readdirSync(runsDir)
    .filter((n) => n.startsWith(prefix) && n.endsWith('.run.jsonl'))
    .map((n) => ({
      n,
      h: JSON.parse(readFileSync(join(runsDir, n), 'utf8').split('\n')[0]!) as Record<string, unknown>,
    }))
    .filter((r) => r.h['provider'] === 'vscode-lm')
    .sort((a, b) => String(b.h['created']).localeCompare(String(a.h['created'])));
  if (!files[0] && required) throw new Error(`no ${prefix}* run of the vscode-lm provider in ${runsDir}`);
  return files[0]?.n;
}

function headerOf(runsDir: string, prefix: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(runsDir, newestRun(runsDir, prefix)!), 'utf8').split('\n')[0]!) as Record<
    string,
    unknown
  >;
}
