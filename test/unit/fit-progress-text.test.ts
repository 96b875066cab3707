// Fit progress reads as words ("fitting bruno: phase 1 of 5: judging context pairs 4/8"), not phase ids, with
// the phase's place in the fit (each phase counts from 0 again), and never repeats the user the title names.

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

test('the message is the phase, its place of 5 and its count; a one-step phase has no count', () => {
  assert.equal(fitProgressText({ phase: 'bootstrap', done: 4, total: 8 }), 'phase 1 of 5: judging context pairs 4/8');
  assert.equal(
    fitProgressText({ phase: 'select-persona', done: 2, total: 10 }),
    'phase 5 of 5: choosing demonstrations with the persona 2/10',
  );
  assert.equal(fitProgressText({ phase: 'persona', done: 0, total: 1 }), 'phase 3 of 5: writing the persona');
});
