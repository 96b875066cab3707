// A lens verdict reaches the pair view (issue 23): "Judge this pair" on the second pair of ada's file (the core
// checks judged the first), then "Open Pair" on it: the pair view lists the verdict as a "Judge this pair" run
// (kept under .synthesizeme/runs/lens/), with the orders the lens showed, instead of "0 runs".
import fs from 'node:fs';
import path from 'node:path';

/** How many orders the lens title says were right: `✓ chosen in both orders`, `✓ (A,B) · ✗ rejected (B,A)`, ... */
function rightInLens(title) {
  if (title.includes('✓ chosen in both orders')) return 2;
  if (/✗ [a-z ]+ in both orders/.test(title)) return 0;
  return (title.match(/✓/g) ?? []).length;
}

export default async (t) => {
  const { page, check, webviewWith, openFile, SHOTS, ws } = t;

  await check('a "Judge this pair" verdict appears in the pair view, as its own run', async () => {
    await openFile(page, 'ada.prefs.jsonl');
    const judgeLenses = page.locator('.codelens-decoration a', { hasText: 'Judge this pair' });
    await judgeLenses.nth(1).waitFor({ timeout: 30_000 });
    await judgeLenses.nth(1).click();
    // The line's lenses: Open Pair, Judge this pair (and with persona), then the verdict once judged.
    const line = page
      .locator('.codelens-decoration')
      .filter({ has: page.locator('a', { hasText: 'Judge this pair' }) })
      .nth(1);
    // The plain verdict: the lens segment with a mark that is not the persona's (`persona: ✓ ...`).
    const plainVerdict = (text) =>
      text
        .split('|')
        .map((s) => s.trim())
        .find((s) => /[✓✗]/.test(s) && !s.startsWith('persona:'));
    const end = Date.now() + 30_000;
    let title = '';
    while (!plainVerdict((title = await line.innerText())) && Date.now() < end) await page.waitForTimeout(200);
    const verdict = plainVerdict(title);
    if (!verdict) throw new Error(`no verdict in the lens: ${title}`);

    const lensDir = path.join(ws, '.synthesizeme', 'runs', 'lens');
    const kept = fs.existsSync(lensDir) ? fs.readdirSync(lensDir).filter((n) => n.endsWith('.run.jsonl')) : [];
    if (!kept.length) throw new Error('no lens run under .synthesizeme/runs/lens/');

    await line.locator('a', { hasText: 'Open Pair' }).click();
    const f = await webviewWith(page, '[data-testid=judgement]');
    const judged = f.locator('[data-testid=judgement]', { hasText: 'Judge this pair' }).first();
    await judged.waitFor({ timeout: 15_000 });
    const heading = await f.locator('h3', { hasText: 'Verdicts' }).first().innerText();
    if (/\(0 runs\)/.test(heading)) throw new Error(`the pair view says ${heading}`);
    const right = await judged.locator('.order .ok').count();
    const orders = await judged.locator('.order').count();
    if (orders !== 2) throw new Error(`${orders} order(s) in the lens run's verdict`);
    if (right !== rightInLens(verdict))
      throw new Error(`the pair view has ${right} right order(s), the lens said "${verdict}"`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/lens-in-pair-view.png` });
    return `${heading}; lens "${verdict}"; ${kept.length} lens run file(s)`;
  });
};
