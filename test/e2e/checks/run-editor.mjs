// The run file's editor (issue 26 item 4): a `*.run.jsonl` opened from Quick Open shows the Verdicts page in its
// own editor, "Open in Grid" opens the comparison grid of that run and the run drawn beside it, and "Open as Text"
// opens VS Code's text editor on the same file.
//
// The grid it opens replaces the Compare Runs check's: its first column is the big run judged before transcripts
// were kept, which is what the transcript check after this one clicks.
import fs from 'node:fs';
import path from 'node:path';

export default async (t) => {
  const { page, check, webviewWith, quickOpen, openFile, SHOTS, ws } = t;
  const name = 'persona-demos-test-big000000000.run.jsonl';

  await check(
    'a run file opens in its own editor: its verdicts, the grid one click away, the text on request',
    async () => {
      // Another method over the same 10,000 pairs (big run 1's verdicts under the method "default"), so the Verdicts
      // chart draws it beside the opened run and the grid has two columns.
      const runs = path.join(ws, '.synthesizeme/runs');
      const [header, ...rest] = fs
        .readFileSync(path.join(runs, 'persona-demos-test-big000000001.run.jsonl'), 'utf8')
        .split('\n');
      const h = { ...JSON.parse(header), id: 'editor0001', method: 'default', label: 'run editor check' };
      fs.writeFileSync(path.join(runs, 'default-test-editor0001.run.jsonl'), [JSON.stringify(h), ...rest].join('\n'));

      await openFile(page, 'ada.prefs.jsonl');
      await quickOpen(page, name);
      const f = await webviewWith(page, '[data-testid=open-grid]', 60_000);
      await f.locator('[data-testid=count]', { hasText: '10000 of 10000 pairs' }).waitFor({ timeout: 30_000 });
      const figures = await f.locator('[data-testid=method-figure]').count();
      if (figures !== 2) throw new Error(`${figures} method(s) in the chart, not the run and the one beside it`);
      await page.screenshot({ path: `${SHOTS}/run-editor.png` });

      await f.locator('[data-testid=open-grid]').click();
      await page.locator('.tabs-container .tab', { hasText: 'Compare 2 runs' }).first().waitFor({ timeout: 30_000 });
      const g = await webviewWith(page, '[data-testid=grid-count]');
      await g.locator('[data-testid=grid-count]', { hasText: '10000 of 10000 pairs' }).waitFor({ timeout: 30_000 });
      const columns = (await g.locator('.grid-head .cell').count()) - 1;
      if (columns !== 2) throw new Error(`${columns} run columns in the grid`);

      await openFile(page, name);
      const back = await webviewWith(page, '[data-testid=open-as-text]');
      await back.locator('[data-testid=open-as-text]').click();
      await page.locator('.tabs-container .tab.active', { hasText: name }).first().waitFor({ timeout: 30_000 });
      const text = page.locator('.monaco-editor .view-lines', { hasText: '"type":"header"' }).first();
      await text.waitFor({ timeout: 30_000 });
      return `verdicts of ${name} in its editor (10,000 rows, 2 methods); grid of 2 runs; opened as text`;
    },
  );
};
