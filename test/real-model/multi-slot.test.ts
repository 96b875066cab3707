// A multi-slot real server: llama-server with 4 parallel slots (continuous batching, one unified KV pool) runs
// a fit and an eval of three users of the example workspace, interleaved as `--all` interleaves them; then a
// server with 1 slot evaluates the same fitted workspace (the same prompts: see slot-workload.ts). Asserted:
// every call completed (every request the CLI sent got a whole answer from the server, and the CLI counted
// each), and the prefix-cache share was measured (the server reported cache figures). Printed: the shares with
// 4 slots and 1, overall and by stage, the eval's throughput ratio, the calls, and the model's own figures.
// The goal of 80% of prompt tokens from the prefix cache is printed against the eval stage (a user's
// persona and demos first), not asserted: the fit's bootstrap prompts share only their instructions.
//
// A tiny model at temperature 0 loops on some persona syntheses and bootstrap reasonings until the output cap
// (which ones depends on the slot count). Such an answer is one the server gave whole: the CLI refuses it (and a
// user whose answer is cut twice is not fitted), and the figures count it for the model; it fails no assertion
// here. Any other failure does (slot-workload.ts, fitOutcome and evalOutcome).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli-runner';
import { embeddedDir, ensureEmbeddedModel, type EmbeddedModel } from '../../tools/embedded-model/llama-server';
import { runSlotWorkload, slotFiguresLines, slotWorkspace, THREE_USERS, type SlotRun } from './slot-workload';

const LOGS = join(ROOT, 'test-results', 'real-model');
const MODEL_DIR =
  process.env.SYNTHESIZEME_EMBEDDED_DIR ||
  (process.env.TOOLS ? join(process.env.TOOLS, 'embedded-model') : embeddedDir());

describe('real model: a multi-slot llama-server (4 slots against 1)', () => {
  let model: EmbeddedModel;
  let ws: string;
  const runs: SlotRun[] = [];

  before(async () => {
    mkdirSync(LOGS, { recursive: true });
    model = await ensureEmbeddedModel({ dir: MODEL_DIR, models: [THREE_USERS.model] });
    ws = await slotWorkspace(THREE_USERS);
  });

  after(() => {
    if (runs.length) console.log(slotFiguresLines(runs).join('\n'));
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  const check = (r: SlotRun) => {
    runs.push(r);
    if (r.problems.length) console.log(`    --- ${r.logPath} (kept; tail) ---\n${r.logTail.replace(/^/gm, '    ')}`);
    assert.deepEqual(r.problems, []);
    assert.ok(r.calls.length > r.fitCalls, 'the server answered the eval');
    // Measured: every answer carried llama-server's timings, and the cache served part of the prompts (a user's
    // persona and demos in the eval, at least).
    assert.ok(
      r.calls.every((c) => c.promptN + c.cacheN > 0),
      'every answer reported its prompt tokens',
    );
    assert.ok(r.evalShare > 0 && r.evalShare < 1, `eval share ${r.evalShare}`);
  };

  test('4 slots: a fit and an eval of three users, --all, every call completed', async () => {
    const r = await runSlotWorkload(model, { slots: 4, logDir: LOGS, workload: THREE_USERS, ws, fit: true });
    check(r);
    assert.ok(r.fitCalls > 0, 'the server answered the fit');
  });

  test('1 slot: the eval of the same fitted users, every call completed', async () => {
    check(await runSlotWorkload(model, { slots: 1, logDir: LOGS, workload: THREE_USERS, ws, fit: false }));
  });
});
