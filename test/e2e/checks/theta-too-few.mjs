// Issue 23: Θ optimization checks its users before it spends anything. The e2e workspace has a handful of users,
// far fewer than the six held-out users an adoption needs: Optimize Θ says so in a warning with "Run Anyway",
// and declining it sends nothing to the server.

export default async function thetaTooFew({ page, check, palette, SHOTS, server }) {
  await check('Optimize Θ warns that too few users can never adopt a candidate, before any call', async () => {
    const chats = server.stats.chat;
    await palette(page, '>SynthesizeMe: Optimize Θ', 'Optimize Θ');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'light' }).first().click();
    const toast = page
      .locator('.notification-toast', {
        hasText: /too few users for Θ optimization: only \d held-out user\(s\): no Θ can be adopted/,
      })
      .first();
    await toast.waitFor({ timeout: 60_000 });
    if ((await toast.locator('.monaco-button', { hasText: 'Run Anyway' }).count()) === 0)
      throw new Error('the warning offers no "Run Anyway"');
    const text = (await toast.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
    await page.screenshot({ path: `${SHOTS}/theta-too-few.png` });
    // Declined (the toast closed): nothing was spent.
    await toast.hover();
    await toast
      .locator('.codicon-notifications-clear, .codicon-close')
      .first()
      .click({ timeout: 5_000 })
      .catch(() => page.keyboard.press('Escape'));
    await page.waitForTimeout(1000);
    if (server.stats.chat !== chats) throw new Error(`${server.stats.chat - chats} call(s) sent before the answer`);
    return text.slice(0, 200);
  });
}
