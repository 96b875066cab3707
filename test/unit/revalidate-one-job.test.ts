// Re-validating a persona is one engine job for both faces (issue 21): what VS Code's Re-validate Persona
// did on its own now lives in the engine (src/core/eval/revalidate.ts), and both faces get it.
// - With no earlier version, the current persona is judged alone: its accuracy and interval, no comparison
//   (VS Code always showed it; the CLI judged nothing and now prints it too).
// - The persona file records the new validation figures (and `edited: true` after an edit) only when the
//   run asks for it (VS Code does); the CLI leaves the file as it is.
// - p and the interval are the engine's paired test's, the same for both faces.
// The engine is called here with the options VS Code's face passes (src/extension/commands/revalidate.ts).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { openWorkspace, type Workspace } from '../../src/core/workspace/open-workspace';
import {
  prepareRevalidation,
  runRevalidation,
  type RevalidateResult,
  type RevalidateRun,
} from '../../src/core/eval/revalidate';
import { alignRuns } from '../../src/core/eval/compare';
import { pairedTest } from '../../src/core/eval/paired-test';
import { readRun } from '../../src/core/eval/run-file';
import { loadPersona } from '../../src/core/method/persona-file';
import { cli, markerBrain, workspace } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';

describe('revalidate a persona: one engine job for both faces', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: markerBrain(MARKER) }).then(
    (s) => (server = s),
  );
  after(() => server?.close());

  /** A workspace with ada fitted (through the CLI), her persona file, and the workspace as the engine opens it. */
  async function fitted() {
    await started;
    const { dir, ws: root } = workspace();
    const fit = cli(dir);
    assert.equal(await fit.run('fit', 'ws', '--user', 'ada', '--k', '2', '--base-url', server.url), 0, fit.err());
    const ws = await openWorkspace(root);
    const path = join(root, 'personas', 'ada.persona.yaml');
    return { dir, ws, path };
  }

  /** The engine's re-validation of a persona file, as VS Code's face runs it (its options given). */
  async function engine(ws: Workspace, path: string, opts: Partial<RevalidateRun> = {}): Promise<RevalidateResult> {
    const llm: Llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', concurrency: 8 },
      { cacheDir: ws.layout.cacheDir },
    );
    try {
      const plan = await prepareRevalidation({
        ws,
        target: { kind: 'persona', path },
        users: ws.index.users(),
        split: 'validation',
        temperature: 0,
      });
      return await runRevalidation(plan, { model: llm, ...opts });
    } finally {
      await llm.dispose();
    }
  }

  const revalidateCli = async (dir: string, ...extra: string[]) => {
    const c = cli(dir);
    const args = ['revalidate', 'ws', 'ws/personas/ada.persona.yaml', '--base-url', server.url, ...extra];
    assert.equal(await c.run(...args), 0, c.err());
    return c;
  };

  test('with no earlier version the engine judges the current persona alone: its accuracy, no comparison', async () => {
    const { dir, ws, path } = await fitted();
    const before = readFileSync(path, 'utf8');
    const r = await engine(ws, path);
    assert.equal(r.previous, undefined);
    assert.equal(r.comparison, undefined);
    assert.equal(r.p, null);
    assert.equal(r.difference, null);
    assert.match(r.message ?? '', /no earlier version of this persona differs from it.*judged alone/);
    const now = r.figures.current;
    assert.ok(now && now.pairs > 0, `pairs judged: ${JSON.stringify(now)}`);
    assert.ok(now.accuracy >= 0 && now.accuracy <= 1 && now.ci95[0] <= now.accuracy && now.accuracy <= now.ci95[1]);
    assert.equal(r.runs.current.length, 1, 'one run of the current persona');
    assert.deepEqual(r.runs.previous, []);
    assert.equal(r.figures.previous, undefined);
    assert.equal(readFileSync(path, 'utf8'), before, 'without saveFigures the persona file is left as it is');

    // The CLI prints the same accuracy, in --json and in text (it used to judge nothing).
    const json = (await revalidateCli(dir, '--json')).json();
    assert.equal(json.previous, null);
    assert.equal(json.p, null);
    const accuracy = json.accuracy as { current: number; ci95Current: [number, number]; previous: null };
    assert.equal(accuracy.current, now.accuracy);
    assert.deepEqual(accuracy.ci95Current, now.ci95);
    assert.equal(accuracy.previous, null);
    assert.equal(json.pairs, now.pairs);
    assert.equal((json.runs as { current: string[] }).current.length, 1);
    const text = (await revalidateCli(dir)).out();
    assert.match(text, /judged alone, with nothing to compare it with\.\n/);
    assert.match(text, new RegExp(`on validation: current .*${now.pairs} pair`));
    assert.equal(readFileSync(path, 'utf8'), before, 'the CLI leaves the persona file as it is');
  });

  test('the persona file records the figures only when the run asks for it (VS Code), and edited: true after an edit', async () => {
    const { dir, ws, path } = await fitted();
    // Judged alone, asked to record: the figures, and no `edited` (nothing was edited).
    const alone = await engine(ws, path, { saveFigures: true });
    assert.equal(alone.saved, path);
    const first = await loadPersona(path);
    assert.deepEqual(first.provenance.validation, {
      accuracy: alone.figures.current!.accuracy,
      correct: Math.round(alone.figures.current!.accuracy * alone.figures.current!.samples),
      evaluated: alone.figures.current!.samples,
      of: alone.figures.current!.samples,
    });
    assert.equal(first.provenance.edited, undefined);

    // A hand edit: the CLI compares it and leaves the file as it is.
    const edited = readFileSync(path, 'utf8').replace(
      'This user wants it short.',
      `This user wants it short. ${MARKER}`,
    );
    writeFileSync(path, edited);
    const json = (await revalidateCli(dir, '--json')).json();
    assert.ok(json.previous, 'compared with the fitted version');
    assert.equal(readFileSync(path, 'utf8'), edited, 'the CLI does not rewrite the persona file');

    // VS Code's run records the new figures and `edited: true`, and keeps the edit.
    const r = await engine(ws, path, { saveFigures: true });
    assert.ok(r.comparison && r.complete);
    const saved = await loadPersona(path);
    assert.equal(saved.provenance.edited, true);
    assert.equal(saved.provenance.validation?.accuracy, r.figures.current!.accuracy);
    assert.notEqual(saved.provenance.validation?.accuracy, first.provenance.validation?.accuracy, 'the new figures');
    assert.match(saved.persona, new RegExp(MARKER));
    assert.match(readFileSync(path, 'utf8'), /edited: true/);
  });

  test("both faces' p and interval are the engine's paired test over the two runs", async () => {
    const { dir, ws, path } = await fitted();
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('This user wants it short.', `This user wants it short. ${MARKER}`),
    );
    const json = (await revalidateCli(dir, '--json')).json();
    const r = await engine(ws, path, { saveFigures: true });
    assert.ok(r.comparison && typeof r.p === 'number');
    // The paired test, computed here from the run files both sides wrote.
    const [a, b] = await Promise.all([readRun(r.runs.previous[0]!), readRun(r.runs.current[0]!)]);
    const { pa, pb, users } = alignRuns(a.verdicts, b.verdicts);
    const expected = pairedTest(pa, pb, { seed: ws.split.seed, users });
    assert.equal(r.p, expected.pValue, "VS Code's p is the paired test's");
    assert.equal(json.p, expected.pValue, "the CLI's p is the paired test's");
    assert.deepEqual(r.ci95, json.ci95, 'the same interval');
    assert.equal(r.comparison.pairedTest.unit, 'pairs', 'one user: exact over pairs');
    assert.ok(expected.pValue > 0 && expected.pValue < 1, `a p that says something (${expected.pValue})`);
  });
});
