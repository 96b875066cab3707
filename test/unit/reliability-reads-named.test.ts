// Files named on the command line by commands that open no workspace of their own (judge, classify, export,
// compare, compare --grid, bench run --theta, import): a path inside a workspace may be a planted link, and
// following it out would print or send another file (issue 20, class 1, found by the re-probe). The workspace
// the file lies in is registered first, so such a link is refused; a FIFO or a device is refused by kind.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { ignoringBrain } from './revalidate-fixture';
import {
  SECRET,
  assertNothingSent,
  assertOneLine,
  hostile,
  linkOut,
  personaText,
  unblockFifoLater,
  runIn,
} from './reliability-reads-fixture';

/** A run file whose reasoning carries the secret: what a planted link would make compare print. */
function runFileText(id: string): string {
  const header = {
    type: 'header',
    id,
    method: 'default',
    split: 'test',
    provider: 'ollama',
    model: 'm',
    created: '2026-01-01T00:00:00.000Z',
    users: ['ada'],
    inputs: {},
    seed: 0,
    temperature: 0,
  };
  const verdict = {
    type: 'verdict',
    userId: 'ada',
    pairId: 'ada-0',
    file: 'prefs.jsonl',
    line: 1,
    orders: [
      { order: 'AB', preference: 'A', correct: true, reasoning: SECRET },
      { order: 'BA', preference: 'B', correct: true, reasoning: SECRET },
    ],
  };
  return [header, verdict].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

describe('files named on the command line inside a workspace: a planted link is not followed out', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: ignoringBrain }).then((s) => (server = s));
  after(() => server?.close());

  const run = (dir: string, ...args: string[]) => runIn(dir, args);

  test('judge and classify: a preference file linked out of its folder is refused, nothing sent', async () => {
    await started;
    const h = hostile();
    const pair = JSON.stringify({
      user_id: 'eve',
      pair_id: 'e1',
      context: `${SECRET} hello`,
      chosen: 'a',
      rejected: 'b',
    });
    linkOut(h, 'eve.prefs.jsonl', pair + '\n');
    server.reset();
    for (const args of [
      ['judge', 'ws/eve.prefs.jsonl', '--line', '1'],
      ['classify', 'ws/eve.prefs.jsonl'],
    ]) {
      const r = await run(h.dir, ...args, '--base-url', server.url);
      assert.equal(r.code, 2, `${args[0]}: ${r.err}`);
      assertOneLine(
        r.err,
        /refusing to read .*eve\.prefs\.jsonl: .*eve\.prefs\.jsonl is a symbolic link to .*, outside the workspace/,
      );
    }
    assert.equal(server.chats.length, 0);
    assertNothingSent(server);
  });

  test('export: a persona file linked out of the workspace is refused, nothing printed', async () => {
    const h = hostile();
    mkdirSync(join(h.ws, 'personas'), { recursive: true });
    linkOut(h, 'personas/ada.persona.yaml', personaText('ada'));
    for (const as of [
      ['--as', 'judge'],
      ['--as', 'generation', '--persona-only'],
    ]) {
      const r = await run(h.dir, 'export', 'ws/personas/ada.persona.yaml', ...as);
      assert.equal(r.code, 2, r.err);
      assert.doesNotMatch(r.out, new RegExp(SECRET));
      assertOneLine(r.err, /refusing to read .*ada\.persona\.yaml.* is a symbolic link to/);
    }
  });

  test('compare and compare --grid: a run file linked out of the workspace is refused, nothing printed', async () => {
    const h = hostile();
    mkdirSync(join(h.ws, '.synthesizeme', 'runs'), { recursive: true });
    writeFileSync(
      join(h.ws, '.synthesizeme', 'runs', 'a.run.jsonl'),
      runFileText('a').replace(new RegExp(SECRET, 'g'), 'fine'),
    );
    linkOut(h, '.synthesizeme/runs/b.run.jsonl', runFileText('b'));
    for (const args of [[], ['--grid', '--format', 'csv'], ['--grid', '--format', 'json']]) {
      const r = await run(
        h.dir,
        'compare',
        ...args,
        'ws/.synthesizeme/runs/a.run.jsonl',
        'ws/.synthesizeme/runs/b.run.jsonl',
      );
      assert.equal(r.code, 2, `compare ${args.join(' ')}: ${r.err}`);
      assert.doesNotMatch(r.out, new RegExp(SECRET));
      assertOneLine(r.err, /refusing to read .*b\.run\.jsonl.* is a symbolic link to/);
    }
  });

  test('bench run --theta: a candidate linked out, a FIFO or a device is refused before any call', async () => {
    await started;
    const h = hostile();
    const candidates = join(h.ws, '.synthesizeme', 'theta', 'r', 'candidates');
    mkdirSync(candidates, { recursive: true });
    linkOut(h, '.synthesizeme/theta/r/candidates/007.prompt.md', `Write a persona. ${SECRET}`);
    execFileSync('mkfifo', [join(candidates, 'fifo.prompt.md')]);
    unblockFifoLater(join(candidates, 'fifo.prompt.md'));
    symlinkSync('/dev/zero', join(candidates, 'zero.prompt.md'));
    server.reset();
    const cases: [string, RegExp][] = [
      ['007.prompt.md', /--theta: refusing to read .*007\.prompt\.md.* is a symbolic link to/],
      [
        'fifo.prompt.md',
        /--theta: refusing to read .*fifo\.prompt\.md: a named pipe \(FIFO\), not a regular file: not opened/,
      ],
      [
        'zero.prompt.md',
        /--theta: refusing to read .*zero\.prompt\.md: a symbolic link to a character device, not a regular file: not opened/,
      ],
    ];
    for (const [name, says] of cases) {
      const r = await run(
        h.dir,
        'bench',
        'run',
        'ws',
        '--methods',
        'persona',
        '--theta',
        `ws/.synthesizeme/theta/r/candidates/${name}`,
        '--base-url',
        server.url,
      );
      assert.equal(r.code, 2, `${name}: ${r.err}`);
      assertOneLine(r.err, says);
    }
    assert.equal(server.chats.length, 0);
  });

  test('import: a FIFO or a device as input is refused by kind, never opened', async () => {
    const h = hostile();
    execFileSync('mkfifo', [join(h.dir, 'rows.jsonl')]);
    unblockFifoLater(join(h.dir, 'rows.jsonl'));
    for (const [from, input] of [
      ['hh', 'rows.jsonl'],
      ['arena', 'rows.jsonl'],
      ['arena', '/dev/zero'],
    ] as const) {
      const r = await run(h.dir, 'import', '--from', from, input, '--out', 'out.prefs.jsonl');
      assert.equal(r.code, 2, `${from} ${input}: ${r.err}`);
      assertOneLine(r.err, /cannot read .*(a named pipe \(FIFO\)|a character device), not a regular file/);
    }
  });

  // The second re-probe: links reached through a folder link, a folder that looks like a workspace, prompt
  // options and bench prepare inputs.
  test('a folder link inside the workspace (to a folder that looks like a workspace) does not make its target trusted', async () => {
    await started;
    const h = hostile();
    const other = join(h.outside, 'other-project');
    mkdirSync(join(other, 'personas'), { recursive: true });
    mkdirSync(join(other, '.synthesizeme', 'runs'), { recursive: true });
    writeFileSync(join(other, 'personas', 'ada.persona.yaml'), personaText('ada'));
    writeFileSync(join(other, '.synthesizeme', 'runs', 'x.run.jsonl'), runFileText('x'));
    writeFileSync(
      join(other, 'eve.prefs.jsonl'),
      JSON.stringify({ user_id: 'eve', pair_id: 'e1', context: `${SECRET} hi`, chosen: 'a', rejected: 'b' }) + '\n',
    );
    symlinkSync(other, join(h.ws, 'evil'));
    mkdirSync(join(h.ws, 'personas'), { recursive: true }); // the workspace looks like one too
    server.reset();
    const cases: string[][] = [
      ['export', 'ws/evil/personas/ada.persona.yaml', '--as', 'judge'],
      ['compare', 'ws/evil/.synthesizeme/runs/x.run.jsonl', 'ws/evil/.synthesizeme/runs/x.run.jsonl'],
      ['classify', 'ws/evil/eve.prefs.jsonl', '--base-url', server.url],
      ['judge', 'ws/evil/eve.prefs.jsonl', '--line', '1', '--base-url', server.url],
      [
        'judge',
        'ws/prefs.jsonl',
        '--line',
        '1',
        '--persona',
        'ws/evil/personas/ada.persona.yaml',
        '--base-url',
        server.url,
      ],
    ];
    for (const args of cases) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.slice(0, 2).join(' ')}: ${r.err}`);
      assert.doesNotMatch(r.out, new RegExp(SECRET));
      assertOneLine(r.err, /refusing to read .*evil is a symbolic link to/);
    }
    assert.equal(server.chats.length, 0);
  });

  test('judge in a folder that is itself a link: its target is not taken for the workspace, nothing written there', async () => {
    await started;
    const h = hostile();
    writeFileSync(
      join(h.outside, 'eve.prefs.jsonl'),
      JSON.stringify({ user_id: 'eve', pair_id: 'e1', context: `${SECRET} hi`, chosen: 'a', rejected: 'b' }) + '\n',
    );
    symlinkSync(h.outside, join(h.ws, 'eve'));
    server.reset();
    const r = await run(h.dir, 'judge', 'ws/eve/eve.prefs.jsonl', '--line', '1', '--base-url', server.url);
    assert.equal(r.code, 2, r.err);
    assert.equal(server.chats.length, 0);
    assert.equal(existsSync(join(h.outside, 'prompts')), false, 'nothing written in the outside folder');
  });

  test('classify --prompt and bench prepare inputs: a planted link is refused, a FIFO refused by kind, nothing sent', async () => {
    await started;
    const h = hostile();
    linkOut(h, 'c.prompt.md', `Classify. ${SECRET}`);
    linkOut(
      h,
      'eve.prefs.jsonl',
      JSON.stringify({ user_id: 'eve', pair_id: 'e1', context: `${SECRET} hi`, chosen: 'a', rejected: 'b' }) + '\n',
    );
    execFileSync('mkfifo', [join(h.ws, 'f.prompt.md')]);
    unblockFifoLater(join(h.ws, 'f.prompt.md'));
    const outDir = mkdtempSync(join(tmpdir(), 'sm-named-out-'));
    server.reset();
    const cases: [string[], RegExp][] = [
      [
        ['classify', 'ws/prefs.jsonl', '--prompt', 'ws/c.prompt.md'],
        /--prompt: refusing to read .*c\.prompt\.md is a symbolic link to/,
      ],
      [
        ['classify', 'ws/prefs.jsonl', '--prompt', 'ws/f.prompt.md'],
        /--prompt: refusing to read .*f\.prompt\.md: a named pipe \(FIFO\)/,
      ],
      // --out in a folder of its own: a chosen output folder is trusted, and it must not hold the outside file.
      [
        ['bench', 'prepare', '--prefs', 'ws/eve.prefs.jsonl', '--out', join(outDir, 'bp.prefs.jsonl')],
        /bench prepare: refusing to read .*eve\.prefs\.jsonl is a symbolic link to/,
      ],
      [
        ['import', '--from', 'prb', 'ws/eve.prefs.jsonl', '--out', join(outDir, 'imp.prefs.jsonl')],
        /import: refusing to read .*eve\.prefs\.jsonl is a symbolic link to/,
      ],
    ];
    for (const [args, says] of cases) {
      const r = await run(h.dir, ...args, ...(args[0] === 'import' ? [] : ['--base-url', server.url]));
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, says);
    }
    assert.equal(server.chats.length, 0);
    assert.equal(existsSync(join(outDir, 'imp.prefs.jsonl')), false);
  });

  // The third re-probe: a link to a folder above a workspace-like folder, and a link two levels above the file.
  test('a link anywhere on the way to a named file, out of the folder that holds it, is refused; one within its folder is followed', async () => {
    await started;
    const h = hostile();
    const o5 = join(h.outside, 'o5');
    mkdirSync(join(o5, 'personas'), { recursive: true });
    mkdirSync(join(o5, 'prompts'), { recursive: true });
    writeFileSync(join(o5, 'personas', 'ada.persona.yaml'), personaText('ada'));
    writeFileSync(
      join(o5, 'eve2.prefs.jsonl'),
      JSON.stringify({ user_id: 'eve', pair_id: 'e1', context: `${SECRET} hi`, chosen: 'a', rejected: 'b' }) + '\n',
    );
    writeFileSync(
      join(h.outside, 'eve3.prefs.jsonl'),
      JSON.stringify({ user_id: 'eve', pair_id: 'e1', context: `${SECRET} hi`, chosen: 'a', rejected: 'b' }) + '\n',
    );
    symlinkSync(h.outside, join(h.ws, 'o'));
    symlinkSync('..', join(h.ws, 'up'));
    mkdirSync(join(h.ws, 'personas'), { recursive: true });
    server.reset();
    const cases: string[][] = [
      ['export', 'ws/o/o5/personas/ada.persona.yaml', '--as', 'judge'],
      [
        'judge',
        'ws/prefs.jsonl',
        '--line',
        '1',
        '--persona',
        'ws/o/o5/personas/ada.persona.yaml',
        '--base-url',
        server.url,
      ],
      ['judge', 'ws/o/o5/eve2.prefs.jsonl', '--line', '1', '--base-url', server.url],
      ['classify', 'ws/o/o5/eve2.prefs.jsonl', '--base-url', server.url],
      ['judge', 'ws/o/eve3.prefs.jsonl', '--line', '1', '--base-url', server.url],
      ['judge', 'ws/up/outside/eve3.prefs.jsonl', '--line', '1', '--base-url', server.url],
    ];
    for (const args of cases) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.slice(0, 2).join(' ')}: ${r.err}`);
      assert.doesNotMatch(r.out, new RegExp(SECRET));
      assertOneLine(
        r.err,
        /refusing to read .*ws[\\/](o|up) is a symbolic link to .*followed only within the folder that holds it/,
      );
    }
    assert.equal(server.chats.length, 0);
    assert.equal(existsSync(join(o5, '.synthesizeme')), false, 'nothing written in the outside folder');
    // A link within its own folder (a data set's `current -> v2`) is followed.
    mkdirSync(join(h.ws, 'v2'));
    writeFileSync(
      join(h.ws, 'v2', 'a.prefs.jsonl'),
      JSON.stringify({ user_id: 'ada', pair_id: 'a1', context: 'q?', chosen: 'yes', rejected: 'no' }) + '\n',
    );
    symlinkSync('v2', join(h.ws, 'current'));
    const ok = await run(h.dir, 'judge', 'ws/current/a.prefs.jsonl', '--line', '1', '--base-url', server.url);
    assert.equal(ok.code, 0, ok.err);
  });

  test('judge --dry-run calls nothing and writes nothing', async () => {
    await started;
    const h = hostile();
    server.reset();
    const r = await run(h.dir, 'judge', 'ws/prefs.jsonl', '--line', '1', '--dry-run', '--base-url', server.url);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Dry run: judging pair \S+ makes 2 call\(s\)/);
    assert.equal(server.chats.length, 0);
    assert.equal(existsSync(join(h.ws, 'prompts')), false);
    assert.equal(existsSync(join(h.ws, '.synthesizeme')), false);
  });

  // The fourth re-probe: a workspace folder named through a planted link became the workspace, so fit, eval,
  // collect, revalidate and bench run sent the outside project's data to the model and wrote into it.
  test('a workspace folder named through a link out of the folder that holds it is refused, nothing sent or written', async () => {
    await started;
    const h = hostile();
    const o6 = join(h.outside, 'o6');
    mkdirSync(join(o6, 'prompts'), { recursive: true });
    const pairs = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        user_id: 'eve',
        pair_id: `e${i}`,
        context: `${SECRET} question ${i}`,
        chosen: `short ${i}`,
        rejected: `a long answer ${i}`,
      }),
    );
    writeFileSync(join(o6, 'eve.prefs.jsonl'), pairs.join('\n') + '\n');
    writeFileSync(join(o6, 'prompts', 'judge.prompt.md'), `${SECRET} judge instructions`);
    symlinkSync(h.outside, join(h.ws, 'o'));
    symlinkSync(o6, join(h.ws, 'o6'));
    mkdirSync(join(h.ws, 'personas'), { recursive: true });
    writeFileSync(join(h.ws, 'personas', 'ada.persona.yaml'), personaText('ada', 'Prefers short answers.'));
    server.reset();
    const cases: string[][] = [
      ['fit', 'ws/o/o6', '--user', 'eve', '--base-url', server.url],
      ['fit', 'ws/o6', '--user', 'eve', '--base-url', server.url],
      ['eval', 'ws/o/o6', '--all', '--method', 'default', '--base-url', server.url],
      ['bench', 'run', 'ws/o/o6', '--methods', 'default', '--base-url', server.url],
      ['collect', 'ws/o/o6', '--user', 'eve', '--prompt', 'hi', '--max', '1', '--base-url', server.url],
      ['runs', 'ws/o/o6'],
      ['inspect', 'ws/o/o6'],
      ['inspect', 'ws/o/o6/eve.prefs.jsonl'],
      ['export', 'ws/personas/ada.persona.yaml', '--as', 'judge', '--workspace', 'ws/o/o6'],
    ];
    for (const args of cases) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.slice(0, 3).join(' ')}: ${r.err}`);
      assert.doesNotMatch(r.out, new RegExp(SECRET));
      assertOneLine(
        r.err,
        /refusing to use .* as (the workspace|an input): .*ws[\\/]o6? is a symbolic link to .*name the folder it points to instead/,
      );
    }
    assert.equal(server.chats.length, 0);
    for (const written of ['personas', '.synthesizeme'])
      assert.equal(existsSync(join(o6, written)), false, `nothing written in the outside folder (${written})`);
  });

  // The fifth re-probe: cache clear and prune deleted or rewrote another project's cache reached through a
  // planted link (named, by --cache-dir, or by the workspace's own cacheDir setting), and eval wrote there.
  test('cache clear, prune and stats, and --cache-dir, never reach a cache through a planted link', async () => {
    await started;
    const h = hostile();
    const otherCache = join(h.outside, 'o7', '.synthesizeme', 'cache');
    mkdirSync(otherCache, { recursive: true });
    const segment = join(otherCache, 'segment-000001.jsonl');
    writeFileSync(segment, `{"k":"x","v":"${SECRET}"}\n`);
    symlinkSync(h.outside, join(h.ws, 'o'));
    const cases: [string[], RegExp][] = [
      [['cache', 'clear', 'ws/o/o7'], /refusing to use .* as the workspace: .*ws[\\/]o is a symbolic link/],
      [['cache', 'prune', 'ws/o/o7', '--model', 'm'], /refusing to use .* as the workspace/],
      [
        ['cache', 'clear', 'ws', '--cache-dir', 'ws/o/o7/.synthesizeme/cache'],
        /refusing to use .* as the cache folder: .*ws[\\/]o is a symbolic link/,
      ],
      [
        [
          'eval',
          'ws',
          '--all',
          '--method',
          'default',
          '--cache-dir',
          'ws/o/o7/.synthesizeme/cache',
          '--base-url',
          server.url,
        ],
        /refusing to use .* as the cache folder/,
      ],
    ];
    for (const [args, says] of cases) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, says);
    }
    // Planted by the workspace alone: its own settings name the cache through the link.
    mkdirSync(join(h.ws, '.vscode'), { recursive: true });
    writeFileSync(
      join(h.ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'synthesizeme.cacheDir': 'o/o7/.synthesizeme/cache' }),
    );
    for (const action of ['clear', 'stats']) {
      const r = await run(h.dir, 'cache', action, 'ws');
      assert.equal(r.code, 2, `cache ${action}: ${r.err}`);
      assertOneLine(r.err, /refusing to (read|write) .*cache.* is a symbolic link to/);
    }
    assert.equal(existsSync(segment), true, "the other project's cache is still there");
    assert.equal(existsSync(join(h.outside, 'newcache')), false);
  });

  // The sixth re-probe: --out and --report wrote through a planted link (and overwrote with --force).
  test('an output named on the command line through a planted link is refused, nothing written outside', async () => {
    const h = hostile();
    symlinkSync(h.outside, join(h.ws, 'o'));
    writeFileSync(join(h.ws, 'arena.jsonl'), '');
    writeFileSync(join(h.outside, 'keep.prefs.jsonl'), 'untouched\n');
    const cases: string[][] = [
      ['import', '--from', 'arena', 'ws/arena.jsonl', '--out', 'ws/o/x.prefs.jsonl'],
      ['import', '--from', 'arena', 'ws/arena.jsonl', '--out', 'ws/o/keep.prefs.jsonl', '--force'],
      ['bench', 'prepare', '--arena', 'ws/arena.jsonl', '--out', 'ws/o/p.prefs.jsonl'],
      ['bench', 'scaling', 'ws', '--sizes', '2,4', '--out', 'ws/o/s.svg'],
    ];
    for (const args of cases) {
      const r = await run(h.dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assertOneLine(r.err, /refusing to use .* as an output file: .*ws[\\/]o is a symbolic link to/);
    }
    assert.deepEqual(readdirSync(h.outside).sort(), ['keep.prefs.jsonl']);
    assert.equal(readFileSync(join(h.outside, 'keep.prefs.jsonl'), 'utf8'), 'untouched\n');
    const r = await run(h.dir, 'bench', 'run', 'ws', '--methods', 'default', '--report', 'r.md');
    assert.equal(r.code, 2, r.err);
    assertOneLine(r.err, /bench run: --report applies to bench prepare/);
  });

  // The seventh re-probe: refusals that came only after the work (bench prepare --report, fit with its
  // persona or history folder linked out, collect with its log folder linked out), and bench run --out ignored.
  test('outputs and the workspace folders a run writes are checked before any call', async () => {
    await started;
    const h = hostile();
    symlinkSync(h.outside, join(h.ws, 'o'));
    writeFileSync(join(h.ws, 'arena.jsonl'), '');
    server.reset();
    const early = await run(
      h.dir,
      'bench',
      'prepare',
      '--arena',
      'ws/arena.jsonl',
      '--out',
      'p.prefs.jsonl',
      '--report',
      'ws/o/r.md',
      '--base-url',
      server.url,
    );
    assert.equal(early.code, 2, early.err);
    assert.equal(existsSync(join(h.dir, 'p.prefs.jsonl')), false, 'nothing prepared before the refusal');
    const out = await run(
      h.dir,
      'bench',
      'run',
      'ws',
      '--methods',
      'default',
      '--out',
      'r.md',
      '--base-url',
      server.url,
    );
    assert.equal(out.code, 2, out.err);
    assertOneLine(out.err, /bench run: --out applies to bench prepare and bench scaling/);
    // A persona history folder and the collect log folder linked out of the workspace (a workspace of its own:
    // bench prepare's --out above made its folder, which holds the outside one here, a chosen output folder).
    const h2 = hostile();
    await checkFoldersFirst(h2);
  });

  async function checkFoldersFirst(h: ReturnType<typeof hostile>): Promise<void> {
    server.reset();
    mkdirSync(join(h.outside, 'history'), { recursive: true });
    mkdirSync(join(h.ws, '.synthesizeme'), { recursive: true });
    symlinkSync(join(h.outside, 'history'), join(h.ws, '.synthesizeme', 'history'));
    const fit = await run(h.dir, 'fit', 'ws', '--user', 'ada', '--base-url', server.url);
    assert.equal(fit.code, 2, fit.err);
    assertOneLine(fit.err, /refusing to write .*history.* is a symbolic link to/);
    mkdirSync(join(h.outside, 'collect'), { recursive: true });
    symlinkSync(join(h.outside, 'collect'), join(h.ws, '.synthesizeme', 'collect'));
    writeFileSync(
      join(h.dir, 'pp.jsonl'),
      JSON.stringify({ prompt: 'Q?', response_1: 'one', response_2: 'two', answer: '1' }) + '\n',
    );
    const before = readFileSync(join(h.ws, 'prefs.jsonl'), 'utf8');
    const collect = await run(
      h.dir,
      'collect',
      'ws',
      '--user',
      'ada',
      '--pairs-from',
      'pp.jsonl',
      '--base-url',
      server.url,
    );
    assert.equal(collect.code, 2, collect.err);
    assertOneLine(collect.err, /refusing to write .*collect.* is a symbolic link to/);
    assert.equal(readFileSync(join(h.ws, 'prefs.jsonl'), 'utf8'), before, 'no pick appended without its log');
    assert.equal(server.chats.length, 0, 'no call before the refusals');
  }
});
