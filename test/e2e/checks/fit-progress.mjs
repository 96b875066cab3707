// Issue 23: a fit says where it stands in its notification: "phase x of 5", its calls against the estimate,
// and an ETA once the server's speed is known. The loopback server is slowed for this check only (its
// answers came back faster than a person could read a message), then set back.

export default async function fitProgress({ page, check, palette, openFile, SHOTS, server }) {
  await check("a fit's notification shows its phase of 5, its calls and an ETA", async () => {
    const before = server.options.latencyMs;
    server.options.latencyMs = 700;
    try {
      // The palette from an editor: the check before this one leaves the keyboard in the grid's webview.
      await openFile(page, 'ada.prefs.jsonl');
      await palette(page, '>SynthesizeMe: Fit User', 'Fit User');
      // The user pick by its title: a click while the palette's list is still there would land on a command row.
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: 'Fit a persona model' })
        .first()
        .waitFor({ timeout: 15_000 });
      await page.keyboard.type('bruno');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'bruno' }).first().waitFor();
      await page.keyboard.press('Enter');
      const phase = page.locator('.notification-toast', { hasText: /phase \d of 5: .* · \d+ of at most \d+ calls/ });
      await phase.first().waitFor({ timeout: 60_000 });
      const eta = page.locator('.notification-toast', { hasText: /phase \d of 5: .* calls · about \d+ (s|min) left/ });
      await eta.first().waitFor({ timeout: 60_000 });
      const text = await eta.first().innerText();
      await page.screenshot({ path: `${SHOTS}/fit-progress.png` });
      await page
        .locator('.notification-toast .notification-list-item-message', { hasText: /persona for bruno written/ })
        .first()
        .waitFor({ timeout: 120_000 });
      return text.replace(/\s+/g, ' ').trim();
    } finally {
      server.options.latencyMs = before;
    }
  });
}
