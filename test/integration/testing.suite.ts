/// <reference types="mocha" />
// The Testing panel (issue 26 item 2), against a loopback Ollama: each user with a persona is a test item whose
// children re-validate the persona and evaluate persona+demos against the default judge. The brain finds the
// user's choice when the system prompt says SMART, picks the other answer when it says OPPOSITE, and answers "A"
// otherwise (50%): a persona edited to the opposite taste is a planted regression, and an edit back helps.

import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { api, file, folder, printLogOnFailure, say, testApi, waitFor, writeText, useLoopbackOllama } from './helpers';
import { personaYaml } from '../support/persona-yaml';
import { splitPairsJsonl } from '../support/split-pairs';

/** `n` pairs of a user with their splits given, so the counts are known: `[context, validation, test]`. */
const prefs = splitPairsJsonl;

function persona(user: string, text: string): string {
  return personaYaml(user, text, { created: new Date().toISOString() });
}

export function testingSuite(): void {
  describe('the Testing panel (loopback Ollama)', function () {
    this.timeout(180_000);
    printLogOnFailure();
    let server: LoopbackServer;
    let personaDir = '';
    let historyDir = '';
    let restore: () => Promise<void> = async () => undefined;
    const id = (user: string) => `${folder().toString()}#${user}`;

    const brain = (req: BrainRequest): string => {
      const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
      if (!('preference' in props)) return 'Prefers short answers.';
      const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(last)?.[1]?.trim() ?? '';
      const aChosen = / chosen \d+:/.test(a);
      const preference = system.includes('SMART')
        ? aChosen
          ? 'A'
          : 'B'
        : system.includes('OPPOSITE')
          ? aChosen
            ? 'B'
            : 'A'
          : 'A';
      return JSON.stringify({ reasoning: `I pick ${preference}.`, preference });
    };

    before(async () => {
      const { ctx } = await api();
      server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'], chunkIntervalMs: 1 });
      restore = await useLoopbackOllama(server.port, server.url);
      const f = ctx.folders.first();
      const layout = await f.files.layout();
      ({ personaDir, historyDir } = layout);
      await writeText(file('tess.prefs.jsonl'), prefs('tess', [2, 12, 12]));
      await writeText(file('tiny.prefs.jsonl'), prefs('tiny', [1, 1, 1]));
      await writeText(
        vscode.Uri.file(join(personaDir, 'tess.persona.yaml')),
        persona('tess', 'Prefers SMART answers.'),
      );
      await writeText(
        vscode.Uri.file(join(personaDir, 'tiny.persona.yaml')),
        persona('tiny', 'Prefers SMART answers.'),
      );
    });

    after(async () => {
      await server?.close();
      for (const name of ['tess.prefs.jsonl', 'tiny.prefs.jsonl'])
        await vscode.workspace.fs.delete(file(name)).then(undefined, () => undefined);
      for (const user of ['tess', 'tiny']) {
        rmSync(join(personaDir, `${user}.persona.yaml`), { force: true });
        rmSync(join(historyDir, user), { recursive: true, force: true });
      }
      await restore();
    });

    /** Runs a user's two items through the run profile's handler; what each ended as. */
    async function runUser(user: string) {
      const { testing } = await testApi();
      await testing.run([id(user)]);
      const of = (job: string) => {
        const o = testing.outcome(`${id(user)}/${job}`);
        assert.ok(o, `an outcome for ${user}/${job}`);
        say(`      (${user} ${job}: ${o.state}: ${o.text})`);
        return o;
      };
      return { revalidate: of('revalidate'), evaluate: of('evaluate') };
    }

    it('shows each user with a persona as an item (the persona file) with its two children', async () => {
      const { testing } = await testApi();
      const item = await waitFor(
        'the items of tess and tiny',
        () => testing.controller.items.get(id('tiny')) && testing.controller.items.get(id('tess')),
        60_000,
      );
      assert.equal(item.uri?.fsPath, join(personaDir, 'tess.persona.yaml'));
      const children = [...item.children].map(([, c]) => c.label).sort();
      assert.deepEqual(children, ['evaluate persona+demos', 're-validate persona']);
    });

    it('skips a re-validation with no previous version, and passes an evaluation that beats the baseline', async () => {
      const r = await runUser('tess');
      assert.equal(r.revalidate.state, 'skipped');
      assert.match(r.revalidate.text, /^no previous version to compare with/);
      assert.equal(r.evaluate.state, 'passed', r.evaluate.text);
      assert.match(
        r.evaluate.text,
        /persona\+demos 100\.0% \(95% CI [\d.]+ to [\d.]+\) vs default 50\.0%.*: significant$/,
      );
    });

    it('fails both items on a planted regression (the persona edited to the opposite taste)', async () => {
      await writeText(
        vscode.Uri.file(join(personaDir, 'tess.persona.yaml')),
        persona('tess', 'Prefers OPPOSITE answers.'),
      );
      const r = await runUser('tess');
      for (const o of [r.revalidate, r.evaluate]) {
        assert.equal(o.state, 'failed', o.text);
        assert.match(o.text, /-\d+\.\d points \(95% CI -[\d.]+ to -[\d.]+, p [<=] [\d.]+\): significant$/);
        assert.equal(o.runs.length, 2, 'the grid opens the two runs compared');
      }
    });

    it('passes both items on an edit that helps', async () => {
      await writeText(
        vscode.Uri.file(join(personaDir, 'tess.persona.yaml')),
        persona('tess', 'Prefers SMART, short answers.'),
      );
      const r = await runUser('tess');
      for (const o of [r.revalidate, r.evaluate]) {
        assert.equal(o.state, 'passed', o.text);
        assert.match(o.text, /^current|^persona/);
        assert.match(o.text, /\+\d+\.\d points .*: significant$/);
      }
    });

    it('skips a user with too few pairs, with the reason', async () => {
      const r = await runUser('tiny');
      assert.equal(r.evaluate.state, 'skipped');
      assert.match(r.evaluate.text, /^too few pairs to tell \(1 of at least 10; /);
    });
  });
}
