// One pair across the runs of a workspace (pair-history.ts): every run that judged it, newest first, with
// the persona version each run was made with: a history file, 'current' for the file as it is now, none
// for a run without a persona. Runs made by `synthesizeme eval` against a loopback model.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { readRun } from '../../src/core/eval/run-file';
import { pairJudgements } from '../../src/core/eval/pair-history';
import { workspaceLayout } from '../../src/core/workspace/layout';
import { cliRunners, markerBrain, workspace } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';

describe('pair history', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: markerBrain(MARKER) }).then(
    (s) => (server = s),
  );
  after(() => server?.close());

  test('every run that judged a pair, newest first, each with its persona version', async () => {
    await started;
    const { dir, ws } = workspace();
    const { run, evalRun } = cliRunners(dir, server.url);
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    const history = join(ws, '.synthesizeme', 'history', 'ada');
    const fitted = readdirSync(history).filter((n) => n.endsWith('.persona.yaml'));
    assert.equal(fitted.length, 1);

    const plain = await evalRun('--all', '--method', 'default', '--label', 'plain');
    const first = await evalRun('--user', 'ada', '--method', 'persona+demos', '--label', 'fitted');
    // A hand edit, saved as an editor saves it: no history written.
    const personaPath = join(ws, 'personas', 'ada.persona.yaml');
    writeFileSync(
      personaPath,
      readFileSync(personaPath, 'utf8').replace('This user wants it short.', `This user wants it short. ${MARKER}`),
    );
    const edited = await evalRun('--user', 'ada', '--method', 'persona+demos', '--label', 'edited');
    const other = await evalRun('--user', 'bruno', '--method', 'default', '--label', 'bruno only');

    const layout = workspaceLayout(ws);
    const runs = await Promise.all([plain, first, edited, other].map((p) => readRun(p)));
    const pairId = [...runs[1]!.verdicts.values()][0]!.pairId;
    const got = await pairJudgements(layout, { user: 'ada', pairId });
    assert.deepEqual(
      got.map((j) => j.run.path),
      [edited, first, plain],
      'newest first; the run of bruno only is not there',
    );
    assert.deepEqual(
      got.map((j) => j.run.label),
      ['edited', 'fitted', 'plain'],
    );
    assert.deepEqual(
      got.map((j) => j.personaVersion),
      ['current', fitted[0], undefined],
    );
    assert.equal(got[2]!.personaHash, undefined, 'the default method uses no persona');
    assert.equal(got[1]!.personaHash, runs[1]!.header!.inputs['persona:ada']);
    for (const [i, r] of [
      [0, runs[2]!],
      [1, runs[1]!],
      [2, runs[0]!],
    ] as const) {
      const v = r.verdicts.get(`ada\u0000${pairId}`)!;
      assert.deepEqual(
        got[i]!.orders.map((o) => [o.order, o.preference, o.correct, o.reasoning]),
        v.orders.map((o) => [o.order, o.preference, o.correct, o.reasoning]),
      );
      assert.equal(got[i]!.score, v.orders.filter((o) => o.correct).length / 2);
    }
    assert.equal(got[0]!.score, 1, 'the edited persona carries the marker the model follows');
    assert.equal(got[0]!.run.stale, false);
    assert.equal(got[1]!.run.stale, true, 'made with a persona that has changed since');

    // A fit after the edit: the edit is kept in history, and the edited run now names that file.
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    const kept = readdirSync(history)
      .filter((n) => n.endsWith('.persona.yaml'))
      .sort();
    assert.equal(kept.length, 3, 'the fit, the edit (kept as found), the new fit');
    const again = await pairJudgements(layout, { user: 'ada', pairId });
    assert.deepEqual(
      again.map((j) => j.personaVersion),
      [kept[1], fitted[0], undefined],
    );

    assert.deepEqual(await pairJudgements(layout, { user: 'ada', pairId: 'no-such-pair' }), []);
    assert.deepEqual(await pairJudgements(layout, { user: 'nobody', pairId }), []);
  });
});
