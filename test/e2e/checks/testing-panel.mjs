// The Testing panel (issue 26 item 2) in the packaged extension: a user with a persona is a test item; running it from
// the Test Explorer passes, fails on a planted regression (the persona edited to the opposite taste: the loopback's
// brain then picks the rejected answers), and passes again on an edit that helped. Driven as a person would: the
// Test Explorer's own "Run Test" action on the user's row, and its state icon read back.
import { createRequire } from 'node:module';
import path from 'node:path';

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
      const run = async (state) => {
        await row.hover();
        await row.locator('.action-label.codicon-testing-run-icon').first().click();
        await row.locator(`.computed-state.codicon-testing-${state}-icon`).waitFor({ timeout: 90_000 });
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
