// Two `theta optimize` runs on one workspace (issue 20): each would spend a whole budget on the same
// search. The second is refused at once with one line naming the holder, exit 1 like eval's locked run
// (kind run-locked), and sends nothing; the first's lock is gone when it ends, however it ends.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';

describe('theta optimize: one search per workspace', () => {
  let server: LoopbackServer;
  before(async () => {
    // Slow answers: the first search is still running when the second starts.
    server = await startLoopbackOllama({ models: ['llama3.1:8b'], latencyMs: 30 });
  });
  after(() => server?.close());

  test('a second search on the same workspace is refused, naming the holder, and sends nothing', async () => {
    const sim = simulatedWorkspace(1);
    const argv = [
      'theta',
      'optimize',
      'ws',
      '--base-url',
      server.url,
      '--k',
      '1',
      '--budget',
      '300',
      '--json',
      '--allow-few-users',
    ];
    const stop = new AbortController();
    const first = cli(sim.dir, { signal: stop.signal });
    const running = first.call(...argv).catch((err: unknown) => err);
    while (server.stats.chat === 0) await new Promise((r) => setTimeout(r, 5));
    const lockFile = join(sim.ws, '.synthesizeme', 'theta', 'optimize.lock');
    assert.ok(existsSync(lockFile), 'the first search holds no lock');

    const second = cli(sim.dir);
    const refused = await second.call(...argv).then(
      () => assert.fail('the second search ran'),
      (err: { exitCode?: number; kind?: string; message: string }) => err,
    );
    assert.equal(refused.exitCode, 1);
    assert.equal(refused.kind, 'run-locked');
    assert.match(
      refused.message,
      new RegExp(
        `^theta optimize: another Θ search is running on this workspace \\(process ${process.pid} since \\d{4}-`,
      ),
    );
    assert.doesNotMatch(refused.message, /\n/);
    assert.equal(JSON.parse(second.out()).error.kind, 'run-locked');
    // The second search's models sent nothing.
    assert.match(second.err(), /theta: 0 request\(s\) sent to the server/);

    stop.abort(new Error('interrupted'));
    await running;
    assert.ok(!existsSync(lockFile), 'the lock outlived the search');
  });
});
