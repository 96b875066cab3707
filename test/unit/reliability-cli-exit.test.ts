// What a script sees from the CLI. `fit --all` used to exit 0 when some users failed (it failed only when
// none was fitted); now one user not fitted is exit 1, with the users and their reasons on stderr. And
// `--json` used to print nothing on stdout when a command failed; now every command prints exactly one
// JSON object there, `{"error": {"message", "kind"?, "exitCode"}}` on a failure.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands/index';
import { cli } from './revalidate-fixture';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';

const MODEL = 'llama3.1:8b';

/** A stand-in judge: a persona for persona synthesis, else a deterministic A or B. */
function brain(req: BrainRequest): string {
  const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
  if ('persona' in props) return JSON.stringify({ reasoning: 'r', persona: 'Prefers short answers.' });
  const text = req.messages.map((m) => m.content).join('\n');
  return JSON.stringify({ reasoning: `looked at ${text.length} chars`, preference: text.length % 2 ? 'A' : 'B' });
}

/**
 * Bruno's persona synthesis is refused (a 400: not retried, and no reason to stop the other users). It is told
 * by the prompts of his context pairs (words only his file has), one of which is among its examples.
 */
const BRUNO_CONTEXT = ['Rome', 'flat on my bike', 'Wi-Fi router', 'job interview', 'pothos', 'mentor'];
const isBrunosPersonaCall = (req: BrainRequest) =>
  'persona' in ((req.schema?.properties ?? {}) as object) &&
  req.messages.some((m) => BRUNO_CONTEXT.some((w) => m.content.includes(w)));

/** stdout of a --json command: exactly one JSON object, on one line. */
function oneObject(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `expected one JSON line on stdout, got: ${JSON.stringify(stdout)}`);
  const value = JSON.parse(lines[0]!) as unknown;
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value));
  return value as Record<string, unknown>;
}

/** The examples workspace plus "tiny", a user with one pair: too small to split, nothing to learn from. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sm-cli-exit-'));
  cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
  writeFileSync(
    join(dir, 'ws', 'tiny.prefs.jsonl'),
    JSON.stringify({
      user_id: 'tiny',
      pair_id: 'tiny-01',
      context: [{ role: 'user', content: 'Hi?' }],
      chosen: 'Hello.',
      rejected: 'Hey there!!!',
    }) + '\n',
  );
  return dir;
}

describe('fit --all with users that fail', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({
    brain,
    models: [MODEL],
    faultFor: (req) =>
      isBrunosPersonaCall(req)
        ? { type: 'server-error', status: 400, message: 'invalid character in prompt' }
        : undefined,
  }).then((s) => (server = s));
  const dirs: string[] = [];
  after(async () => {
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('--json: exit 1, one JSON object listing the failed users, and the reasons on stderr', async () => {
    await started;
    const dir = workspace();
    dirs.push(dir);
    const c = cli(dir);
    const code = await c.call('fit', 'ws', '--all', '--k', '2', '--base-url', server.url, '--json');
    assert.equal(code, 1, c.err());
    const result = oneObject(c.out());
    const fitted = (result.users as { user: string }[]).map((u) => u.user).sort();
    assert.deepEqual(fitted, ['ada', 'chen', 'dana']);
    const failed = result.failed as { user: string; reason: string }[];
    assert.deepEqual(failed.map((f) => f.user).sort(), ['bruno', 'tiny']);
    assert.match(
      failed.find((f) => f.user === 'bruno')!.reason,
      /persona synthesis failed for user "bruno".*invalid character in prompt/,
    );
    assert.match(c.err(), /Not fitted: 2 of 5 user\(s\):/);
    assert.match(c.err(), /^ {2}bruno: persona synthesis failed for user "bruno"/m);
    assert.match(c.err(), /^ {2}tiny: only 1 pairs: too small to split$/m);
  });

  test('text: exit 1 too, the failures on stderr and not among the results; all fitted is 0', async () => {
    await started;
    const dir = workspace();
    dirs.push(dir);
    const c = cli(dir);
    assert.equal(await c.call('fit', 'ws', '--all', '--k', '2', '--base-url', server.url), 1, c.err());
    assert.match(c.out(), /^Fitted 3 of 5 user\(s\)/);
    assert.doesNotMatch(c.out(), /bruno|tiny/);
    assert.match(c.err(), /^ {2}bruno: persona synthesis failed/m);
    assert.match(c.err(), /^ {2}tiny: only 1 pairs/m);
    // Only a failure makes it 1: a user fitted alone is 0.
    const one = cli(dir);
    assert.equal(await one.call('fit', 'ws', '--user', 'ada', '--k', '2', '--base-url', server.url), 0, one.err());
  });
});

describe('--json on a failure: one error object on stdout, for every command', () => {
  let server: LoopbackServer;
  // The server has another model only: every call is Ollama's 404 "model not found", which ends a run.
  const started = startLoopbackOllama({ models: ['some-other-model'] }).then((s) => (server = s));
  after(() => server?.close());

  for (const command of commands) {
    test(`${command.name} --json with a bad option`, async () => {
      const c = cli(tmpdir());
      await assert.rejects(c.call(command.name, '--json', '--no-such-option'));
      const { error } = oneObject(c.out()) as { error: { message: string; exitCode: number; kind?: string } };
      // Commands without a --json option refuse it first: that too is answered in JSON, as asked.
      assert.match(error.message, /Unknown option '--(no-such-option|json)'/);
      assert.equal(error.exitCode, 2);
    });
  }

  test('a failure from the model server keeps its kind and exit code', async () => {
    await started;
    const dir = workspace();
    try {
      for (const argv of [
        ['fit', 'ws', '--user', 'ada', '--k', '2'],
        ['eval', 'ws', '--all', '--method', 'default'],
      ]) {
        const c = cli(dir);
        await assert.rejects(
          c.call(...argv, '--base-url', server.url, '--model', MODEL, '--no-cache', '--json'),
          /ollama pull/,
        );
        const { error } = oneObject(c.out()) as { error: { message: string; exitCode: number; kind?: string } };
        assert.equal(error.kind, 'not-found', argv[0]);
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /ollama pull llama3\.1:8b/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a usage error without a workspace: exit code 2 in the object', async () => {
    const c = cli(tmpdir());
    await assert.rejects(c.call('fit', '--json'));
    const { error } = oneObject(c.out()) as { error: { message: string; exitCode: number; kind?: string } };
    assert.equal(error.exitCode, 2);
    assert.equal(error.kind, undefined);
    assert.match(error.message, /workspace folder/);
  });
});
