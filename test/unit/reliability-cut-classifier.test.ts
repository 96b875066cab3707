// Issue 20, class 6: a classifier call in `bench prepare` that still fails after its retries made its pair
// disappear from the data set, with exit 0. Now the data set is incomplete: exit 1 with a message naming the
// failed calls, nothing written, and a re-run completes it (the calls that came through come from the cache,
// only the failed ones are asked again). Through the CLI in-process, against the loopback Ollama; the failure
// is a 400 (not retried, so that the test does not wait out the back-off of retryable ones).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { arenaJsonl, benchBrain } from './bench-fixtures';
import { cli } from './revalidate-fixture';

const isClassifierCall = (req: BrainRequest) =>
  req.model === 'classifier' && 'personalizable' in ((req.schema?.properties ?? {}) as object);

describe('bench prepare with classifier calls that fail', () => {
  let server: LoopbackServer;
  let failing = 0;
  const started = startLoopbackOllama({
    brain: benchBrain,
    models: ['classifier', 'j1', 'j2'],
    faultFor: (req) =>
      isClassifierCall(req) && failing-- > 0
        ? { type: 'server-error', status: 400, message: 'the runner crashed' }
        : undefined,
  }).then((s) => (server = s));
  after(() => server?.close());

  const prepare = async (dir: string) => {
    const c = cli(dir);
    const argv = [
      'bench',
      'prepare',
      '--base-url',
      server.url,
      '--model',
      'classifier',
      '--min-pairs',
      '3',
      '--arena',
      'arena.jsonl',
      '--judges',
      'j1,j2',
      '--out',
      'out/arena.prefs.jsonl',
      '--json',
    ];
    // An expected error leaves runCli (main prints it and exits with its code): run gives the error's exit code.
    const code = await c.run(...argv);
    return { code, out: c.out(), err: c.err() };
  };

  test('exit 1, nothing written; a re-run asks only the failed calls again and completes the data set', async () => {
    await started;
    const dir = mkdtempSync(join(tmpdir(), 'sm-bench-cut-'));
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    failing = 2;
    const first = await prepare(dir);
    assert.equal(first.code, 1, first.err);
    assert.match(
      first.out + first.err,
      /2 of 22 personalizable classifier call\(s\) failed after their retries \(first: pair .* the runner crashed\); the data set would be incomplete, so nothing was written: run the same command again/,
    );
    assert.equal(existsSync(join(dir, 'out', 'arena.prefs.jsonl')), false);
    // No judge voted on an incomplete classification.
    assert.equal(server.chats.filter((c) => c.request.model !== 'classifier').length, 0);

    server.reset();
    const again = await prepare(dir);
    assert.equal(again.code, 0, again.err);
    assert.equal(server.chats.filter((c) => isClassifierCall(c.request)).length, 2);
    const r = JSON.parse(again.out);
    // The complete data set: the same as a run without failures (bench-prepare.test.ts, Arena).
    assert.equal(r.records, 12);
    assert.equal(r.report.classifier.failed, 0);
    assert.ok(existsSync(join(dir, 'out', 'arena.prefs.jsonl')));
  });
});
