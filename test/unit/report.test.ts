// The static report (issue 26 item 1): one self-contained HTML file (no network: a CSP that allows only its
// own script and style by hash, no http(s) address in any src or href), every text from the data inert
// (markup and scripts planted in user and pair ids, pair texts, personas, reasoning and labels never reach
// the HTML parser as markup), the figures the engine's own comparison computes (Holm's p with several runs),
// and the refusals of bad inputs, through the engine's job and through the CLI.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareReport, REPORT_BLOCKS, runReport } from '../../src/core/report';
import { compareVerdicts } from '../../src/core/eval/compare';
import { buildComparisonGrid } from '../../src/core/eval/comparison-grid';
import { readRun } from '../../src/core/eval/run-file';
import { holmAdjust } from '../../src/core/eval/multiple-comparisons';
import type { ReportDetail, ReportHead, ReportRows } from '../../src/core/report/report-model';
import { allowNamedOutput } from '../../src/core/write-guard';
import { cli } from './revalidate-fixture';
import { handWorkspace, HOSTILE, htmlParts, PAYLOADS, writeRun } from './report-fixture';

const EVE = 'eve<img src=x onerror="globalThis.__pwned=5">';

function hostileWorkspace() {
  const h = handWorkspace(['ada', EVE], 8, HOSTILE);
  const persona = (u: string) => ({ judge: 'sha256:aaaaaaaaaaaaaaaa', [`persona:${u}`]: h.personaHash.get(u)! });
  const inputs = { ...persona('ada'), ...persona(EVE) };
  const runs = [
    writeRun(h, { id: 'run000000001', method: 'default', accuracy: 0.5, reasoning: `Because ${HOSTILE}` }),
    writeRun(h, { id: 'run000000002', method: 'persona', label: `label ${HOSTILE}`, accuracy: 0.8, inputs, seed: 2 }),
    writeRun(h, { id: 'run000000003', method: 'persona+demos', accuracy: 0.9, inputs, seed: 3 }),
  ];
  return { h, runs };
}

async function report(inputs: string[], out: string) {
  // As the faces do: the output was chosen by the user (the CLI's --out, VS Code's save dialog).
  allowNamedOutput(out);
  const plan = await prepareReport({ inputs, out });
  return { plan, result: await runReport(plan), html: readFileSync(out, 'utf8') };
}

const blocksOf = (html: string) => {
  const { blocks } = htmlParts(html);
  return {
    head: JSON.parse(blocks.get(REPORT_BLOCKS.head)!) as ReportHead,
    rows: JSON.parse(blocks.get(REPORT_BLOCKS.rows)!) as ReportRows,
    detail: JSON.parse(blocks.get(REPORT_BLOCKS.detail)!) as ReportDetail,
  };
};

describe('report: one self-contained file', () => {
  test('its only script and style are inline and allowed by their hashes; nothing is loaded from anywhere', async () => {
    const { h, runs } = hostileWorkspace();
    const { html } = await report(runs, join(h.dir, 'report.html'));
    const parts = htmlParts(html);
    assert.match(parts.csp, /^default-src 'none'; /);
    assert.equal(parts.scripts.length, 1, 'one executable script');
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    assert.ok(parts.csp.includes(`script-src ${hash(parts.scripts[0]!)}`), parts.csp);
    const style = /<style>([\s\S]*?)<\/style>/.exec(parts.markup)![1]!;
    assert.ok(parts.csp.includes(`style-src ${hash(style)}`), parts.csp);
    assert.doesNotMatch(parts.markup, /\b(src|href)\s*=\s*["']?\s*(https?:|\/\/)/i);
    assert.doesNotMatch(parts.markup, /<link\b|<script\s+src|@import|url\(\s*["']?https?:/i);
    assert.doesNotMatch(parts.scripts[0]!, /sourceMappingURL/);
    assert.deepEqual([...parts.blocks.keys()], [REPORT_BLOCKS.head, REPORT_BLOCKS.rows, REPORT_BLOCKS.detail]);
  });

  test('planted markup and scripts in ids, pairs, personas, reasoning and labels stay text', async () => {
    const { h, runs } = hostileWorkspace();
    const { html } = await report(runs, join(h.dir, 'report.html'));
    const parts = htmlParts(html);
    for (const p of [...PAYLOADS, EVE]) assert.ok(!html.includes(p), `planted text written as markup: ${p}`);
    for (const [id, body] of parts.blocks) {
      assert.doesNotMatch(body, /<\/script|<!--|</i, `${id} holds a raw "<"`);
      assert.ok(!/[\u2028\u2029]/.test(body), `${id} holds a raw line separator`);
    }
    // The texts are all there, unchanged, once the JSON is read.
    const { head, rows, detail } = blocksOf(html);
    assert.ok(head.users.includes(EVE));
    assert.ok(head.runs.some((r) => r.label === `label ${HOSTILE}`));
    assert.ok(
      rows.rows.some((r) => r[1].includes(HOSTILE)),
      'a pair id with the payload',
    );
    assert.ok(
      detail.pairs.some((p) => p !== 0 && p.chosen.includes(HOSTILE) && p.context[0]!.content.includes(HOSTILE)),
    );
    assert.ok(detail.reasoning.some((r) => r.some((c) => c !== 0 && c[0]!.includes(HOSTILE))));
    const eve = detail.personas.find((u) => u.user === EVE)!;
    assert.ok(eve.versions[0]!.persona!.includes(HOSTILE), 'the persona text');
    assert.ok(eve.versions[0]!.demos[0]!.reasoning.includes(HOSTILE), 'a demonstration');
    // The page renders with text nodes only: no HTML sink in its script.
    assert.doesNotMatch(parts.scripts[0]!, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write\(/);
  });
});

describe('report: the figures are the engine’s', () => {
  test('each later run against the first is the grid’s comparison, with per-user outcomes and Holm’s p', async () => {
    const { h, runs } = hostileWorkspace();
    const { plan, result, html } = await report(runs, join(h.dir, 'report.html'));
    assert.equal(plan.runs.length, 3);
    assert.equal(plan.users, 2);
    assert.equal(plan.pairs, 12);
    assert.deepEqual([result.runs, result.pairs, result.users], [3, 12, 2]);
    const { head } = blocksOf(html);
    const grid = await buildComparisonGrid(runs);
    const contents = await Promise.all(runs.map((p) => readRun(p)));
    const holm = holmAdjust(grid.summary.slice(1).map((s) => s.versusFirst!.p));
    head.comparisons.forEach((c, i) => {
      const v = grid.summary[c.run]!.versusFirst!;
      assert.equal(c.sentence, v.sentence);
      assert.deepEqual([c.difference, c.ci95, c.p], [v.difference, v.ci95, v.p]);
      assert.equal(c.pHolm, holm[i]);
      assert.match(c.holmSentence!, /Holm p/);
      const full = compareVerdicts(contents[0]!.verdicts, contents[c.run]!.verdicts, contents[0]!.header!.seed);
      assert.deepEqual(c.perUser, full.perUser);
      assert.deepEqual(c.outcomes, full.users);
    });
    assert.equal(head.runs[1]!.personas.length, 2);
    assert.equal(head.runs[0]!.modelDigest, 'sha256:0123456789abcdef');
    assert.deepEqual(head.runs[0]!.prompts, [{ name: 'judge', hash: 'sha256:aaaaaaaaaaaaaaaa' }]);
  });

  test('two runs: no Holm (one comparison); one run: its figures and pairs, no comparison', async () => {
    const { h, runs } = hostileWorkspace();
    const two = blocksOf((await report(runs.slice(0, 2), join(h.dir, 'two.html'))).html).head;
    assert.equal(two.comparisons.length, 1);
    assert.equal(two.comparisons[0]!.pHolm, undefined);
    const one = blocksOf((await report(runs.slice(0, 1), join(h.dir, 'one.html'))).html);
    assert.equal(one.head.comparisons.length, 0);
    assert.equal(one.rows.rows.length, 12);
    assert.ok(one.head.runs[0]!.accuracy !== null);
  });

  test('a workspace folder stands for its newest run of each kind, the default method first', async () => {
    const { h } = hostileWorkspace();
    writeRun(h, {
      id: 'run000000004',
      method: 'persona',
      label: `label ${HOSTILE}`,
      accuracy: 0.7,
      created: '2025-03-01T00:00:00.000Z',
    });
    const plan = await prepareReport({ inputs: [h.ws], out: join(h.dir, 'r.html') });
    assert.deepEqual(
      plan.runs.map((r) => r.id),
      ['run000000001', 'run000000004', 'run000000003'],
    );
    assert.equal(plan.workspace, h.ws);
  });
});

describe('report: bad inputs are refused before anything is written', () => {
  test('a missing file, a file that is no run, the same run twice, runs of two workspaces, an existing output', async () => {
    const { h, runs } = hostileWorkspace();
    const other = hostileWorkspace();
    const out = join(h.dir, 'r.html');
    const refused = (inputs: string[], pattern: RegExp, o = out) =>
      assert.rejects(prepareReport({ inputs, out: o }), (e: Error & { exitCode?: number }) => {
        assert.match(e.message, pattern);
        assert.equal(e.exitCode, 2);
        return true;
      });
    await refused([join(h.dir, 'nope.run.jsonl')], /nope\.run\.jsonl: no such file or folder/);
    await refused([join(h.ws, 'prefs.jsonl')], /not a run file/);
    await refused([runs[0]!, runs[0]!], /same run/);
    await refused([runs[0]!, other.runs[1]!], /different workspaces/);
    await refused([h.dir], /no runs/);
    await refused([], /give run files/);
    writeFileSync(out, 'mine');
    await refused(runs, /exists: choose another path, or pass --force/);
    await refused(runs, /is one of the runs/, runs[0]!);
    assert.equal(readFileSync(out, 'utf8'), 'mine');
    allowNamedOutput(out);
    const plan = await prepareReport({ inputs: runs, out, force: true });
    await runReport(plan);
    assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
  });

  test('a cancelled report writes nothing', async () => {
    const { h, runs } = hostileWorkspace();
    const out = join(h.dir, 'cancelled.html');
    const plan = await prepareReport({ inputs: runs, out });
    const c = new AbortController();
    c.abort();
    await assert.rejects(runReport(plan, { signal: c.signal }));
    assert.equal(existsSync(out), false);
  });
});

describe('synthesizeme report', () => {
  test('writes the file and says its size; --json; usage errors exit 2', async () => {
    const { h } = hostileWorkspace();
    const c = cli(h.dir);
    assert.equal(await c.run('report', 'ws', '--out', 'out/report.html'), 0, c.err());
    assert.match(c.out(), /^Wrote out\/report\.html \(\d+ KB\): 3 run\(s\), 12 pairs, 2 user\(s\) in \d+\.\d s\n$/);
    assert.ok(existsSync(join(h.dir, 'out', 'report.html')));
    const again = cli(h.dir);
    assert.equal(await again.run('report', 'ws', '--out', 'out/report.html'), 2);
    assert.match(again.err(), /out\/report\.html exists: choose another path, or pass --force/);
    const json = cli(h.dir);
    assert.equal(await json.run('report', 'ws', '--out', 'out/report.html', '--force', '--json'), 0, json.err());
    const r = json.json();
    assert.equal(r.path, 'out/report.html');
    assert.equal(r.runs, 3);
    const bad = cli(h.dir);
    assert.equal(await bad.run('report', 'ws'), 2);
    assert.match(bad.err(), /--out FILE is required/);
    assert.equal(await bad.run('report', '--out', 'x.html'), 2);
    assert.equal(await bad.run('report', 'nope.run.jsonl', '--out', 'x.html'), 2);
    assert.match(bad.err(), /nope\.run\.jsonl: no such file or folder/);
  });
});
