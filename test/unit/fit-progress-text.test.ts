// Fit progress reads as words ("fitting bruno: judging context pairs 4/8"), not phase ids, and the
// message never repeats the user the run's title names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIT_PHASE_NAMES, fitProgressText } from '../../src/core/method/fit';

test('each phase has a readable name', () => {
  assert.deepEqual(FIT_PHASE_NAMES, {
    bootstrap: 'judging context pairs',
    select: 'choosing demonstrations',
    persona: 'writing the persona',
    'bootstrap-persona': 'judging context pairs with the persona',
    'select-persona': 'choosing demonstrations with the persona',
  });
});

test('the message is the phase and its count; a one-step phase has no count', () => {
  assert.equal(fitProgressText({ phase: 'bootstrap', done: 4, total: 8 }), 'judging context pairs 4/8');
  assert.equal(
    fitProgressText({ phase: 'select-persona', done: 2, total: 10 }),
    'choosing demonstrations with the persona 2/10',
  );
  assert.equal(fitProgressText({ phase: 'persona', done: 0, total: 1 }), 'writing the persona');
});
