// The engine's one work pool (src/core/work-pool.ts): bounded concurrency, the first error stops the
// siblings (their signal aborts, nothing further starts) and a cancel stops everything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachInPool } from '../../src/core/work-pool';

/** Work that waits `ms` or until its signal aborts (then throws, as a cancelled model call does). */
const waitOrStop = (ms: number, signal: AbortSignal) =>
  sleep(ms, undefined, { signal }).catch(() => {
    throw Object.assign(new Error('Cancelled.'), { kind: 'aborted' });
  });

test('at most `concurrency` items run at once, and every item runs', async () => {
  let inFlight = 0;
  let most = 0;
  const done: number[] = [];
  await forEachInPool([...Array(10).keys()], { concurrency: 3 }, async (item, signal) => {
    most = Math.max(most, ++inFlight);
    await waitOrStop(5, signal);
    inFlight--;
    done.push(item);
  });
  assert.equal(most, 3);
  assert.deepEqual(
    done.sort((a, b) => a - b),
    [...Array(10).keys()],
  );
});

test('the first error stops the siblings in flight, starts no further item and is the one thrown', async () => {
  const started: number[] = [];
  const stoppedEarly: number[] = [];
  const boom = new Error('server down');
  await assert.rejects(
    forEachInPool([0, 1, 2, 3, 4, 5], { concurrency: 3 }, async (item, signal) => {
      started.push(item);
      if (item === 1) {
        await sleep(5);
        throw boom;
      }
      try {
        await waitOrStop(10_000, signal);
      } catch (err) {
        stoppedEarly.push(item);
        throw err;
      }
    }),
    (err) => err === boom,
  );
  assert.deepEqual(started, [0, 1, 2], 'items 3 to 5 never started');
  assert.deepEqual(stoppedEarly.sort(), [0, 2], 'both siblings in flight were told to stop');
});

test('a cancel stops the items in flight and starts no more; the cancelled call is what is thrown', async () => {
  const cancel = new AbortController();
  const started: number[] = [];
  const run = forEachInPool([0, 1, 2, 3], { concurrency: 2, signal: cancel.signal }, async (item, signal) => {
    started.push(item);
    await waitOrStop(10_000, signal);
  });
  await sleep(5);
  cancel.abort();
  await assert.rejects(run, /Cancelled\./);
  assert.deepEqual(started, [0, 1]);
});

test('a cancel that items noticed quietly still rejects; an already cancelled signal runs nothing', async () => {
  const cancel = new AbortController();
  const quiet = forEachInPool([0, 1], { concurrency: 1, signal: cancel.signal }, async (_item, signal) => {
    await sleep(5);
    if (signal.aborted) return;
  });
  cancel.abort();
  await assert.rejects(quiet, { name: 'AbortError' });
  let ran = 0;
  await assert.rejects(
    forEachInPool([0], { concurrency: 1, signal: cancel.signal }, async () => {
      ran++;
    }),
    { name: 'AbortError' },
  );
  assert.equal(ran, 0);
});

test('no items: resolves at once', async () => {
  await forEachInPool([], { concurrency: 4 }, async () => assert.fail('no work'));
});
