/// <reference types="mocha" />
// "Judge this pair" in the real VS Code against a real model: llama.cpp's own server running Gemma 3 270M,
// started from here (the extension host runs the same set-up as the real-model layer). Run by that layer
// (SYNTHESIZEME_INTEGRATION_SUITES=real-model), not by the ordinary integration layer. Plumbing only: the
// verdicts are whatever the model said.

import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CommandIds } from '../../src/extension/command-ids';
import type { PairVerdict } from '../../src/core/method/judge';
import {
  EMBEDDED_MODEL_NAME,
  embeddedDir,
  ensureEmbeddedModel,
  startLlamaServer,
  type LlamaServer,
} from '../../tools/embedded-model/llama-server';
import { api, file, lensesOf, printLogOnFailure, say, waitFor } from './helpers';

export function realModelSuite(): void {
  describe('with a real model (llama-server, Gemma 3 270M)', function () {
    this.timeout(300_000);
    printLogOnFailure();
    let server: LlamaServer;

    before(async () => {
      const dir =
        process.env['SYNTHESIZEME_EMBEDDED_DIR'] ||
        (process.env['TOOLS'] ? join(process.env['TOOLS'], 'embedded-model') : embeddedDir());
      const model = await ensureEmbeddedModel({ dir });
      server = await startLlamaServer({
        ...model,
        ctx: 8192,
        parallel: 2,
        logDir: join(process.env['REAL_MODEL_LOG_DIR'] || dir, 'logs'),
      });
      const { ctx } = await api();
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('provider', 'openai', vscode.ConfigurationTarget.Workspace);
      await c.update('baseUrls', [server.baseUrl], vscode.ConfigurationTarget.Workspace);
      await c.update('model', EMBEDDED_MODEL_NAME, vscode.ConfigurationTarget.Workspace);
      await waitFor('the model settings', async () =>
        (await ctx.folders.first().model.describe()).baseUrls.some((u) => u.includes(String(server.port)))
          ? true
          : undefined,
      );
    });

    afterEach(function () {
      if (server && this.currentTest?.state === 'failed')
        say(`      --- ${server.logPath} (tail) ---\n${server.logTail(25)}`);
    });

    after(async () => {
      await server?.stop();
    });

    it('judges a pair from its lens: two verdicts from the real model, shown in the lens', async () => {
      const uri = file('ada.prefs.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const lens = (await lensesOf(uri)).find(
        (l) => l.command?.command === CommandIds.judgePair && l.range.start.line === 0,
      );
      assert.ok(lens, 'a "Judge this pair" lens on the first pair');
      const v = await vscode.commands.executeCommand<PairVerdict>(
        lens.command!.command,
        ...(lens.command!.arguments ?? []),
      );
      assert.ok(v, 'a verdict');
      assert.equal(v.pairId, 'ada-01');
      assert.deepEqual(
        v.orders.map((o) => o.order),
        ['AB', 'BA'],
      );
      for (const o of v.orders)
        assert.ok(
          o.preference === 'A' ||
            o.preference === 'B' ||
            (o.preference === null && /no A\/B preference/.test(o.error ?? '')),
          JSON.stringify(o),
        );
      say(
        `      the real model answered ${v.orders.map((o) => `${o.order}: ${o.preference ?? 'unparseable'}`).join(', ')}`,
      );
      const titles = (await lensesOf(uri)).filter((l) => l.range.start.line === 0).map((l) => l.command?.title ?? '');
      // Whatever the model said: "✓ (A,B) · ✗ rejected (B,A)", or "✗ rejected in both orders", ...
      assert.ok(
        titles.some((t) => /[✓✗]/.test(t)),
        `the verdict is in the lens: ${titles.join(' | ')}`,
      );
    });
  });
}
