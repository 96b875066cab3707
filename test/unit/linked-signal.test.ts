// A call's signal linked to its sources by listeners (src/core/linked-signal.ts), not AbortSignal.any(), which leaks
// on Node 20 when a source lives long: the bench `scale` measures the heap; this checks the behaviour.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { linkSignals } from '../../src/core/linked-signal';

describe('linkSignals', () => {
  test('aborts with the reason of whichever source aborts; undefined sources are skipped', () => {
    const run = new AbortController();
    const life = new AbortController();
    const link = linkSignals([run.signal, undefined, life.signal]);
    assert.equal(link.signal.aborted, false);
    life.abort(new Error('disposed'));
    assert.equal(link.signal.aborted, true);
    assert.equal((link.signal.reason as Error).message, 'disposed');
    link.dispose();
  });

  test('a source already aborted gives an aborted signal at once', () => {
    const run = new AbortController();
    run.abort('cancelled');
    const link = linkSignals([run.signal]);
    assert.equal(link.signal.aborted, true);
    assert.equal(link.signal.reason, 'cancelled');
  });

  test('dispose leaves no listener on a long-lived source, however many calls linked to it', () => {
    const life = new AbortController();
    for (let i = 0; i < 1000; i++) linkSignals([life.signal]).dispose();
    assert.equal(getEventListeners(life.signal, 'abort').length, 0);
    const open = linkSignals([life.signal]);
    assert.equal(getEventListeners(life.signal, 'abort').length, 1);
    open.dispose();
    assert.equal(getEventListeners(life.signal, 'abort').length, 0);
  });
});
