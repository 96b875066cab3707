// compare refuses the same run twice and warns on unfinished or incomplete runs and on runs that differ
// in more than the persona (statistics issue, point 5); it says what its number of pairs can show (point 4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns } from '../../src/core/eval/compare';
import { UserError } from '../../src/core/user-error';

const dir = mkdtempSync(join(tmpdir(), 'sm-compare-'));

function runFile(
  name: string,
  o: {
    id: string;
    judge?: string;
    persona?: string;
    model?: string;
    summary?: false | { complete: boolean };
    correct: boolean[];
  },
): string {
  const header = {
    type: 'header',
    version: 1,
    id: o.id,
    method: 'persona+demos',
    split: 'test',
    provider: 'ollama',
    model: o.model ?? 'm',
    seed: 0,
    temperature: 0,
    users: ['ada'],
    created: '2026-12-01T00:00:00Z',
    inputs: { judge: o.judge ?? 'j1', 'persona:ada': o.persona ?? 'p1' },
  };
  const verdicts = o.correct.map((c, i) => ({
    type: 'verdict',
    userId: 'ada',
    pairId: `p${i}`,
    file: 'ada.prefs.jsonl',
    line: i + 1,
    orders: [
      { order: 'AB', preference: c ? 'A' : 'B', correct: c, reasoning: '' },
      { order: 'BA', preference: c ? 'B' : 'A', correct: c, reasoning: '' },
    ],
  }));
  const lines = [header, ...verdicts];
  if (o.summary !== false)
    lines.push({
      type: 'summary',
      accuracy: 0,
      ci95: [0, 0],
      consistency: 1,
      samples: 0,
      pairs: 0,
      users: [],
      completed: 'x',
      ...(o.summary ?? { complete: true }),
    } as never);
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

const eight = [true, false, true, true, false, true, false, true];

test('compare of a run with itself is refused, not reported as a difference of 0', async () => {
  const a = runFile('same-a.run.jsonl', { id: 'aaa', correct: eight });
  const b = runFile('same-b.run.jsonl', { id: 'aaa', correct: eight });
  await assert.rejects(compareRuns(a, b), (e: unknown) => e instanceof UserError && /the same run/.test(e.message));
});

test('compare warns on an interrupted run and on an incomplete one', async () => {
  const a = runFile('int-a.run.jsonl', { id: 'i1', correct: eight, summary: false });
  const b = runFile('int-b.run.jsonl', { id: 'i2', persona: 'p2', correct: eight, summary: { complete: false } });
  const c = await compareRuns(a, b);
  assert.ok(
    c.warnings.some((w) => /run A is unfinished/.test(w)),
    c.warnings.join('\n'),
  );
  assert.ok(
    c.warnings.some((w) => /run B is incomplete/.test(w)),
    c.warnings.join('\n'),
  );
});

test('compare warns when the persona is meant to differ but the judge prompt changed too; a persona-only change has no warning', async () => {
  const a = runFile('pr-a.run.jsonl', { id: 'q1', correct: eight });
  const b = runFile('pr-b.run.jsonl', { id: 'q2', persona: 'p2', judge: 'j2', correct: eight });
  const c = await compareRuns(a, b);
  assert.ok(
    c.warnings.some((w) => /different judge prompt\(s\) as well as different personas/.test(w)),
    c.warnings.join('\n'),
  );
  const only = await compareRuns(a, runFile('pr-c.run.jsonl', { id: 'q3', persona: 'p2', correct: eight }));
  assert.deepEqual(only.warnings, []);
  const model = await compareRuns(a, runFile('pr-d.run.jsonl', { id: 'q4', model: 'other', correct: eight }));
  assert.ok(model.warnings.some((w) => /differ in model \(m vs other\)/.test(w)));
});

test('compare says what its number of pairs can show: 3 pairs cannot show any difference', async () => {
  const a = runFile('pw-a.run.jsonl', { id: 'w1', correct: [true, false, true] });
  const b = runFile('pw-b.run.jsonl', { id: 'w2', persona: 'p2', correct: [false, true, true] });
  const c = await compareRuns(a, b);
  assert.equal(
    c.power,
    'with 3 test pair(s) no difference can be significant: evaluate on more pairs or the test split',
  );
});
