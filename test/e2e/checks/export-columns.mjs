// The grid's CSV export names each run's columns by the run (issue 23): method, model, persona version and
// date (and the label the run has), not run1…run6. Exported from the grid the Compare Runs check opened (the
// six synthetic runs of the fixture), the header read back from the file it wrote.
import fs from 'node:fs';
import path from 'node:path';

/** The CSV's first record (RFC 4180: quoted fields, doubled quotes). */
function headerOf(text) {
  const out = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') break;
    else field += c;
  }
  out.push(field);
  return out;
}

export default async (t) => {
  const { page, check, webviewWith, SHOTS, ws } = t;

  await check('the CSV export names each column by its run: method, model, persona version, date', async () => {
    const tab = page.locator('.tabs-container .tab', { hasText: 'Compare' }).first();
    if ((await tab.count()) === 0) throw new Error('the grid of the Compare Runs check is not open');
    await tab.click();
    const exports = path.join(ws, '.synthesizeme', 'exports');
    const before = new Set(fs.existsSync(exports) ? fs.readdirSync(exports) : []);
    const g = await webviewWith(page, '[data-testid=export-csv]');
    await g.locator('[data-testid=export-csv]').click();
    const end = Date.now() + 30_000;
    let file;
    while (!file && Date.now() < end) {
      await page.waitForTimeout(250);
      file = (fs.existsSync(exports) ? fs.readdirSync(exports) : []).find((n) => n.endsWith('.csv') && !before.has(n));
    }
    if (!file) throw new Error('no CSV written under .synthesizeme/exports/');
    // Written whole by one writeFile; wait until the header line is there.
    let text = '';
    while (!text.includes('\n') && Date.now() < end) {
      text = fs.readFileSync(path.join(exports, file), 'utf8');
      if (!text.includes('\n')) await page.waitForTimeout(100);
    }
    const header = headerOf(text);
    const runs = path.join(ws, '.synthesizeme', 'runs');
    const missing = [];
    for (let r = 0; r < 6; r++) {
      const first = fs.readFileSync(path.join(runs, `persona-demos-test-big00000000${r}.run.jsonl`), 'utf8');
      const h = JSON.parse(first.slice(0, first.indexOf('\n')));
      const name = `run${r + 1} / big ${r} / persona+demos / llama3.1:8b / no persona / ${h.created.slice(0, 10)}`;
      for (const field of ['score', 'AB preference', 'BA reasoning'])
        if (!header.includes(`${name} / ${field}`)) missing.push(`${name} / ${field}`);
    }
    if (missing.length)
      throw new Error(`missing columns: ${missing.join('; ')}\nheader: ${header.slice(0, 12).join(' | ')}`);
    const bare = header.filter((h) => /^run\d+_/.test(h));
    if (bare.length) throw new Error(`columns still named run<k>_: ${bare.slice(0, 3).join(', ')}`);
    if (header.some((h) => /^[=+\-@]/.test(h))) throw new Error('a header cell a spreadsheet would run');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/export-columns.png` });
    return `${header.length} columns; ${header[7]}`;
  });
};
