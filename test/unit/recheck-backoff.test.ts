// The status bar's re-check schedule while the server is in error: 5 s, doubling to 60 s; none once healthy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecheckBackoff, type Timers } from '../../src/extension/recheck-backoff';

function fakeTimers() {
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    set: (run, ms) => {
      pending.set(++next, { run, ms });
      return next;
    },
    clear: (h) => void pending.delete(h as number),
  };
  const fire = () => {
    const [h, t] = [...pending][0]!;
    pending.delete(h);
    t.run();
  };
  return { timers, pending, fire };
}

test('in error the checks back off from 5 s, doubling to 60 s', () => {
  const t = fakeTimers();
  let checks = 0;
  const b = new RecheckBackoff(() => checks++, 5_000, 60_000, t.timers);
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    b.failed();
    delays.push(b.scheduledMs!);
    assert.equal(t.pending.size, 1, 'one check scheduled at a time');
    t.fire();
  }
  assert.deepEqual(delays, [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  assert.equal(checks, 7);
});

test('healthy: nothing scheduled, and the next error starts from 5 s again; dispose clears the timer', () => {
  const t = fakeTimers();
  const b = new RecheckBackoff(() => undefined, 5_000, 60_000, t.timers);
  b.failed();
  b.failed();
  assert.equal(b.scheduledMs, 10_000);
  b.reset();
  assert.equal(t.pending.size, 0);
  assert.equal(b.scheduledMs, undefined);
  b.failed();
  assert.equal(b.scheduledMs, 5_000);
  b.dispose();
  assert.equal(t.pending.size, 0);
});
