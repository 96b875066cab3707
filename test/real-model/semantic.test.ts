// The semantic layer: a real instruction-tuned model (Qwen2.5-Coder 1.5B Instruct, Q4_K_M) behind llama.cpp's
// server, driven through the built CLI with the suite's own judge prompt (semantic-suite.ts). Where the plumbing
// tests (real-model.test.ts) show that calls flow, these show that a change of MEANING changes the verdicts:
// the persona lifts the judge, "always answer B" makes B the answer, and the opposite persona flips the verdicts.
// Margins and their measured pass rate: semantic-suite.ts (MARGINS) and the README.
//
// Needs the embedded models (`npm run test:setup`); a cached model skips the download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from './cli-runner';
import {
  embeddedDir,
  ensureEmbeddedModel,
  INSTRUCT_MODELS,
  startLlamaServer,
  withModel,
  type LlamaServer,
} from '../../tools/embedded-model/llama-server';
import { checks, figuresLine, runSemantic, SEMANTIC_PAIRS, USERS, type CheckResult } from './semantic-suite';

const LOGS = join(ROOT, 'test-results', 'real-model');
const MODEL_DIR =
  process.env.SYNTHESIZEME_EMBEDDED_DIR ||
  (process.env.TOOLS ? join(process.env.TOOLS, 'embedded-model') : embeddedDir());
const MODEL = 'qwen2.5-coder-1.5b';

// Part of the real-model layer (CI runs it). SYNTHESIZEME_SEMANTIC=0 skips it, for a quick plumbing-only run.
// One slot and one call in flight: a server batching several slots is not deterministic at temperature 0 (README),
// and a gate should turn on the model, not on how its calls happened to be batched.
const SKIP = process.env['SYNTHESIZEME_SEMANTIC'] === '0' ? 'SYNTHESIZEME_SEMANTIC=0' : false;

if (SKIP) console.log(`semantic layer skipped: ${SKIP}`);

describe(`semantic: ${INSTRUCT_MODELS[MODEL].label} follows its judge prompt and the persona`, { skip: SKIP }, () => {
  let server: LlamaServer | undefined;
  let results: CheckResult[] = [];

  before(async () => {
    const t0 = Date.now();
    const model = withModel(await ensureEmbeddedModel({ dir: MODEL_DIR, models: [MODEL] }), MODEL);
    server = await startLlamaServer({ ...model, ctx: 8192, parallel: 1, logDir: LOGS });
    const t1 = Date.now();
    try {
      const f = await runSemantic([
        '--provider',
        'openai',
        '--base-url',
        server.baseUrl,
        '--model',
        model.alias!,
        '--concurrency',
        '1',
      ]);
      results = checks(f);
      console.log(
        `semantic figures (${SEMANTIC_PAIRS.length} pairs x 2 orders x ${USERS.length} users per condition): ${figuresLine(f)}`,
      );
    } catch (err) {
      console.log(`    --- ${server.logPath} (kept; tail) ---\n${server.logTail(25).replace(/^/gm, '    ')}`);
      throw err;
    }
    console.log(
      `semantic time: ${((Date.now() - t0) / 1000).toFixed(0)} s (set-up and load ${((t1 - t0) / 1000).toFixed(0)} s, ` +
        `${SEMANTIC_PAIRS.length * 2 * 6} model calls (no persona and always-B shared by both users) ${((Date.now() - t1) / 1000).toFixed(0)} s)`,
    );
  });

  after(async () => {
    await server?.stop();
  });

  const check = (name: string) => () => {
    const c = results.find((r) => r.name === name);
    assert.ok(c, `the suite ran (${name})`);
    assert.ok(c.pass, `${c.name}: ${c.detail}`);
  };

  test('the persona lifts the judge clearly above the same judge without it', check('follows the persona'));
  test('a judge prompt edited to "always answer B" makes B the answer', check('always-B prompt answers B'));
  test('a persona stating the opposite taste flips the verdicts', check('opposite persona flips the verdicts'));
});
