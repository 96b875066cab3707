// The transcript of a verdict (issue 23): from the pair view (the lens verdict judged earlier by the loopback
// model: its messages, tokens and cache share), and from the grid (the synthetic big runs, judged before
// transcripts were kept: the view says so). Screenshots in dark and light for the README.
import fs from 'node:fs';
import path from 'node:path';

export default async (t) => {
  const { page, check, webviewWith, openFile, SHOTS, ws } = t;
  const settingsFile = path.join(ws, '.vscode/settings.json');
  const setTheme = async (theme, light) => {
    const s = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, JSON.stringify({ ...s, 'workbench.colorTheme': theme }, null, 2));
    await page
      .locator(light ? '.monaco-workbench.vs:not(.vs-dark)' : '.monaco-workbench.vs-dark')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.waitForTimeout(700);
  };

  await check('a transcript opens from the pair view: messages, raw answer, tokens and cache share', async () => {
    await openFile(page, 'ada.prefs.jsonl');
    // The lens check judged the first pair; when it could not, judge it here (the transcript needs a verdict).
    const verdict = page.locator('.codelens-decoration', { hasText: '(A,B)' }).first();
    if ((await verdict.count()) === 0) {
      await page.locator('.codelens-decoration a', { hasText: 'Judge this pair' }).first().click({ timeout: 30_000 });
      await verdict.waitFor({ timeout: 30_000 });
    }
    const lens = page.locator('.codelens-decoration a', { hasText: 'Open Pair' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    const pv = await webviewWith(page, '[data-testid=judgement]');
    // The lens verdict's run ("Judge this pair") was judged through the loopback model: its calls are in the cache.
    const judged = pv.locator('[data-testid=judgement]', { hasText: /Judge this pair|lens ·/ }).first();
    await judged.waitFor({ timeout: 15_000 });
    await judged.locator('[data-testid=open-transcript]').click();
    const f = await webviewWith(page, '[data-testid=transcript-message]');
    const orders = await f.locator('[data-testid=transcript-order]').count();
    const messages = await f.locator('[data-testid=transcript-message]').count();
    if (orders !== 2) throw new Error(`${orders} order(s) shown`);
    if (messages < 4) throw new Error(`${messages} message(s) for two orders`);
    const system = await f.locator('[data-testid=transcript-message] .role').first().innerText();
    if (!/system/i.test(system)) throw new Error(`the first message is ${system}, not the system prompt`);
    const tokens = await f.locator('[data-testid=transcript-tokens]').first().innerText();
    if (!/^\d+$/.test(tokens.trim()) || Number(tokens) <= 0) throw new Error(`prompt tokens: ${tokens}`);
    const cache = await f.locator('[data-testid=transcript-cache]').first().innerText();
    const latency = await f.locator('[data-testid=transcript-latency]').first().innerText();
    if ((await f.locator('[data-testid=transcript-answer]').count()) !== 2) throw new Error('no raw answer');
    if ((await f.locator('.transcript-order img, .transcript-order script').count()) > 0)
      throw new Error('markup rendered');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/transcript-dark.png` });
    await setTheme('Default Light Modern', true);
    await page.screenshot({ path: `${SHOTS}/transcript-light.png` });
    await setTheme('Default Dark Modern', false);
    return `${messages} messages; ${tokens} prompt tokens, from the server's cache: ${cache}; latency ${latency}`;
  });

  await check('a transcript opens from the grid; a run judged before transcripts says so', async () => {
    const tab = page.locator('.tabs-container .tab', { hasText: 'Compare' }).first();
    if ((await tab.count()) === 0) throw new Error('the grid of the Compare Runs check is not open');
    await tab.click();
    const g = await webviewWith(page, '[data-testid=cell-transcript]');
    await g.locator('[data-testid=cell-transcript]').first().click();
    const f = await webviewWith(page, '[data-testid=transcript-note]');
    const note = await f.locator('[data-testid=transcript-note]').innerText();
    if (!note.includes('no transcript recorded for this run')) throw new Error(`note: ${note}`);
    const orders = await f.locator('[data-testid=transcript-order]').count();
    if (orders !== 2) throw new Error(`${orders} order(s) shown`);
    return note;
  });
};
