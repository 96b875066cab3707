// A language-model tool (issue 26 item 3) invoked through the extension host's language-model API, as agent mode
// invokes it: the test-only extension's command calls vscode.lm.invokeTool('synthesizeme_judgePair', ...) (code-server
// has no Copilot agent to ask). VS Code asks for the tool's confirmation first (a dialog, outside a chat); confirmed,
// the tool judges ada's first pair with her persona against the loopback Ollama.
import fs from 'node:fs';
import path from 'node:path';

export default async (t) => {
  const { page, check, palette, openFile, tmp } = t;

  await check('a language-model tool invoked through vscode.lm.invokeTool returns its figures as text', async () => {
    await openFile(page, 'ada.prefs.jsonl');
    await palette(page, '>SynthesizeMe Test: Invoke the Judge Pair Tool', 'Invoke the Judge Pair Tool');
    // The tool spends model calls: VS Code shows its confirmation (a dialog, outside a chat) before it runs.
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Judge a preference pair' }).first();
    await dialog.waitFor({ timeout: 30_000 });
    const asked = await dialog.innerText();
    if (!/2 calls to the configured judge model/.test(asked)) throw new Error(`confirmation: ${asked}`);
    await dialog.locator('.monaco-button', { hasText: 'Yes' }).first().click();
    const toast = page
      .locator('.notification-toast .notification-list-item-message', { hasText: 'Tool result:' })
      .first();
    await toast.waitFor({ timeout: 60_000 });
    const said = await toast.innerText();
    if (!/judged with the persona: \d of 2 orders picked the user's choice/.test(said)) throw new Error(said);
    const log = path.join(tmp, 'fake-lm.jsonl');
    const tool = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((r) => r.kind === 'tool');
    if (!/order AB \(A = chosen, B = rejected\)/.test(tool?.text ?? '')) throw new Error(`tool text: ${tool?.text}`);
    return `confirmed, then: ${said.replace(/^Tool result: /, '')}`;
  });
};
