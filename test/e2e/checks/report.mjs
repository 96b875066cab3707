// The static report (issue 26 item 1): Export Report... from the command palette (runs from its quick pick, the save
// dialog's own default path), then the file opened in a new page of the same chromium from a `file:` URL, as a
// co-author would open it: the summary, the grid with a filter and a search, a pair, the personas, the provenance,
// and the data's planted markup shown as text (nothing injected runs). Then the same for the six runs of 10,000
// pairs, whose first paint and size are printed as figures.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MARKUP = '<img src=x onerror="document.title=\'pwned\'">';

/** A run file's header. */
const headerOf = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n')));
};

/** The report's JSON blocks, read as the page reads them. */
function blocks(html) {
  const read = (id) =>
    JSON.parse(new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(html)[1]);
  return { head: read('sm-head'), rows: read('sm-rows').rows, detail: read('sm-detail') };
}

export default async (t) => {
  const { page, check, palette, openFile, SHOTS, ws, tmp } = t;
  const runs = path.join(ws, '.synthesizeme/runs');
  const reports = () => new Set(fs.readdirSync(ws).filter((n) => /^synthesizeme-report-.*\.html$/.test(n)));

  /** Export Report... through the palette: each id picked in the quick pick, the baseline, the dialog's default path. */
  const exportReport = async (ids, base, as) => {
    const before = reports();
    await openFile(page, 'ada.prefs.jsonl');
    await palette(page, '>SynthesizeMe: Export Report', 'Export Report');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Export a report of which runs' })
      .first()
      .waitFor({ timeout: 15_000 });
    // A click on a row of a multi-select pick toggles it; the filter finds each run by its id (in its description).
    for (const id of ids) {
      await input.fill(id);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: id }).first();
      await row.waitFor({ timeout: 15_000 });
      await row.click();
    }
    await input.focus();
    await page.keyboard.press('Enter');
    if (ids.length > 1) {
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first();
      await row.waitFor({ timeout: 15_000 });
      await row.click();
    }
    // The save dialog (code-server's own, in the quick input), on the default it offers in the workspace folder.
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Save the report' })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    const end = Date.now() + 180_000;
    let name;
    while (!name && Date.now() < end) {
      await page.waitForTimeout(250);
      name = [...reports()].find((n) => !before.has(n));
    }
    if (!name) throw new Error('no synthesizeme-report-*.html written in the workspace folder');
    // Written whole (one rename): there once it is listed. The toast offers the browser.
    const said = new RegExp(`report written to ${name.replace(/[.]/g, '\\.')} .*: ${ids.length} run\\(s\\)`);
    await page
      .locator('.notification-toast', { hasText: said })
      .locator('.monaco-button', { hasText: 'Open in Browser' })
      .first()
      .waitFor({ timeout: 30_000 });
    const out = path.join(tmp, as);
    fs.renameSync(path.join(ws, name), out);
    return out;
  };

  /** A new page of the same browser on the report's file: URL; anything the data planted that runs is recorded. */
  const openReport = async (file) => {
    const p = await page.context().newPage();
    const ran = [];
    p.on('dialog', (d) => {
      ran.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    p.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) ran.push(`csp: ${m.text()}`);
    });
    p.on('pageerror', (e) => ran.push(`error: ${e.message}`));
    p.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) ran.push(`request: ${r.url()}`);
    });
    await p.goto(pathToFileURL(file).href);
    await p.locator('[data-testid=grid-count]').waitFor({ timeout: 30_000 });
    return { p, ran };
  };

  await check(
    'Export Report... writes one HTML file; opened from file: it shows the runs, pairs, personas',
    async () => {
      // The fixture's runs of the workspace: every user by the default method, ada by persona+demos, and a copy of the
      // default run whose label, a user id and a pair id carry markup (ids are data too).
      const found = fs
        .readdirSync(runs)
        .filter((n) => n.endsWith('.run.jsonl'))
        .map((n) => ({ file: path.join(runs, n), h: headerOf(path.join(runs, n)) }))
        .filter((r) => r.h.split === 'test' && !r.h.label)
        .sort((a, b) => b.h.created.localeCompare(a.h.created));
      const byDefault = found.find((r) => r.h.method === 'default');
      const withPersona = found.find((r) => r.h.method === 'persona+demos');
      if (!byDefault || !withPersona) throw new Error('the fixture has no default and persona+demos runs on test');
      const [header, ...rest] = fs.readFileSync(byDefault.file, 'utf8').split('\n');
      const planted = { ...JSON.parse(header), id: 'markup00001', label: `planted ${MARKUP}` };
      const verdict = {
        type: 'verdict',
        userId: `<b>${MARKUP}</b>`,
        pairId: `<script>document.title="pwned"</script>`,
        file: 'ada.prefs.jsonl',
        line: 1,
        orders: [
          { order: 'AB', preference: 'A', correct: true, reasoning: MARKUP },
          { order: 'BA', preference: 'B', correct: true, reasoning: 'fine' },
        ],
      };
      const body = rest.filter((l) => l && JSON.parse(l).type !== 'summary');
      fs.writeFileSync(
        path.join(runs, 'default-test-markup00001.run.jsonl'),
        [JSON.stringify(planted), ...body, JSON.stringify(verdict)].join('\n') + '\n',
      );
      let file;
      try {
        file = await exportReport([byDefault.h.id, withPersona.h.id, 'markup00001'], byDefault.h.id, 'report.html');
      } finally {
        // Read once; the checks after this one list the runs and must not meet it.
        fs.rmSync(path.join(runs, 'default-test-markup00001.run.jsonl'), { force: true });
      }
      const html = fs.readFileSync(file, 'utf8');
      const { head, rows, detail } = blocks(html);
      const { p, ran } = await openReport(file);
      try {
        // The summary: three runs, two comparisons with run 1 (Holm's p), the markup label as text.
        const summary = await p.locator('[data-testid=report-summary]').innerText();
        if (!summary.includes(`3 run(s), ${rows.length.toLocaleString('en-US')} pairs`))
          throw new Error(summary.slice(0, 300));
        if (!summary.includes(`planted ${MARKUP}`)) throw new Error('the planted label is not shown as text');
        if ((await p.locator('[data-testid=comparison]').count()) !== 2)
          throw new Error('not two comparisons with run 1');
        if (!/Holm/.test(summary)) throw new Error('several comparisons, but no Holm correction said');
        // The grid: a user filter, then a search whose matches are counted here from the file's own data.
        const count = p.locator('[data-testid=grid-count]');
        const total = rows.length.toLocaleString('en-US');
        await p.locator('[data-testid=grid-user]').selectOption('ada');
        const ada = rows.filter((r) => head.users[r[0]] === 'ada').length;
        await count
          .filter({ hasText: `${ada.toLocaleString('en-US')} of ${total} pairs` })
          .waitFor({ timeout: 10_000 });
        await p.locator('[data-testid=grid-user]').selectOption('');
        const at = detail.pairs.findIndex((x) => x && x.context.length);
        const query = detail.pairs[at].context[0].content.slice(0, 20).trim();
        const q = query.toLowerCase();
        const expected = rows.filter((r, i) => {
          const x = detail.pairs[i];
          const text = x ? [...x.context.map((c) => c.content), x.chosen, x.rejected].join('\n').toLowerCase() : '';
          return text.includes(q) || detail.reasoning[i].some((c) => c && c.some((s) => s.toLowerCase().includes(q)));
        }).length;
        await p.locator('[data-testid=grid-search]').fill(query);
        await count
          .filter({ hasText: `${expected.toLocaleString('en-US')} of ${total} pairs` })
          .waitFor({ timeout: 10_000 });
        // A pair: its texts, and each run's verdict in both orders with the reasoning (markup as text).
        await p.locator('[data-testid=grid-row]').first().click();
        const panel = p.locator('[data-testid=pair-panel]');
        await panel.locator('[data-testid=pair-chosen]').waitFor({ timeout: 10_000 });
        const pairId = (await panel.locator('[data-testid=pair-title]').innerText()).split(' · ')[0];
        const pairText = await panel.innerText();
        if (!pairText.includes('Response A is shorter')) throw new Error('the pair shows no reasoning');
        if (!pairText.includes('<script>document.title="pwned"</script>'))
          throw new Error('the reasoning markup is not text');
        await p.screenshot({ path: `${SHOTS}/report-pair.png` });
        await p.keyboard.press('Escape');
        // The planted ids: a row whose pair id is a script element, shown as its characters.
        await p.locator('[data-testid=grid-search]').fill('');
        await p.locator('[data-testid=grid-user]').selectOption(`<b>${MARKUP}</b>`);
        await p.locator('[data-testid=grid-row]', { hasText: '<script>document.title="pwned"</script>' }).waitFor();
        // The personas: ada's, with its text (persona+demos judged with it).
        await p.locator('[data-testid=tab-users]').click();
        const ada1 = p.locator('[data-testid=user-persona]', { hasText: 'ada' }).first();
        await ada1.locator('summary').first().click();
        const persona = await ada1.locator('[data-testid=persona-text]').first().innerText();
        if (!/shortest correct answer/.test(persona)) throw new Error(`persona: ${persona}`);
        // The provenance: the model, the tool that wrote it, each run's prompts' hashes.
        await p.locator('[data-testid=tab-provenance]').click();
        const prov = await p.locator('[data-testid=report-provenance]').innerText();
        if (!prov.includes('llama3.1:8b') || !/Export Report/.test(prov)) throw new Error(prov.slice(0, 300));
        if (!/prompt judge\s+sha256:[0-9a-f]{16}/.test(prov)) throw new Error(`no prompt hash: ${prov.slice(0, 400)}`);
        for (const scheme of ['dark', 'light']) {
          await p.emulateMedia({ colorScheme: scheme });
          await p.locator('[data-testid=tab-pairs]').click();
          await p.screenshot({ path: `${SHOTS}/report-${scheme}.png` });
        }
        // Nothing planted ran: no element it would make, no title it would set, no dialog, no request, no CSP refusal.
        if ((await p.locator('img, iframe, object, embed').count()) > 0) throw new Error('markup became elements');
        if ((await p.locator('script').count()) !== 4)
          throw new Error('a script element besides the page and its 3 data blocks');
        if ((await p.title()).includes('pwned')) throw new Error('planted script ran');
        if (ran.length) throw new Error(ran.join(' | ').slice(0, 400));
        return `${fs.statSync(file).size} bytes; ${rows.length} pairs x 3 runs; search "${query}": ${expected}; pair ${pairId}`;
      } finally {
        await p.close();
      }
    },
  );

  await check('the report of 10,000 pairs x 6 runs: first paint measured, rows virtualized', async () => {
    const ids = [0, 1, 2, 3, 4, 5].map((r) => `big00000000${r}`);
    const file = await exportReport(ids, ids[0], 'report-big.html');
    const { p, ran } = await openReport(file);
    try {
      await p.locator('[data-testid=grid-count]', { hasText: '10,000 of 10,000 pairs' }).waitFor({ timeout: 30_000 });
      let paint;
      const end = Date.now() + 10_000;
      while (!(paint = await p.locator('body').getAttribute('data-first-paint-ms')) && Date.now() < end)
        await p.waitForTimeout(100);
      const columns = (await p.locator('.grid-head .cell').count()) - 1;
      if (columns !== 6) throw new Error(`${columns} run columns`);
      const inDom = await p.locator('[data-testid=grid-row]').count();
      if (inDom > 200) throw new Error(`${inDom} rows in the DOM: not virtualized`);
      await p.locator('[data-testid=grid-filter]').selectOption('flipped');
      const flipped = await p.locator('[data-testid=grid-count]').innerText();
      if (flipped.startsWith('10,000 of') || flipped.startsWith('0 of'))
        throw new Error(`the flipped filter: ${flipped}`);
      if (ran.length) throw new Error(ran.join(' | ').slice(0, 400));
      await p.screenshot({ path: `${SHOTS}/report-big.png` });
      const bytes = fs.statSync(file).size;
      console.log(`e2e figure: report first paint with 10,000 rows x 6 runs: ${paint} ms`);
      console.log(`e2e figure: report size with 10,000 rows x 6 runs: ${bytes} bytes`);
      return `first paint ${paint} ms, ${bytes} bytes, ${inDom} rows in the DOM; flipped: ${flipped}`;
    } finally {
      await p.close();
    }
  });
};
