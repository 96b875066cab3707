// VS Code's language models as the judge (issue 26 item 5), through a chat provider registered by the test-only
// extension (test/support/fake-lm-vendor; never a real service): chosen in Select Provider and Model, then "Judge
// this pair". The fake model writes down what it was sent: no system role, the system text folded into the first user
// message; the lens run's header records the provider and the model's family and version. The folder's settings go
// back to the loopback Ollama afterwards.
import fs from 'node:fs';
import path from 'node:path';

export default async (t) => {
  const { page, check, palette, openFile, SHOTS, ws, tmp } = t;
  const settingsFile = path.join(ws, '.vscode/settings.json');

  await check(
    "VS Code's language models: a test-registered provider chosen in Select Model judges a pair",
    async () => {
      const saved = fs.readFileSync(settingsFile, 'utf8');
      try {
        await openFile(page, 'ada.prefs.jsonl');
        await palette(page, '>SynthesizeMe Test: Register the Fake Language Model', 'Register the Fake Language Model');
        await page
          .locator('.notification-toast .notification-list-item-message', { hasText: 'Fake language model registered' })
          .first()
          .waitFor({ timeout: 30_000 });
        await palette(page, '>SynthesizeMe: Select Provider and Model', 'Select Provider and Model');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'vscode-lm' }).first().click();
        const model = page
          .locator('.quick-input-list .monaco-list-row', { hasText: 'synthesizeme-test/judge-1' })
          .first();
        await model.waitFor({ timeout: 30_000 });
        const listed = await model.innerText();
        if (!/family fake-family, version fake-2026-01/.test(listed)) throw new Error(`listed as: ${listed}`);
        await model.click();
        await page
          .locator('.statusbar-item', { hasText: 'synthesizeme-test/judge-1' })
          .first()
          .waitFor({ timeout: 30_000 });

        await openFile(page, 'ada.prefs.jsonl');
        const lens = page.locator('.codelens-decoration a', { hasText: /Judge this pair|Judge with persona/ }).first();
        await lens.waitFor({ timeout: 30_000 });
        await lens.click();
        const log = path.join(tmp, 'fake-lm.jsonl');
        const end = Date.now() + 30_000;
        let request;
        while (!(request = readLog(log).find((r) => r.kind === 'request')) && Date.now() < end)
          await page.waitForTimeout(200);
        if (!request) throw new Error('the fake model was not asked');
        // LanguageModelChatMessageRole: User 1, Assistant 2; no system message reaches the API.
        if (request.roles[0] !== 1 || request.roles.some((r) => r !== 1 && r !== 2))
          throw new Error(`roles: ${request.roles}`);
        if (!request.first.startsWith('<system_instructions>\n'))
          throw new Error(`first: ${request.first.slice(0, 80)}`);
        const header = await lensHeader(page, path.join(ws, '.synthesizeme/runs/lens'));
        if (!/family fake-family, version fake-2026-01/.test(header.modelDigest ?? ''))
          throw new Error(`header: ${JSON.stringify(header)}`);
        await page.screenshot({ path: `${SHOTS}/vscode-lm-judge.png` });
        return `${header.provider} ${header.model} (${header.modelDigest}); first message folded`;
      } finally {
        fs.writeFileSync(settingsFile, saved);
      }
    },
  );
};

function readLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The header of the lens run the fake model's verdict went to (written once both orders are answered). */
async function lensHeader(page, dir) {
  const end = Date.now() + 30_000;
  for (;;) {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.run.jsonl')) : [];
    for (const n of names) {
      const h = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8').split('\n')[0]);
      if (h.provider === 'vscode-lm') return h;
    }
    if (Date.now() > end) throw new Error(`no lens run of the vscode-lm provider in ${dir}`);
    await page.waitForTimeout(200);
  }
}
