// The Testing panel (issue 26 item 2) in the packaged extension: a user with a persona is a test item; running it from
// the Test Explorer passes, fails on a planted regression (the persona edited to the opposite taste: the loopback's
// brain then picks the rejected answers), and passes again on an edit that helped. Driven as a person would: the
// Test Explorer's own "Run Test" action on the user's row, and its state icon read back.
import { createRequire } from 'node:module';
import path from 'node:path';

/** The state a Test Explorer row shows: its state icon's codicon (passed, failed, error, skipped, queued, loading...). */
async function stateOf(row) {
  const cls =
    (await row
      .locator('.computed-state')
      .first()
      .getAttribute('class', { timeout: 2_000 })
      .catch(() => '')) ?? '';
  return /codicon-testing-([a-z]+)-icon/.exec(cls)?.[1] ?? (/codicon-loading/.test(cls) ? 'running' : cls || 'none');
}

export default async (t) => {
  const { page, check, palette, openFile, SHOTS, ws, root } = t;
  const fixture = createRequire(import.meta.url)(path.join(root, 'out/e2e/fixture.cjs'));

  await check(
    'the Testing panel: a run passes, fails on a planted regression, passes on an edit that helped',
    async () => {
      fixture.writeTestingUser(ws, 'tess', 'Prefers SMART answers.', true);
      await openFile(page, 'ada.prefs.jsonl');
      await palette(page, '>Testing: Focus on Test Explorer View', 'Focus on Test Explorer View');
      const row = page.locator('.test-explorer .monaco-list-row', { hasText: 'tess' }).first();
      await row.waitFor({ timeout: 60_000 });
      // One run from the row's "Run Test" action, until the row shows `want`. A click that started nothing (the row
      // re-rendered under the pointer as the item list was synced) is made again when the state has not moved in
      // 15 s; a run that ends in another state fails at once, naming the states seen and what the run printed.
      const run = async (want) => {
        const before = await stateOf(row);
        const seen = [before];
        for (let click = 1; ; click++) {
          await row.hover();
          await row.locator('.action-label.codicon-testing-run-icon').first().click({ timeout: 15_000 });
          const retryAt = Date.now() + 15_000;
          const end = Date.now() + 90_000;
          let moved = false;
          for (;;) {
            const s = await stateOf(row);
            if (s !== seen.at(-1)) seen.push(s);
            if (s !== before) moved = true;
            if (s === want) return;
            if (moved && ['passed', 'failed', 'error', 'skipped'].includes(s)) {
              const out = await page
                .locator('.part.panel')
                .first()
                .innerText({ timeout: 2_000 })
                .catch(() => '(the panel could not be read)');
              throw new Error(
                `tess ended ${s}, not ${want} (states ${seen.join(' -> ')}): ${out.replace(/\s+/g, ' ').slice(0, 600)}`,
              );
            }
            if (!moved && Date.now() > retryAt && click < 3) break;
            if (Date.now() > end)
              throw new Error(`tess did not end ${want} in 90 s (states ${seen.join(' -> ')}, ${click} click(s))`);
            await page.waitForTimeout(250);
          }
        }
      };
      const states = [];
      await run('passed');
      states.push('passed');
      // The planted regression: the persona now says the opposite of the user's taste.
      fixture.writeTestingUser(ws, 'tess', 'Prefers OPPOSITE answers.', false);
      await run('failed');
      states.push('failed');
      await page.screenshot({ path: `${SHOTS}/testing-regression.png` });
      // An edit that helped: back to the user's taste.
      fixture.writeTestingUser(ws, 'tess', 'Prefers SMART, short answers.', false);
      await run('passed');
      states.push('passed');
      return `tess: ${states.join(' -> ')}`;
    },
  );
};
