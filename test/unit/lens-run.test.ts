// A verdict of "Judge this pair" kept as a one-pair lens run (lens-run.ts): pair history (the pair view's
// source) shows it beside the evaluations, newest first, while the run lists (Verdicts, grid, version
// history, `synthesizeme runs`) leave it out; a failed verdict is not kept; the same pair judged again
// with the same inputs adds to the same file and its last verdict is the one shown.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pair } from '../../src/core/data/pair';
import type { PairVerdict } from '../../src/core/method/judge';
import { LENS_SPLIT, lensRunsDir, recordLensVerdict } from '../../src/core/eval/lens-run';
import { pairJudgements } from '../../src/core/eval/pair-history';
import { listRuns } from '../../src/core/eval/runs-list';
import { readRun, runFileName, RunJournal } from '../../src/core/eval/run-file';
import { workspaceLayout } from '../../src/core/workspace/layout';

const pair: Pair = {
  userId: 'ada',
  pairId: 'p1',
  context: [{ role: 'user', content: 'How do I reverse a list?' }],
  chosen: { role: 'assistant', content: 'xs.reverse()' },
  rejected: { role: 'assistant', content: 'Well, there are many ways to think about lists...' },
  source: { file: 'ada.prefs.jsonl', line: 1, column: 1, endLine: 1, endColumn: 1 },
};

function verdict(prefAB: 'A' | 'B' | null, prefBA: 'A' | 'B' | null, reasoning = 'short wins'): PairVerdict {
  return {
    userId: 'ada',
    pairId: 'p1',
    file: 'ada.prefs.jsonl',
    line: 1,
    orders: [
      { order: 'AB', preference: prefAB, correct: prefAB === 'A', reasoning, ...(prefAB ? {} : { error: 'HTTP 500' }) },
      { order: 'BA', preference: prefBA, correct: prefBA === 'B', reasoning, ...(prefBA ? {} : { error: 'HTTP 500' }) },
    ],
  } as PairVerdict;
}

// An OpenAI-compatible server names no digest: nothing is asked of it.
const model = { provider: 'openai' as const, model: 'qwen2.5', listModels: async () => [] };
const inputs = { mode: 'persona' as const, model, seed: 7, temperature: 0, judgeHash: 'sha256:judge', pair };

async function evalRunOf(layout: ReturnType<typeof workspaceLayout>, created: string): Promise<string> {
  const journal = await RunJournal.open(layout.runsDir, runFileName('default', 'test', 'evalrun00001'));
  await journal.append({
    type: 'header',
    version: 1,
    id: 'evalrun00001',
    method: 'default',
    split: 'test',
    provider: 'openai',
    model: 'qwen2.5',
    seed: 7,
    temperature: 0,
    users: ['ada'],
    created,
    inputs: {},
  });
  await journal.append({ type: 'verdict', ...verdict('B', 'A', 'an evaluation') });
  await journal.close();
  return journal.path;
}

describe('lens runs', () => {
  test('pair history shows a lens verdict, newest first, and the run lists leave it out', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'sm-lens-'));
    const layout = workspaceLayout(ws);
    const evalPath = await evalRunOf(layout, '2020-01-01T00:00:00.000Z');
    const path = await recordLensVerdict(layout, { ...inputs, personaHash: 'sha256:persona' }, verdict('A', 'B'));
    assert.ok(path?.startsWith(lensRunsDir(layout)), `kept under runs/lens/: ${path}`);

    const got = await pairJudgements(layout, { user: 'ada', pairId: 'p1' });
    assert.deepEqual(
      got.map((j) => [j.run.path, j.run.split, j.run.method]),
      [
        [path, LENS_SPLIT, 'persona+demos'],
        [evalPath, 'test', 'default'],
      ],
    );
    assert.equal(got[0]!.score, 1);
    assert.deepEqual(
      got[0]!.orders.map((o) => [o.order, o.preference, o.reasoning]),
      [
        ['AB', 'A', 'short wins'],
        ['BA', 'B', 'short wins'],
      ],
    );
    assert.equal(got[0]!.personaHash, 'sha256:persona');
    assert.equal(got[0]!.run.label, 'Judge this pair', 'the pair view names where the verdict came from');
    assert.equal(got[0]!.run.status, 'complete');
    assert.deepEqual(
      (await listRuns(layout)).map((l) => l.path),
      [evalPath],
      'a one-pair check is no evaluation: not listed',
    );
  });

  test('a failed verdict is not kept; the same inputs judged again add to one file, the last verdict shown', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'sm-lens-'));
    const layout = workspaceLayout(ws);
    assert.equal(await recordLensVerdict(layout, inputs, verdict(null, null)), undefined);
    assert.deepEqual(await pairJudgements(layout, { user: 'ada', pairId: 'p1' }), []);

    const first = await recordLensVerdict(layout, inputs, verdict('B', 'B', 'first look'));
    const again = await recordLensVerdict(layout, inputs, verdict('A', 'B', 'second look'));
    assert.equal(again, first);
    assert.equal(readdirSync(lensRunsDir(layout)).filter((n) => n.endsWith('.run.jsonl')).length, 1);
    const got = await pairJudgements(layout, { user: 'ada', pairId: 'p1' });
    assert.equal(got.length, 1);
    assert.deepEqual(
      got[0]!.orders.map((o) => o.reasoning),
      ['second look', 'second look'],
    );
    assert.equal((await readRun(first!)).summary?.accuracy, 1, 'the summary is the last verdict’s');

    // An edited pair is another run: its verdict is not mistaken for the old text's.
    const edited = { ...pair, chosen: { role: 'assistant' as const, content: 'list(reversed(xs))' } };
    const other = await recordLensVerdict(layout, { ...inputs, pair: edited }, verdict('A', 'B'));
    assert.notEqual(other, first);
  });
});
