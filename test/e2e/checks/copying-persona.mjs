// Issue 23: a persona that copies a response of the user's pairs word for word is flagged in the Persona
// Inspector, with the run shown. A persona file for bruno is planted whose persona is one of his chosen
// responses, then bruno is opened in the Users view.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bruno's first chosen response long enough to copy (five words or more), from his data file. */
function brunoChosen(ws) {
  const rows = JSON.parse(readFileSync(join(ws, 'bruno.prefs.json'), 'utf8'));
  const list = Array.isArray(rows) ? rows : (rows.pairs ?? rows.records ?? []);
  for (const r of list) {
    const c = typeof r.chosen === 'string' ? r.chosen : (r.chosen?.content ?? '');
    if (c.split(/\s+/).length >= 12) return c;
  }
  throw new Error('no chosen response of bruno long enough to copy');
}

export default async function copyingPersona({ page, check, webviewWith, SHOTS, ws }) {
  await check('a planted persona that copies a chosen response is flagged in the Persona Inspector', async () => {
    const copied = brunoChosen(ws);
    const dir = join(ws, 'personas');
    mkdirSync(dir, { recursive: true });
    const block = copied
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    writeFileSync(
      join(dir, 'bruno.persona.yaml'),
      `user_id: bruno\npersona: |\n${block}\ndemos: []\nprovenance:\n  provider: ollama\n  model: llama3.1:8b\n` +
        `  seed: 0\n  temperature: 0\n  k: 10\n  stopScore: 0.8\n  prompts: {}\n  created: "2026-01-01T00:00:00.000Z"\n` +
        `  validation: { accuracy: 1, correct: 3, evaluated: 3, of: 3 }\n`,
    );
    // The SynthesizeMe side bar may be open already (an earlier check opened it): a click on its icon would close it.
    const row = page.locator('.monaco-list-row', { hasText: 'bruno' }).filter({ hasText: 'persona' }).first();
    if (!(await page.locator('.part.sidebar .monaco-list-row', { hasText: 'bruno' }).first().isVisible()))
      await page.locator('.activitybar .action-item .action-label[aria-label^="SynthesizeMe"]').first().click();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const f = await webviewWith(page, '[data-testid=persona-copies]');
    const warning = (await f.locator('[data-testid=persona-copies]').innerText()).replace(/\s+/g, ' ').trim();
    if (
      !/^Copied, not written: this persona copies \d+ consecutive words of pair \S+'s chosen response: "/.test(warning)
    )
      throw new Error(`the warning: ${warning}`);
    // The small validation set heads with its interval, not "100.0%".
    const figures = await f.locator('.figure').first().innerText();
    if (!/3 pairs, too few to tell: 95% CI/.test(figures)) throw new Error(`the fit's figure: ${figures}`);
    await page.screenshot({ path: `${SHOTS}/copying-persona.png` });
    return warning.slice(0, 200);
  });
}
