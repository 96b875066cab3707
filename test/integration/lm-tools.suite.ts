/// <reference types="mocha" />
// The language-model tools (issue 26 item 3), invoked as agent mode invokes them (vscode.lm.invokeTool) against a
// loopback Ollama. The brain finds the user's choice when the system prompt says SMART, picks the other answer
// when it says OPPOSITE, and answers "A" otherwise (50%). prepareInvocation is called through the test API: agent
// mode shows its confirmation, and invokeTool outside a chat has none to show.

import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ToolNames } from '../../src/extension/tools/tool-names';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { personaYaml } from '../support/persona-yaml';
import {
  api,
  file,
  folder,
  printLogOnFailure,
  testApi,
  waitFor,
  writeText,
  useLoopbackOllama,
  invokeTool,
  waitUserGone,
} from './helpers';

const USER = 'toolu';
const PREFS = `${USER}.prefs.jsonl`;

/** 2 context, 12 validation and 12 test pairs: known counts. */
function prefs(): string {
  const splits = [...Array<string>(2).fill('context'), ...Array<string>(12).fill('validation')];
  return [...splits, ...Array<string>(12).fill('test')]
    .map((split, i) =>
      JSON.stringify({
        user_id: USER,
        pair_id: `${USER}-${i + 1}`,
        split,
        context: [{ role: 'user', content: `Question ${i + 1}: how do I reverse a string?` }],
        chosen: `chosen ${i + 1}: s[::-1]`,
        rejected: `rejected ${i + 1}: strings have a long history, and reversing them is a deep topic.`,
      }),
    )
    .join('\n');
}

function persona(text: string): string {
  return personaYaml(USER, text);
}

function brain(req: BrainRequest): string {
  const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
  if (!('preference' in props)) return 'Prefers short answers.';
  const aChosen = /^chosen \d+:/.test(/<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(last)?.[1] ?? '');
  const right = aChosen ? 'A' : 'B';
  const preference = system.includes('SMART') ? right : system.includes('OPPOSITE') ? (aChosen ? 'B' : 'A') : 'A';
  return JSON.stringify({ reasoning: `I pick ${preference}.`, preference });
}

/** Invokes a tool the way agent mode does; the text parts of its result. */
const invoke = invokeTool;

export function lmToolsSuite(): void {
  describe('language-model tools (loopback Ollama)', function () {
    this.timeout(180_000);
    printLogOnFailure();
    let server: LoopbackServer;
    let personaDir = '';
    let historyDir = '';
    let restore: () => Promise<void> = async () => undefined;

    before(async () => {
      const { ctx } = await api();
      server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'], chunkIntervalMs: 1 });
      restore = await useLoopbackOllama(server.port, server.url);
      const f = ctx.folders.first();
      ({ personaDir, historyDir } = await f.files.layout());
      await writeText(file(PREFS), prefs());
      await writeText(vscode.Uri.file(join(personaDir, `${USER}.persona.yaml`)), persona('Prefers SMART answers.'));
      await waitFor('the user in the index', async () => (await f.files.get()).user(USER), 30_000);
    });

    after(async () => {
      await server?.close();
      await vscode.workspace.fs.delete(file(PREFS)).then(undefined, () => undefined);
      rmSync(join(personaDir, `${USER}.persona.yaml`), { force: true });
      rmSync(join(historyDir, USER), { recursive: true, force: true });
      await restore();
      await waitUserGone(USER);
    });

    it('registers the four tools with the language-model API, as package.json declares them', () => {
      const ours = vscode.lm.tools.filter((t) => t.name.startsWith('synthesizeme_')).map((t) => t.name);
      assert.deepEqual(ours.sort(), Object.values(ToolNames).sort());
      const evaluate = vscode.lm.tools.find((t) => t.name === ToolNames.evaluateUser)!;
      assert.match(evaluate.description, /accuracy with its 95% confidence interval/);
      assert.deepEqual((evaluate.inputSchema as { required?: string[] }).required, ['userId']);
    });

    it('asks before the tools that spend model calls, and not before showing a persona', async () => {
      const { tools } = await testApi();
      assert.ok(tools, 'the test API has the tools');
      const none = new vscode.CancellationTokenSource().token;
      const cases: [string, object, RegExp][] = [
        [ToolNames.judgePair, { file: PREFS, line: 3, withPersona: true }, /2 calls to the configured judge model/],
        [ToolNames.evaluateUser, { userId: USER, method: 'default' }, /Evaluate \*\*default\*\* on toolu's test pairs/],
        [ToolNames.revalidate, { userId: USER }, /Re-validate toolu's persona: the judge model is called/],
      ];
      for (const [name, input, message] of cases) {
        const prepared = await tools[name as keyof typeof tools].prepareInvocation!({ input }, none);
        const asked = prepared?.confirmationMessages;
        assert.ok(asked?.title, `${name}: a confirmation`);
        const text = typeof asked.message === 'string' ? asked.message : asked.message.value;
        assert.match(text, message, name);
      }
      const shown = await tools[ToolNames.showPersona].prepareInvocation!({ input: { userId: USER } }, none);
      assert.equal(shown?.confirmationMessages, undefined, 'reading a persona asks nothing');
      assert.match(String(shown?.invocationMessage), /toolu's persona/);
    });

    it("shows a user's persona, its demonstrations and provenance, with no model call", async () => {
      server.reset();
      const text = await invoke(ToolNames.showPersona, { userId: USER });
      assert.match(text, /^Persona of user toolu \(.*toolu\.persona\.yaml; 26 preference pairs in the workspace\):/);
      assert.match(text, /\nPrefers SMART answers\.\n/);
      assert.match(text, /Fitted by ollama llama3\.1:8b on 2026-01-02T03:04:05\.000Z\./);
      assert.match(text, /Demonstrations \(0\):/);
      assert.equal(server.chats.length, 0);
    });

    it('says an unknown user, a line with no pair and bad input as error text the model can read', async () => {
      for (const name of [ToolNames.evaluateUser, ToolNames.showPersona, ToolNames.revalidate])
        assert.match(await invoke(name, { userId: 'nobody' }), /^Error: no user "nobody" in the workspace/, name);
      assert.match(
        await invoke(ToolNames.judgePair, { file: PREFS, line: 999 }),
        /^Error: no preference pair at line 999 in .*toolu\.prefs\.jsonl/,
      );
      assert.match(await invoke(ToolNames.judgePair, { file: 'missing.jsonl', pairId: 'x' }), /^Error: no file/);
      assert.match(
        await invoke(ToolNames.evaluateUser, { userId: USER, method: 'magic' }),
        /^Error: unknown method "magic" \(one of: default, /,
      );
      assert.match(await invoke(ToolNames.revalidate, {}), /^Error: give exactly one of "userId"/);
    });

    it('judges a pair in both orders with the persona: the verdicts and reasoning as text', async () => {
      const text = await invoke(ToolNames.judgePair, { file: PREFS, pairId: `${USER}-5`, withPersona: true });
      assert.match(text, /^Pair toolu-5 of user toolu \(.*toolu\.prefs\.jsonl:5\), judged with the persona: 2 of 2/);
      assert.match(text, /✓ order AB \(A = chosen, B = rejected\): A\n {2}I pick A\./);
      assert.match(text, /✓ order BA \(A = rejected, B = chosen\): B\n {2}I pick B\./);
      const plain = await invoke(ToolNames.judgePair, { file: PREFS, line: 5 });
      assert.match(plain, /judged without a persona: 1 of 2 orders picked the user's choice/);
    });

    it('evaluates a user: accuracy with its interval, consistency, pairs and the run file', async () => {
      const text = await invoke(ToolNames.evaluateUser, { userId: USER, method: 'persona+demos' });
      assert.match(
        text,
        /^persona\+demos on test \(llama3\.1:8b\): accuracy 100\.00% ± [\d.]+ over 24 samples of 12 pairs, consistency 100\.0%/,
      );
      assert.match(text, /\n {2}run file: .*\.run\.jsonl/);
      assert.match(text, /\n {2}toolu: 100\.00% ± [\d.]+ \(12 pairs\)/);
    });

    it('re-validates a persona: alone at first, then a planted regression with the paired sentence', async () => {
      const alone = await invoke(ToolNames.revalidate, { userId: USER });
      assert.match(alone, /current 100\.00% ± [\d.]+ over 12 pair\(s\)/);
      assert.doesNotMatch(alone, /^Error/);
      await writeText(vscode.Uri.file(join(personaDir, `${USER}.persona.yaml`)), persona('Prefers OPPOSITE answers.'));
      const text = await invoke(ToolNames.revalidate, { userId: USER });
      assert.match(text, /current vs previous \(.+\): -100\.0 points \(95% CI -[\d.]+ to -[\d.]+, p [<=] [\d.]+\)/);
      assert.match(text, /significant/);
      assert.match(text, /previous 100\.00% ± [\d.]+, current 0\.00% ± [\d.]+ over 12 pair\(s\)/);
      assert.match(text, /flipped pairs \(12\):/);
    });

    it('re-validates a prompt the same way (in the folder named): with no other version, says so and calls nothing', async () => {
      server.reset();
      assert.match(
        await invoke(ToolNames.revalidate, { prompt: 'memory' }),
        /^Error: the workspace has several folders \(.+\): give "folder"$/,
      );
      const text = await invoke(ToolNames.revalidate, { prompt: 'memory', folder: folder().toString() });
      if (/nothing to compare\.$/.test(text)) {
        assert.match(text, /^memory: the prompt is .*, and no other version exists: nothing to compare\.$/);
        assert.equal(server.stats.chat, 0, 'no call');
      } else assert.match(text, /^memory on validation: current vs previous \(.+\): /);
    });

    it('aborts the job when the invocation is cancelled', async () => {
      const { ctx } = await api();
      let release = () => {};
      const gate = new Promise<void>((r) => (release = r));
      server.options.brain = async (req) => {
        await gate;
        return brain(req);
      };
      server.reset();
      const source = new vscode.CancellationTokenSource();
      try {
        const running = invoke(
          ToolNames.evaluateUser,
          { userId: USER, method: 'default', split: 'validation' },
          source.token,
        );
        await waitFor('a call on its way', () => server.stats.inFlight > 0 || undefined, 30_000);
        source.cancel();
        await assert.rejects(running, (err: Error) => /cancel/i.test(`${err.name} ${err.message}`));
        await waitFor('the run to end', () => ctx.runs.running === 0 || undefined);
      } finally {
        release();
        server.options.brain = brain;
      }
      assert.ok(server.stats.chat < 24, `cancelled before the 24 calls (${server.stats.chat} sent)`);
    });
  });
}
