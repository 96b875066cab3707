import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const cli = join(root, 'dist', 'cli.js');

function run(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('synthesizeme inspect', { skip: !existsSync(cli) && 'dist/cli.js not built (npm run build)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'smi-'));
  mkdirSync(join(dir, 'sub'));
  const rows = (u: string, n: number) =>
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ user_id: u, pair_id: `${u}${i}`, context: 'q', chosen: `c${i}`, rejected: `r${i}` }),
    ).join('\n');
  writeFileSync(join(dir, 'a.prefs.jsonl'), rows('ann', 10) + '\n{"user_id": "ann", oops}\n');
  writeFileSync(
    join(dir, 'sub', 'b.prefs.yaml'),
    'bob:\n' +
      Array.from({ length: 6 }, (_, i) => `  - context: q${i}\n    chosen: yes ${i}\n    rejected: no ${i}\n`).join(''),
  );
  writeFileSync(join(dir, 'plain.jsonl'), '{"event": "not a pair"}\n');
  writeFileSync(join(dir, 'sniffed.jsonl'), rows('cat', 5) + '\n');

  test('--json prints exactly one object with the documented shape', () => {
    const r = run(['inspect', '.', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.files, 3, 'plain.jsonl is not a preference file, sniffed.jsonl is');
    assert.equal(out.pairs, 21);
    assert.deepEqual(
      out.users.map((u: { id: string }) => u.id),
      ['ann', 'bob', 'cat'],
    );
    assert.deepEqual(out.users[0].splits, { context: 2, validation: 3, test: 5 });
    const p = out.problems.find((x: { file: string }) => x.file === 'a.prefs.jsonl');
    assert.deepEqual([p.line, p.column], [11, 20]);
    assert.match(p.message, /malformed JSON/);
  });

  test("a workspace's own split settings are read as fit and eval read them; a flag still wins", () => {
    const ws = mkdtempSync(join(tmpdir(), 'smi-settings-'));
    writeFileSync(join(ws, 'a.prefs.jsonl'), rows('ann', 40) + '\n');
    const splitsOf = (args: string[]) =>
      JSON.parse(run(['inspect', '.', '--json', ...args], ws).stdout).users[0].splits;
    const seed7 = splitsOf(['--seed', '7']);
    const ratios = splitsOf(['--splits', '10/10/80']);
    assert.notDeepEqual(splitsOf([]), ratios);
    mkdirSync(join(ws, '.vscode'));
    writeFileSync(join(ws, '.vscode', 'settings.json'), '{"synthesizeme.seed": 7}');
    assert.deepEqual(splitsOf([]), seed7, 'the settings seed is used');
    writeFileSync(join(ws, '.vscode', 'settings.json'), '{"synthesizeme.split.ratios": [10, 10, 80]}');
    assert.deepEqual(splitsOf([]), ratios, 'the settings ratios are used');
    assert.notDeepEqual(splitsOf(['--splits', '50/20/30']), ratios, 'a flag wins over the settings');
  });

  test('paths in output are relative to the current directory', () => {
    const r = run(['inspect', join(dir, 'a.prefs.jsonl'), '--json'], join(dir, 'sub'));
    const out = JSON.parse(r.stdout);
    assert.equal(out.problems[0].file, join('..', 'a.prefs.jsonl'));
  });

  test('human output names users, splits and problems', () => {
    const r = run(['inspect', dir]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /ann\s+10\s+2\s+3\s+5/);
    assert.match(r.stdout, /a\.prefs\.jsonl:11:20: error: malformed JSON/);
  });

  test('a missing path and a bad option exit 2 with one line, no stack', () => {
    for (const args of [
      ['inspect', join(dir, 'nope')],
      ['inspect', dir, '--bogus'],
      ['inspect'],
      ['inspect', dir, '--splits', '1/2'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  test('--help on every command, with an example', () => {
    const r = run(['inspect', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Example:/);
    assert.equal(run(['--help']).code, 0);
  });
});

describe('Ctrl+C during a run', { skip: !existsSync(cli) && 'dist/cli.js not built (npm run build)' }, () => {
  test('stops cleanly, says how to resume, exits 130; the same command then finishes', async () => {
    const { startLoopbackOllama } = await import('../support/loopback-ollama');
    const server = await startLoopbackOllama({ models: ['llama3.1:8b'], latencyMs: 200 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'smc-'));
      cpSync(join(root, 'examples/workspace'), join(dir, 'ws'), { recursive: true });
      const args = [
        cli,
        'eval',
        'ws',
        '--all',
        '--method',
        'default',
        '--base-url',
        server.url,
        '--concurrency',
        '2',
        '--json',
      ];
      const child = spawn(process.execPath, args, { cwd: dir });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      let early: number | null | undefined;
      void exited.then((c) => (early = c));
      // Interrupt once some answers have arrived (bounded: a child that died early fails the test).
      for (let i = 0; i < 500 && server.stats.completed < 4 && early === undefined; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(early, undefined, `the CLI exited before the interrupt: ${stderr}`);
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 130, stderr);
      assert.equal(stdout, '', 'no partial JSON on stdout');
      assert.match(stderr, /run the same command again to resume/);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      server.options.latencyMs = 0;
      // Not spawnSync: the loopback server lives in this process and must keep answering.
      const again = spawn(process.execPath, args, { cwd: dir });
      let out2 = '';
      let err2 = '';
      again.stdout.on('data', (d) => (out2 += d));
      again.stderr.on('data', (d) => (err2 += d));
      const code2 = await new Promise<number | null>((r) => again.on('exit', (c) => r(c)));
      assert.equal(code2, 0, err2);
      const r = JSON.parse(out2);
      assert.equal(r.pairs, 23);
      assert.ok(r.calls < 46, `the resumed run redid finished work: ${r.calls} calls`);
    } finally {
      await server.close();
    }
  });
});
