// Exit codes follow the README: 2 for a usage error or bad input, one line without a stack, and the same
// code for the same input however often it is given. Two cases used to break it: an import that found no
// pair wrote an empty file and exited 0, so the same command then exited 2 ("exists"); and `fit --all` on
// a folder without pairs printed "0/0" and exited 0.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'sm-exit-'));
cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
mkdirSync(join(dir, 'empty'));
mkdirSync(join(dir, 'bad'));
writeFileSync(join(dir, 'bad', 'arena.jsonl'), '{not json\n{"also": "not a conversation"}\n');

// The built binary (npm test builds it first): its real exit status and stderr, as a script sees them.
const CLI = resolve('dist/cli.js');

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, err: r.stderr };
}

// A server address nothing listens on: bad input must be refused before any call is tried.
const NOWHERE = ['--base-url', 'http://127.0.0.1:9'];

const BAD_INPUTS: Array<{ args: string[]; says: RegExp }> = [
  {
    args: ['import', '--from', 'arena', 'bad/arena.jsonl', '--out', 'out.prefs.jsonl'],
    says: /no pair could be imported from bad\/arena\.jsonl as arena .*nothing was written/,
  },
  {
    args: ['import', '--from', 'arena', 'nosuch.jsonl', '--out', 'out.prefs.jsonl'],
    says: /cannot read .*nosuch\.jsonl/,
  },
  { args: ['fit', 'empty', '--all', ...NOWHERE], says: /fit: no users in empty/ },
  { args: ['fit', 'ws', '--user', 'nobody', ...NOWHERE], says: /no user "nobody"/ },
  { args: ['eval', 'empty', '--all', '--method', 'default', ...NOWHERE], says: /Nothing was evaluated/ },
  { args: ['eval', 'ws', '--all', '--method', 'nope', ...NOWHERE], says: /unknown method "nope"/ },
  { args: ['judge', 'ws/ada.prefs.jsonl', '--pair', 'nope', ...NOWHERE], says: /no pair "nope"/ },
  { args: ['theta', 'optimize', 'ws', '--budget=-5', ...NOWHERE], says: /--budget: expected/ },
  { args: ['inspect', 'nosuch'], says: /no such file or directory: nosuch/ },
  // collect asks a person: --dry-run (a model option) used to be ignored, generating and appending pairs.
  {
    args: ['collect', 'ws', '--user', 'ada', '--prompt', 'hi', '--dry-run', ...NOWHERE],
    says: /collect: --dry-run does not apply/,
  },
  {
    args: ['collect', 'ws', '--user', 'ada', '--prompt', 'hi', '--file', 'picks.fifo', ...NOWHERE],
    says: /collected pairs are appended to a \.jsonl file or a YAML list of pairs; name a \.jsonl, \.yaml or \.yml file/,
  },
  { args: ['inspect', '/nonexistent-sm-path'], says: /no such file or directory: \/nonexistent-sm-path$/m },
  // A server address the client cannot use is bad input, refused where it is given (it failed every call with a stack).
  {
    args: ['eval', 'ws', '--all', '--method', 'default', '--base-url', 'file:///etc/passwd'],
    says: /--base-url: "file:\/\/\/etc\/passwd" is not an http or https server address/,
  },
  {
    args: ['eval', 'ws', '--all', '--method', 'default', '--base-url', 'http://127.0.0.1:9,ftp://127.0.0.1:1'],
    says: /--base-url: "ftp:\/\/127\.0\.0\.1:1" is not an http or https server address/,
  },
];

describe('bad input: exit 2, one line, the same every time', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const { args, says } of BAD_INPUTS) {
    test(args.slice(0, 4).join(' '), async () => {
      const first = await run(args);
      const second = await run(args);
      assert.equal(first.code, 2, first.err);
      assert.equal(second.code, 2, `the same input the second time: ${second.err}`);
      assert.match(first.err, says);
      assert.doesNotMatch(first.err + second.err, /^\s+at /m, 'no stack trace');
    });
  }

  test('an import that found nothing leaves no file behind', async () => {
    await run(['import', '--from', 'arena', 'bad/arena.jsonl', '--out', 'nothing.prefs.jsonl']);
    assert.equal(existsSync(join(dir, 'nothing.prefs.jsonl')), false);
  });
});
