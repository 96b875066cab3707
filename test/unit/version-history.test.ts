// Version history (version-history.ts): who made each version of a persona or a prompt, recorded by the
// writers themselves (a fit, a hand edit kept as found, a re-validation's rewrite, Θ adoption, a worked
// example), inferred for versions without a record, and each version's runs. Driven through the CLI
// against a loopback model, plus the engine's own writers where the CLI has no command (Θ adoption,
// the extension's re-validation of a persona).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { readRun } from '../../src/core/eval/run-file';
import { loadPersona, savePersona } from '../../src/core/method/persona-file';
import { promptHash } from '../../src/core/method/prompt-store';
import { adoptTheta } from '../../src/core/theta/acceptance';
import { personaHistoryDir, workspaceLayout } from '../../src/core/workspace/layout';
import { listVersions } from '../../src/core/versions/version-store';
import {
  historyWarnings,
  personaVersions,
  promptVersions,
  type VersionEntry,
} from '../../src/core/eval/version-history';
import { cliRunners, markerBrain, workspace, writePrompt } from './revalidate-fixture';

const MARKER = 'Judge by brevity: this user always prefers the short reply.';
const summary = (list: VersionEntry[]) =>
  list.map((v) => [v.id === 'current' || v.id === 'default' ? v.id : 'kept', v.origin, v.current]);

describe('version history', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: markerBrain(MARKER) }).then(
    (s) => (server = s),
  );
  after(() => server?.close());

  async function setup() {
    await started;
    const { dir, ws } = workspace();
    const { run, evalRun } = cliRunners(dir, server.url);
    return { dir, ws, run, evalRun, layout: workspaceLayout(ws) };
  }

  test('persona versions: fit, hand edit, re-validation, fit again; each with its runs; records missing or broken are inferred', async () => {
    const { ws, run, evalRun, layout } = await setup();
    const personaPath = join(ws, 'personas', 'ada.persona.yaml');
    const historyDir = personaHistoryDir(layout, 'ada');
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    const r1 = await evalRun('--user', 'ada', '--method', 'persona+demos', '--label', 'fitted');
    let list = await personaVersions(layout, 'ada');
    assert.deepEqual(summary(list), [['current', 'fit', true]]);
    const fitted = await loadPersona(personaPath);
    assert.equal(list[0]!.validation, fitted.provenance.validation!.accuracy);
    assert.equal(
      list[0]!.keptAs,
      readdirSync(historyDir).find((n) => n.endsWith('.persona.yaml')),
    );
    assert.deepEqual(
      list[0]!.runs.map((r) => r.path),
      [r1],
    );
    const s1 = (await readRun(r1)).summary!;
    assert.equal(
      list[0]!.runs[0]!.accuracy,
      s1.users.find((u) => u.id === 'ada')!.accuracy,
      "the user's figures in the run",
    );

    // A hand edit, saved as an editor saves it, then judged.
    writeFileSync(
      personaPath,
      readFileSync(personaPath, 'utf8').replace('This user wants it short.', `This user wants it short. ${MARKER}`),
    );
    const r2 = await evalRun('--user', 'ada', '--method', 'persona+demos', '--label', 'edited');
    list = await personaVersions(layout, 'ada');
    assert.deepEqual(
      summary(list),
      [
        ['kept', 'fit', false],
        ['current', 'hand edit', true],
      ],
      'a text the tool did not keep was written by hand',
    );
    assert.deepEqual(
      list.map((v) => v.runs.map((r) => r.path)),
      [[r1], [r2]],
    );
    assert.equal(list[1]!.keptAs, undefined);

    // `revalidate` keeps the edited text as found (with no record): its origin is inferred, the same.
    await run('revalidate', 'ws', 'ws/personas/ada.persona.yaml', '--json');
    list = await personaVersions(layout, 'ada');
    assert.deepEqual(summary(list), [
      ['kept', 'fit', false],
      ['current', 'hand edit', true],
    ]);
    assert.ok(list[1]!.keptAs);

    // The extension's re-validation writes the new figures into the file through savePersona.
    const edited = await loadPersona(personaPath);
    await savePersona(
      personaPath,
      {
        ...edited,
        provenance: {
          ...edited.provenance,
          edited: true,
          validation: { accuracy: 0.9, correct: 9, evaluated: 10, of: 10 },
        },
      },
      historyDir,
    );
    list = await personaVersions(layout, 'ada');
    assert.deepEqual(summary(list), [
      ['kept', 'fit', false],
      ['kept', 'hand edit', false],
      ['current', 'revalidate', true],
    ]);
    assert.equal(list[2]!.validation, 0.9);
    const onTest = (v: VersionEntry) => v.runs.filter((r) => r.split === 'test').map((r) => r.path);
    assert.deepEqual(list.map(onTest), [[r1], [r2], []]);
    assert.deepEqual(
      list.map((v) => v.runs.filter((r) => r.split === 'validation').length),
      [1, 1, 0],
      "re-validation's two runs, one per version",
    );

    // A fit again: the file it replaces is in history already; the new one is a fit.
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    list = await personaVersions(layout, 'ada');
    assert.deepEqual(summary(list), [
      ['kept', 'fit', false],
      ['kept', 'hand edit', false],
      ['kept', 'revalidate', false],
      ['current', 'fit', true],
    ]);
    assert.ok(
      list.every((v, i) => i === 0 || v.created >= list[i - 1]!.created),
      'oldest first',
    );
    assert.equal(list[3]!.path, personaPath);
    assert.ok(list.slice(0, 3).every((v) => v.path === join(historyDir, v.id)));

    // Records live beside the history folder, which holds versions only.
    assert.ok(
      readdirSync(historyDir).every((n) => n.endsWith('.persona.yaml')),
      readdirSync(historyDir).join(', '),
    );
    assert.equal((await listVersions(historyDir, '.persona.yaml')).length, 4);
    const recordsDir = join(layout.historyDir, '.records', 'ada');
    const records = readdirSync(recordsDir);
    assert.deepEqual(
      records.map((n) => JSON.parse(readFileSync(join(recordsDir, n), 'utf8')).origin).sort(),
      ['fit', 'fit', 'revalidate'],
      'the edit was kept by revalidate, which records nothing',
    );
    // Without records (a history written before them), or with a broken one, the origins are inferred the same way.
    writeFileSync(join(recordsDir, records[0]!), '{ not json');
    for (const n of records.slice(1)) rmSync(join(recordsDir, n));
    assert.deepEqual(summary(await personaVersions(layout, 'ada')), summary(list));
  });

  test('runs of two versions judged on different sets of pairs: the history says so', async () => {
    const { ws, run, evalRun, layout } = await setup();
    const personaPath = join(ws, 'personas', 'ada.persona.yaml');
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    await evalRun('--user', 'ada', '--method', 'persona+demos');
    let list = await personaVersions(layout, 'ada');
    assert.ok(list[0]!.runs[0]!.testSet, 'each run knows the pairs it judged');
    assert.deepEqual(historyWarnings(list), []);
    // Twenty new pairs for ada: by their ids some fall into test, so the next run judges another set.
    const more = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        user_id: 'ada',
        pair_id: `ada-new-${i}`,
        context: [{ role: 'user', content: `New question ${i}?` }],
        chosen: `Short ${i}.`,
        rejected: `A long answer ${i} that goes on and on.`,
      }),
    );
    appendFileSync(join(ws, 'prefs.jsonl'), more.join('\n') + '\n');
    writeFileSync(
      personaPath,
      readFileSync(personaPath, 'utf8').replace('This user wants it short.', `This user wants it short. ${MARKER}`),
    );
    await evalRun('--user', 'ada', '--method', 'persona+demos');
    list = await personaVersions(layout, 'ada');
    assert.equal(list.length, 2);
    const warnings = historyWarnings(list);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0]!,
      /^the test runs of these versions were judged on 2 different sets of pairs: their accuracies are not comparable pair for pair/,
    );
  });

  test('prompt versions: the shipped default, a hand edit, an optimization, a worked example; each with its runs', async () => {
    const { ws, run, evalRun, layout } = await setup();
    await run('fit', 'ws', '--user', 'ada', '--k', '2');
    const r0 = await evalRun('--all', '--method', 'default', '--label', 'default judge');
    let judge = await promptVersions(layout, 'judge');
    assert.deepEqual(
      summary(judge),
      [['current', 'default', true]],
      'the default as written on first use, nothing else',
    );
    assert.deepEqual(
      judge[0]!.runs.map((r) => r.path),
      [r0],
    );
    assert.equal(judge[0]!.runs[0]!.accuracy, (await readRun(r0)).summary!.accuracy);

    writePrompt(ws, 'judge', DEFAULT_PROMPTS.judge + '\n\n' + MARKER);
    const r1 = await evalRun('--all', '--method', 'default', '--label', 'edited judge');
    judge = await promptVersions(layout, 'judge');
    assert.deepEqual(
      summary(judge),
      [
        ['default', 'default', false],
        ['current', 'hand edit', true],
      ],
      'the shipped default first: it is no kept version',
    );
    assert.equal(judge[0]!.hash, promptHash(DEFAULT_PROMPTS.judge));
    assert.equal(judge[0]!.path, undefined);
    assert.deepEqual(
      judge.map((v) => v.runs.map((r) => r.path)),
      [[r0], [r1]],
    );
    // Re-validation keeps the edited text as found: a hand edit, now with a record.
    await run('revalidate', 'ws', 'judge', '--all', '--json');
    judge = await promptVersions(layout, 'judge');
    assert.deepEqual(summary(judge), [
      ['default', 'default', false],
      ['current', 'hand edit', true],
    ]);
    assert.ok(judge[1]!.keptAs);

    // Θ: adopted by the search, then edited by hand, then given a worked example.
    const thetaPath = join(ws, 'prompts', 'persona-synthesis.prompt.md');
    const adopted = DEFAULT_PROMPTS['persona-synthesis'] + '\n\nWrite the persona in the second person.';
    assert.ok(
      await adoptTheta(layout.promptDir, layout.historyDir, promptHash(readFileSync(thetaPath, 'utf8')), adopted),
    );
    let theta = await promptVersions(layout, 'persona-synthesis');
    assert.deepEqual(
      summary(theta),
      [
        ['kept', 'default', false],
        ['current', 'optimization', true],
      ],
      'the default it replaced is kept, so it is not listed twice',
    );
    writeFileSync(thetaPath, adopted + '\nKeep it under ten lines.');
    await run('theta', 'add-example', 'ws', '--user', 'ada', '--min-validation', '0');
    theta = await promptVersions(layout, 'persona-synthesis');
    assert.deepEqual(summary(theta), [
      ['kept', 'default', false],
      ['kept', 'optimization', false],
      ['kept', 'hand edit', false],
      ['current', 'worked example', true],
    ]);
    assert.match(readFileSync(thetaPath, 'utf8'), /<worked_example/);
    assert.ok(theta.slice(0, 3).every((v) => basename(v.path!) === v.id));
    assert.equal(theta[3]!.path, thetaPath);
  });
});
