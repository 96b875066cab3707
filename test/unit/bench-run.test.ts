import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { lineChartSvg, niceTicks } from '../../src/core/bench/svg-chart';
import { slope, subsampleContext } from '../../src/core/bench/scaling';
import { benchBrain, xmlWellFormed } from './bench-fixtures';
import { cli } from './revalidate-fixture';

function workspaceCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sm-benchrun-'));
  cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
  return dir;
}

describe('bench run and scaling against a loopback Ollama', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ brain: benchBrain, models: ['m1', 'm2'] }).then((s) => (server = s));
  after(() => server?.close());

  test('methods x models: one table, JSON, paired comparisons, personas per model; a re-run costs nothing', async () => {
    await started;
    const dir = workspaceCopy();
    const args = [
      'bench',
      'run',
      'ws',
      '--methods',
      'default,memory,persona+demos',
      '--models',
      'm1,m2',
      '--base-url',
      server.url,
      '--k',
      '2',
    ];
    const c = cli(dir);
    assert.equal(await c.call(...args, '--json'), 0, c.err());
    const r = JSON.parse(c.out());
    assert.equal(r.cells.length, 6);
    assert.deepEqual(
      r.cells.map((x: { method: string; model: string }) => `${x.method}@${x.model}`),
      ['default@m1', 'memory@m1', 'persona+demos@m1', 'default@m2', 'memory@m2', 'persona+demos@m2'],
    );
    for (const cell of r.cells) {
      assert.ok(cell.pairs > 0, `${cell.method}: judged pairs`);
      assert.ok(cell.ci95[0] <= cell.accuracy && cell.accuracy <= cell.ci95[1]);
      assert.ok(cell.calls > 0 && cell.promptTokens > 0, `${cell.method}@${cell.model}: usage counted`);
      assert.ok('costUsd' in cell && 'consistency' in cell);
    }
    // Per model: memory and persona+demos against default, and memory against SynthesizeMe (persona+demos).
    assert.equal(r.comparisons.length, 6);
    assert.deepEqual(
      r.comparisons.map((x: { method: string; baseline: string }) => `${x.method} vs ${x.baseline}`).sort(),
      [...Array(2).keys()]
        .flatMap(() => ['memory vs default', 'persona+demos vs default', 'memory vs persona+demos'])
        .sort(),
    );
    assert.ok(r.comparisons.every((x: { p: number }) => x.p >= 0 && x.p <= 1));
    assert.equal(r.fits.length, 2);
    assert.ok(r.fits[0].fitted > 0);
    // Personas of each model in a folder of their own.
    for (const m of ['m1', 'm2'])
      assert.ok(
        readdirSync(join(dir, 'ws/personas', m)).some((f) => f.endsWith('.persona.yaml')),
        m,
      );
    // Their versions are kept beside them (personas/<model>/.history/<user>/).
    assert.ok(readdirSync(join(dir, 'ws/personas/m2/.history')).length > 0);
    assert.match(
      readFileSync(
        join(
          dir,
          'ws/personas/m2',
          readdirSync(join(dir, 'ws/personas/m2')).find((f) => f.endsWith('.persona.yaml'))!,
        ),
        'utf8',
      ),
      /model: m2/,
    );
    assert.match(r.markdown, /^\| method \| m1 \| m2 \|$/m);
    assert.match(r.markdown, /^\| persona\+demos \| \d+\.\d\d% ± \d+\.\d\d \| \d+\.\d\d% ± \d+\.\d\d \|$/m);
    assert.match(r.markdown, /\| method \| vs \| model \| difference \(95% CI\) \| p \| p \(Holm\) \| pairs \|/);
    // Per model: memory and persona+demos against default, memory against SynthesizeMe (persona+demos).
    assert.match(r.markdown, /^p-values Holm-corrected for 6 comparisons/m);
    assert.match(r.markdown, /^\| memory \| persona\+demos \| m1 \| /m);
    assert.ok(
      r.comparisons.every(
        (x: { p: number; pHolm: number; sentence: string }) =>
          x.pHolm >= x.p && x.pHolm <= 1 && /Holm p/.test(x.sentence),
      ),
    );

    // Resumed: personas reused, verdicts from the run files, memory from the cache.
    const again = cli(dir);
    assert.equal(await again.call(...args, '--table'), 0, again.err());
    assert.match(
      again.out(),
      /^\| method \| model \| accuracy \(95% CI\) \| consistency \| unparseable \| failed calls \| pairs \| users \| calls \| cache hits \| tokens \(prompt \+ completion\) \| cost \|$/m,
    );
    const j = cli(dir);
    assert.equal(await j.call(...args, '--json'), 0, j.err());
    const r2 = JSON.parse(j.out());
    assert.equal(r2.calls, 0);
    assert.deepEqual(
      r2.cells.map((x: { accuracy: number }) => x.accuracy),
      r.cells.map((x: { accuracy: number }) => x.accuracy),
    );
    assert.ok(r2.fits.every((f: { fitted: number; reused: number }) => f.fitted === 0 && f.reused > 0));
  });

  test('transfer: personas fitted with m1, evaluated with m2', async () => {
    await started;
    const dir = workspaceCopy();
    const c = cli(dir);
    assert.equal(
      await c.call(
        'bench',
        'run',
        'ws',
        '--methods',
        'default,persona+demos',
        '--fit-model',
        'm1',
        '--models',
        'm2',
        '--users',
        '2',
        '--base-url',
        server.url,
        '--k',
        '2',
        '--json',
      ),
      0,
      c.err(),
    );
    const r = JSON.parse(c.out());
    assert.equal(r.users, 2);
    assert.deepEqual(
      r.fits.map((f: { fitModel: string }) => f.fitModel),
      ['m1'],
    );
    const pd = r.cells.find((x: { method: string }) => x.method === 'persona+demos');
    assert.equal(pd.model, 'm2');
    assert.equal(pd.fitModel, 'm1');
    assert.ok(existsSync(join(dir, 'ws/personas/m1')));
    assert.ok(!existsSync(join(dir, 'ws/personas/m2')));
    assert.match(r.markdown, /m2 \(personas from m1\)/);
  });

  test("a bench run is stale only when something it used changed: its own personas, not the workspace's", async () => {
    await started;
    const dir = workspaceCopy();
    const c = cli(dir);
    assert.equal(
      await c.call(
        'bench',
        'run',
        'ws',
        '--methods',
        'default,persona+demos',
        '--models',
        'm1',
        '--users',
        '2',
        '--base-url',
        server.url,
        '--k',
        '2',
        '--json',
      ),
      0,
      c.err(),
    );
    const listed = async () => {
      const l = cli(dir);
      assert.equal(await l.call('runs', 'ws', '--json'), 0, l.err());
      return (JSON.parse(l.out()) as { runs: { method: string; stale: boolean; staleBecause: string[] }[] }).runs;
    };
    const fresh = await listed();
    assert.equal(fresh.length, 2);
    for (const r of fresh)
      assert.equal(r.stale, false, `${r.method} stale as soon as written: ${r.staleBecause.join(', ')}`);
    // Editing a persona the bench fitted makes its persona run stale, and only that one.
    const folder = join(dir, 'ws/personas/m1');
    const file = join(
      folder,
      readdirSync(folder).find((f) => f.endsWith('.persona.yaml'))!,
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^persona: /m, 'persona: Edited by hand. '));
    const after = await listed();
    const byMethod = new Map(after.map((r) => [r.method, r]));
    assert.equal(byMethod.get('default')!.stale, false);
    assert.equal(byMethod.get('persona+demos')!.stale, true);
    assert.match(byMethod.get('persona+demos')!.staleBecause.join(', '), /persona of \w+ changed/);
  });

  test('scaling: an SVG chart and JSON, nested context subsamples', async () => {
    await started;
    const dir = workspaceCopy();
    const c = cli(dir);
    assert.equal(
      await c.call(
        'bench',
        'scaling',
        'ws',
        '--sizes',
        '1,2,4',
        '--models',
        'm1',
        '--base-url',
        server.url,
        '--k',
        '1',
        '--out',
        'scaling.svg',
        '--json',
      ),
      0,
      c.err(),
    );
    const r = JSON.parse(c.out());
    assert.deepEqual(
      r.points.map((p: { size: number }) => p.size),
      [1, 2, 4],
    );
    assert.ok(r.points.every((p: { pairs: number }) => p.pairs > 0));
    assert.ok(r.points[0].meanContextUsed <= r.points[2].meanContextUsed);
    const svg = readFileSync(join(dir, 'scaling.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(xmlWellFormed(svg), 'well-formed');
    assert.equal((svg.match(/<circle class="point"/g) ?? []).length, 3);
    assert.equal((svg.match(/class="interval"/g) ?? []).length, 3);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'scaling.json'), 'utf8')).points.length, 3);
  });

  test('--dry-run calls nothing and gives upper bounds', async () => {
    await started;
    const dir = workspaceCopy();
    const before = server.stats.chat;
    const c = cli(dir);
    assert.equal(
      await c.call(
        'bench',
        'run',
        'ws',
        '--methods',
        'default,memory,persona+demos',
        '--models',
        'm1,m2',
        '--base-url',
        server.url,
        '--k',
        '2',
        '--dry-run',
        '--json',
      ),
      0,
      c.err(),
    );
    const r = JSON.parse(c.out());
    assert.equal(r.dryRun, true);
    assert.ok(r.fitCallsAtMost > 0 && r.evalCalls > 0);
    const s = cli(dir);
    assert.equal(
      await s.call('bench', 'scaling', 'ws', '--sizes', '1,2', '--base-url', server.url, '--dry-run', '--json'),
      0,
      s.err(),
    );
    assert.ok(JSON.parse(s.out()).evalCalls > 0);
    assert.equal(server.stats.chat, before, 'no call');
    assert.ok(!existsSync(join(dir, 'ws/personas/m1')));
  });

  test('chart and subsample helpers', () => {
    const ctx = Array.from({ length: 10 }, (_, i) => ({ pairId: `p${i}` }));
    const small = subsampleContext('u', ctx, 3, 0).map((p) => p.pairId);
    const big = subsampleContext('u', ctx, 6, 0).map((p) => p.pairId);
    assert.deepEqual(big.slice(0, 3), small);
    assert.deepEqual(subsampleContext('u', ctx, 3, 0), subsampleContext('u', ctx, 3, 0));
    assert.equal(
      slope([
        { x: 1, y: 50 },
        { x: 2, y: 51 },
        { x: 3, y: 52 },
      ]),
      1,
    );
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    const svg = lineChartSvg({
      title: 'a < b & "c"',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 's<1>', points: [{ x: 1, y: 0.5, low: 0.4, high: 0.6 }] }],
    });
    assert.ok(xmlWellFormed(svg));
    assert.match(svg, /a &lt; b &amp; &quot;c&quot;/);
    assert.ok(!xmlWellFormed('<svg><g></svg>'));
  });
});
