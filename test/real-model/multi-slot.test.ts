// A multi-slot real server: llama-server with 4 parallel slots (continuous batching, one unified KV pool) runs
// a fit and an eval of three users of the example workspace, interleaved as `--all` interleaves them, and then
// the same workload against 1 slot. Asserted: every call completed, and the prefix-cache share was measured
// (the server reported cache figures). Printed: the share with 4 slots and 1, and the throughput ratio.
// The goal of 80% of prompt tokens from the prefix cache is printed, not asserted: see the note at the
// figures line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli-runner';
import { embeddedDir, ensureEmbeddedModel, type EmbeddedModel } from '../../tools/embedded-model/llama-server';
import { runSlotWorkload, slotFiguresLine, stageSharesLine, THREE_USERS, type SlotRun } from './slot-workload';

const LOGS = join(ROOT, 'test-results', 'real-model');
const MODEL_DIR =
  process.env.SYNTHESIZEME_EMBEDDED_DIR ||
  (process.env.TOOLS ? join(process.env.TOOLS, 'embedded-model') : embeddedDir());

// Opt-in until its workload completes reliably: measured on 2 cores, the two runs take about 23 minutes with
// Qwen2.5-Coder 0.5B, and a tiny model at temperature 0 loops on some persona syntheses until the cap (which
// users depends on the slot count), so a user is not fitted for the model's sake.
const SKIP = process.env['SYNTHESIZEME_MULTI_SLOT'] === '1' ? false : 'opt-in: SYNTHESIZEME_MULTI_SLOT=1';

describe('real model: a multi-slot llama-server (4 slots against 1)', { skip: SKIP }, () => {
  let model: EmbeddedModel;
  const runs = new Map<number, SlotRun>();

  before(async () => {
    mkdirSync(LOGS, { recursive: true });
    model = await ensureEmbeddedModel({ dir: MODEL_DIR, models: [THREE_USERS.model] });
  });

  after(() => {
    const many = runs.get(4);
    const one = runs.get(1);
    if (many && one) console.log(`${slotFiguresLine(many, one)}\n${stageSharesLine([many, one])}`);
  });

  for (const slots of [4, 1]) {
    test(`${slots} slot(s): a fit and an eval of three users, --all, every call completed`, async () => {
      const r = await runSlotWorkload(model, { slots, logDir: LOGS, workload: THREE_USERS });
      runs.set(slots, r);
      if (r.problems.length) console.log(`    --- ${r.logPath} (kept; tail) ---\n${r.logTail.replace(/^/gm, '    ')}`);
      assert.deepEqual(r.problems, []);
      assert.ok(r.calls.length > 0, 'the server answered calls');
      // Measured: every answer carried llama-server's timings, and the cache served part of the prompts (the
      // instructions every call of a stage shares, at least).
      assert.ok(
        r.calls.every((c) => c.promptN + c.cacheN > 0),
        'every answer reported its prompt tokens',
      );
      assert.ok(
        r.calls.some((c) => c.cacheN > 0),
        'the prefix cache served some prompt tokens',
      );
      assert.ok(r.share > 0 && r.share < 1, `share ${r.share}`);
    });
  }
});
