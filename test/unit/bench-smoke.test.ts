// The one place the tests run the benchmarks: `npm run bench -- --smoke` (the built dist/bench.js, as `npm run
// bench` runs it), every bench at tiny sizes. Nothing else ran the benches, and one of them broke unseen when
// the write guard landed. The figures of a smoke run mean nothing and are not asserted: each bench must
// run to its end (or say in one line that its tool is absent here), and the `--json` line of the stats bench
// must keep its shape, since scripts read it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const BENCH = resolve('dist/bench.js');
/** Far above the smoke run's time (under a minute alone on two cores): only a hang reaches it. */
const HANG_MS = 8 * 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runSmoke(): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--expose-gc', BENCH, '--smoke', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Each bench's lines, by name: from its `--- NAME (smoke)` header to its closing `--- NAME: ...` line. */
function stepsOf(stdout: string): Map<string, { lines: string[]; closing?: string }> {
  const steps = new Map<string, { lines: string[]; closing?: string }>();
  let current: { lines: string[]; closing?: string } | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^--- (\S+) \(smoke\)$/.exec(line);
    const closing = /^--- (\S+): (.*)$/.exec(line);
    if (header) steps.set(header[1]!, (current = { lines: [] }));
    else if (closing && steps.get(closing[1]!) === current && current) {
      current.closing = closing[2];
      current = undefined;
    } else current?.lines.push(line);
  }
  return steps;
}

function assertStatsJson(lines: string[]): void {
  const out = JSON.parse(lines.filter((l) => l.trim()).at(-1)!) as {
    accuracy: { pairs: number; users: number; coverage: number }[];
    difference: { scenario: string; p_below_05: number; significant: number; coverage: number }[];
  };
  for (const pairs of [3, 5, 10, 20]) {
    assert.ok(
      out.accuracy.some((r) => r.pairs === pairs && r.users === 1),
      `single user at ${pairs} pairs`,
    );
  }
  assert.ok(out.accuracy.every((r) => r.coverage >= 0 && r.coverage <= 1));
  assert.deepEqual(
    out.difference.map((r) => r.scenario),
    ['null', 'null-heterogeneous', 'plus5-shared', 'plus5-unshared'],
  );
  for (const r of out.difference) {
    for (const k of ['p_below_05', 'significant', 'coverage'] as const)
      assert.ok(r[k] >= 0 && r[k] <= 1, `${r.scenario} ${k}`);
  }
}

test('npm run bench -- --smoke: every bench runs to its end at tiny sizes', async (t) => {
  assert.ok(
    existsSync(BENCH),
    `${BENCH} is not built: node esbuild.mjs builds it (test/run-tests.mjs does, before the unit tests)`,
  );
  const run = await runSmoke();
  const tail = `\n--- the run's last lines:\n${(run.stdout + run.stderr).trim().split('\n').slice(-40).join('\n')}`;
  const steps = stepsOf(run.stdout);
  assert.ok(steps.size >= 10, `only ${steps.size} benches started${tail}`);
  for (const [name, step] of steps) {
    const skipped = /^skipped \((.*)\)$/.exec(step.closing ?? '')?.[1];
    await t.test(name, { skip: skipped ?? false }, () => {
      assert.match(step.closing ?? 'no closing line', /^done in /, `the ${name} bench did not finish${tail}`);
      if (name === 'stats') assertStatsJson(step.lines);
    });
  }
  assert.match(run.stdout, /^bench --smoke: \d+ ran, \d+ skipped.*, 0 failed in /m, tail);
  assert.equal(run.code, 0, tail);
});
