// Rubric scoring in the views (issue 24: "the grid and the pair view show rubric criteria and scores"). ada's test
// pairs are judged by the rubric method with the CLI against the loopback server (the fixture hands the rubric calls
// to the simulated brain, which writes criteria and 1-10 scores), when this check runs, so the other checks' counts of
// runs stay as they were. Then the run's editor, "Open in Grid": a rubric cell's hover says both orders' weighted
// sums; a click opens the pair view, whose tables show each order's criteria, weights, scores of A and B and the sums.
// What the views show is compared with the run file. Named to run after the transcript checks (which use the grid
// panel) and before the vscode-lm check (which changes the provider).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The `rubric-test-*.run.jsonl` files of the workspace. */
function rubricRuns(ws) {
  const dir = path.join(ws, '.synthesizeme', 'runs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^rubric-test-.*\.run\.jsonl$/.test(n)) : [];
}

/** A table's text, cell by cell, one array per row (head, body, foot). */
const tableCells = (table) =>
  table.evaluate((t) => [...t.querySelectorAll('tr')].map((r) => [...r.cells].map((c) => c.textContent.trim())));

/** What the pair view's table must show of an order's rubric: the head, a row per criterion, the sums. */
function expectedTable(r) {
  return [
    ['criterion', 'weight', 'A', 'B'],
    ...r.criteria.map((c, i) => [c.name, String(c.weight), String(r.scores.A[i]), String(r.scores.B[i])]),
    ['weighted sum', r.sums[0].toFixed(2), r.sums[1].toFixed(2)],
  ];
}

export default async (t) => {
  const { page, check, webviewWith, quickOpen, SHOTS, ws, root } = t;
  const fixture = createRequire(import.meta.url)(path.join(root, 'out/e2e/fixture.cjs'));
  let run;
  let verdict;

  await check('eval --method rubric records criteria and scores in the run file', async () => {
    const before = new Set(rubricRuns(ws));
    const printed = await fixture.evaluateRubric(root, ws);
    const added = rubricRuns(ws).filter((n) => !before.has(n));
    if (added.length !== 1) throw new Error(`${added.length} new rubric run file(s); the CLI printed ${printed}`);
    run = added[0];
    const records = fs
      .readFileSync(path.join(ws, '.synthesizeme', 'runs', run), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const header = records[0];
    if (header.method !== 'rubric' || header.users.join() !== 'ada')
      throw new Error(`the run is ${header.method} for ${header.users.join(', ')}`);
    // A verdict whose orders both decided: its hover says "chose", its tables have a winning sum.
    verdict = records.find((r) => r.type === 'verdict' && r.orders.every((o) => o.rubric && o.preference));
    if (!verdict) throw new Error('no verdict with a rubric in both orders');
    return `${run}: ${printed.trim().split('\n')[0]}`;
  });
  if (!verdict) return;
  const runId = run.replace(/^rubric-test-|\.run\.jsonl$/g, '');
  const sums = (o) => `(sums A ${o.rubric.sums[0].toFixed(2)}, B ${o.rubric.sums[1].toFixed(2)})`;

  await check("the grid's rubric cell says both orders' weighted sums on hover", async () => {
    await quickOpen(page, run);
    // The run's own editor: a run editor (it has "Open in Grid") listing this pair; the Verdicts panel of earlier
    // checks lists ada's pairs too, and the big run's editor is one too.
    const editor = await webviewWith(
      page,
      `body:has([data-testid=open-grid]):has([data-testid=verdict-row]:has-text("${verdict.pairId}"))`,
      60_000,
    );
    await editor.locator('[data-testid=open-grid]').click();
    // The grid's column of this run: its head cell's title starts with the run id.
    const g = await webviewWith(page, `.grid-head .cell[title^="${runId}"]`, 60_000);
    const heads = await g.locator('.grid-head .cell').evaluateAll((cells) => cells.map((c) => c.title));
    const column = heads.findIndex((h) => h.startsWith(runId)) - 1; // the first head cell is the pair's
    await g.locator('[data-testid=grid-user]').selectOption('ada');
    const row = g.locator('[data-testid=grid-row]').filter({ hasText: verdict.pairId }).first();
    await row.waitFor({ timeout: 15_000 });
    const cell = row.locator(`[data-cell$=":${column}"]`);
    await cell.hover();
    const end = Date.now() + 15_000;
    let title = '';
    while (!(title = (await cell.getAttribute('title')) ?? '') && Date.now() < end) await page.waitForTimeout(100);
    const lines = title.split('\n');
    for (const o of verdict.orders) {
      const line = lines.find((l) => l.startsWith(`order (${o.order[0]},${o.order[1]})`)) ?? '';
      if (!line.includes(`chose ${o.preference}, ${o.correct ? 'right' : 'wrong'} ${sums(o)}`))
        throw new Error(`the hover of ${verdict.pairId} says "${line}", the run ${o.order}: ${sums(o)}`);
    }
    await page.screenshot({ path: `${SHOTS}/rubric-grid.png` });
    return `${verdict.pairId}, column ${column + 1} of ${heads.length - 1}: ${lines.join(' | ').slice(0, 200)}`;
  });

  await check(
    'the pair view shows each order’s criteria, weights, scores of A and B and the weighted sums',
    async () => {
      const g = await webviewWith(page, `.grid-head .cell[title^="${runId}"]`);
      await g
        .locator('[data-testid=grid-row]')
        .filter({ hasText: verdict.pairId })
        .first()
        .locator('.cell.pair')
        .click();
      const f = await webviewWith(page, '[data-testid=rubric]');
      await f.locator('[data-testid=pair-id]', { hasText: verdict.pairId }).waitFor({ timeout: 15_000 });
      const judged = f.locator('[data-testid=judgement]', { hasText: runId }).first();
      await judged.waitFor({ timeout: 15_000 });
      const seen = [];
      for (const o of verdict.orders) {
        const order = judged.locator('.order', { hasText: `order (${o.order[0]},${o.order[1]})` }).first();
        const table = order.locator('[data-testid=rubric]');
        await table.scrollIntoViewIfNeeded();
        await table.waitFor({ state: 'visible', timeout: 15_000 });
        const shown = await tableCells(table);
        const want = expectedTable(o.rubric);
        if (JSON.stringify(shown) !== JSON.stringify(want))
          throw new Error(
            `order ${o.order}: the table shows ${JSON.stringify(shown)}, the run ${JSON.stringify(want)}`,
          );
        // The winning sum is marked, the letter the order chose.
        const win = await table.locator('tfoot td.ok').innerText();
        if (win !== o.rubric.sums[o.preference === 'A' ? 0 : 1].toFixed(2)) throw new Error(`the marked sum is ${win}`);
        seen.push(`${o.order}: ${o.rubric.criteria.length} criteria, sums ${want.at(-1).slice(1).join(' / ')}`);
      }
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${SHOTS}/rubric-pair-view.png` });
      return `${verdict.pairId}: ${seen.join('; ')}`;
    },
  );
};
