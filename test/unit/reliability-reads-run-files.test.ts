// A malformed run file is reported at its file and line and skipped (issue 20, medium). Before, a line of
// the wrong shape (`null`, a verdict without its orders) crashed compare, compare --grid and runs with a
// stack. Here each command meets a run file with a bad JSON line, lines of the wrong shape and a truncated
// last line: it finishes (exit 0), says each skipped line as `<file>:<line>: why`, and prints no stack.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { cli, ignoringBrain } from './revalidate-fixture';
import { hostile } from './reliability-reads-fixture';

/** Damages a run file: line 2 bad JSON, lines 4-6 of the wrong shape, a truncated last line. */
function damage(path: string): number[] {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const out = [
    lines[0]!,
    '{not json',
    lines[1]!,
    'null',
    '{"type":"verdict","userId":"ada"}',
    '{"type":"summary","accuracy":"high"}',
    ...lines.slice(2),
    '{"type":"verdict","userId":"ada","pairId":"ada-1","ord',
  ];
  writeFileSync(path, out.join('\n'));
  return [2, 4, 5, 6, out.length];
}

const NO_STACK = /^\s+at .*:\d+:\d+\)?$/m;

describe('a damaged run file', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  const setup = async () => {
    await started;
    const h = hostile();
    const runs: string[] = [];
    for (const method of ['default', 'memory']) {
      const c = cli(h.dir);
      assert.equal(
        await c.run('eval', 'ws', '--user', 'ada', '--method', method, '--base-url', server.url, '--json'),
        0,
        c.err(),
      );
      runs.push(c.json().run as string);
    }
    const bad = damage(join(h.dir, runs[1]!));
    return { h, runs, bad };
  };

  const saysEachLine = (text: string, run: string, bad: number[]) => {
    const at = (n: number) => new RegExp(`${run.replace(/[.+]/g, '\\$&')}:${n}: [^\\n]*line skipped`);
    assert.match(text, at(bad[0]!), 'the bad JSON line');
    for (const n of bad.slice(1, 4)) assert.match(text, at(n), `the line of the wrong shape at ${n}`);
    assert.match(text, new RegExp(`:${bad[4]}: a torn last line`), 'the truncated last line');
  };

  test('compare: finishes, each skipped line said at its file and line, no stack', async () => {
    const { h, runs, bad } = await setup();
    const c = cli(h.dir);
    assert.equal(await c.run('compare', runs[0]!, runs[1]!), 0, c.err());
    saysEachLine(c.err(), runs[1]!, bad);
    assert.doesNotMatch(c.err(), NO_STACK);
    assert.match(c.out(), /B - A:/);
  });

  test('compare --grid: finishes, the skipped lines are among its warnings, no stack', async () => {
    const { h, runs, bad } = await setup();
    const c = cli(h.dir);
    assert.equal(await c.run('compare', '--grid', runs[0]!, runs[1]!), 0, c.err());
    saysEachLine(c.out(), runs[1]!, bad);
    // Also on stderr, in every format: stdout is often a file nobody reads before using it.
    saysEachLine(c.err(), runs[1]!, bad);
    const j = cli(h.dir);
    assert.equal(await j.run('compare', '--grid', runs[0]!, runs[1]!, '--format', 'json'), 0, j.err());
    saysEachLine(j.err(), runs[1]!, bad);
    assert.doesNotMatch(c.err(), NO_STACK);
  });

  test('runs: lists both runs, each skipped line said as a warning, no stack', async () => {
    const { h, runs, bad } = await setup();
    const c = cli(h.dir);
    assert.equal(await c.run('runs', 'ws', '--json'), 0, c.err());
    const listed = (c.json() as { runs: { path: string; status: string }[] }).runs;
    assert.equal(listed.length, 2);
    // The damaged one lost verdicts its summary counted: incomplete, not complete.
    const damaged = listed.find((r) => r.path.endsWith(runs[1]!.split(/[\\/]/).pop()!))!;
    assert.equal(damaged.status, 'incomplete');
    saysEachLine(c.err(), runs[1]!.replace(/^ws[\\/]/, 'ws/'), bad);
    assert.doesNotMatch(c.err(), NO_STACK);
  });

  test('runs: a run file with verdict lines deleted cleanly is incomplete, not complete', async () => {
    const { h, runs } = await setup();
    const path = join(h.dir, runs[0]!);
    const lines = readFileSync(path, 'utf8').split('\n');
    const verdicts = lines.map((l, i) => (l.includes('"verdict"') ? i : -1)).filter((i) => i >= 0);
    writeFileSync(path, lines.filter((_, i) => !verdicts.slice(0, 2).includes(i)).join('\n'));
    const c = cli(h.dir);
    assert.equal(await c.run('runs', 'ws', '--json'), 0, c.err());
    const listed = (c.json() as { runs: { path: string; status: string }[] }).runs.find((r) =>
      r.path.endsWith(runs[0]!.split(/[\\/]/).pop()!),
    )!;
    assert.equal(listed.status, 'incomplete');
  });

  test('a run file whose header is damaged: compare refuses it in one line naming the line, exit 2', async () => {
    const { h, runs } = await setup();
    const path = join(h.dir, runs[0]!);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^[^\n]*/, '{"type":"header","id":7}'));
    const c = cli(h.dir);
    assert.equal(await c.run('compare', runs[0]!, runs[1]!), 2, c.err());
    assert.match(
      c.err(),
      /not a run file \(no header; line 1: a header without its id, method, split, model or users\)/,
    );
    assert.doesNotMatch(c.err(), NO_STACK);
  });
});

test('a file that is no run at all: ten skipped lines said, then how many more, not hundreds', async () => {
  const { runProblemLines } = await import('../../src/core/eval/run-file');
  const problems = Array.from({ length: 350 }, (_, i) => ({ line: i + 1, why: 'not valid JSON' }));
  const lines = runProblemLines('x.run.jsonl', problems);
  assert.equal(lines.length, 11);
  assert.equal(lines[9], 'x.run.jsonl:10: not valid JSON; line skipped');
  assert.equal(lines[10], 'x.run.jsonl: 340 more line(s) skipped (350 in all): is it a run file?');
  assert.equal(runProblemLines('y', problems.slice(0, 3)).length, 3);
});
