// What the CLI says around a run (issue 23): eval --table keeps the plain format's warning and call count, a
// cancelled fit's hint is the command as given (server and model included), eval --no-cache on a finished run
// says it reused the run, and compare names a missing file as missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cli, ignoringBrain, workspace } from './revalidate-fixture';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { commandLine } from '../../src/cli/run-context';

describe('CLI orientation', () => {
  let server: LoopbackServer;
  let dir: string;
  let stop: AbortController | undefined;
  before(async () => {
    ({ dir } = workspace());
    server = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      brain: (req) => {
        stop?.abort();
        return ignoringBrain(req);
      },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const model = () => ['--provider', 'ollama', '--base-url', server.url, '--model', 'llama3.1:8b'];

  test('eval --table: the table on stdout, the small-sample warning and the call count beside it', async () => {
    const c = cli(dir);
    assert.equal(await c.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--table', ...model()), 0, c.err());
    assert.match(c.out(), /^\|/m, 'a Markdown table');
    assert.doesNotMatch(c.out(), /warning|call\(s\)/, 'the table stays a table');
    assert.match(c.err(), /warning: default: only \d+ pair\(s\): an accuracy over so few pairs says little/);
    assert.match(c.err(), /\d+ call\(s\), \d+ from cache; \d+ request\(s\) sent to the server/);
  });

  test('eval --no-cache on a finished run: says it reused the run, made 0 calls, and how to judge again', async () => {
    const c = cli(dir);
    assert.equal(
      await c.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--no-cache', ...model()),
      0,
      c.err(),
    );
    assert.match(c.err(), /--no-cache reads no cached answer, but default reused \d+ pair\(s\) already judged/);
    assert.match(c.err(), /the finished run/);
    assert.match(c.err(), /0 call\(s\) made\. To judge again, give a new --label/);
  });

  test('a cancelled fit prints the command as given: server, model and every option kept', async () => {
    stop = new AbortController();
    const c = cli(dir, { signal: stop.signal });
    const code = await c.run('fit', 'ws', '--user', 'ada', ...model(), '--temperature', '0.3', '--concurrency', '1');
    stop = undefined;
    assert.notEqual(code, 0);
    const hint = /resume:\n {2}(.*)\n/.exec(c.err())?.[1] ?? '';
    assert.equal(
      hint,
      `synthesizeme fit ws --user ada --provider ollama --base-url ${server.url} --model llama3.1:8b ` +
        '--temperature 0.3 --concurrency 1',
      c.err(),
    );
  });

  test('the hint builder quotes what a shell would split', () => {
    const args = {
      positionals: ['my ws'],
      values: { label: "it's new", all: true, 'base-url': ['http://a', 'http://b'] },
    };
    assert.equal(
      commandLine('eval', args),
      `synthesizeme eval 'my ws' --label 'it'\\''s new' --all --base-url http://a --base-url http://b`,
    );
  });

  test('compare with a path that matches no file says the file does not exist', async () => {
    const c = cli(dir);
    assert.equal(await c.run('compare', 'nope-a.run.jsonl', 'nope-b.run.jsonl'), 2);
    assert.match(c.err(), /compare: no such file: nope-a\.run\.jsonl/);
    assert.doesNotMatch(c.err(), /no header/);
  });
});
