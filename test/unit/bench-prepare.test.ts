import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { readClassification } from '../../src/core/bench/classify';
import { singleJudgeNote } from '../../src/core/bench/prepare';
import { apportion } from '../../src/core/data/splits';
import { arenaJsonl, benchBrain, prismFiles, ARENA_PLAN } from './bench-fixtures';
import { cli } from './revalidate-fixture';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sm-bench-'));
}

describe('bench prepare against a loopback Ollama', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ brain: benchBrain, models: ['classifier', 'j1', 'j2'] }).then(
    (s) => (server = s),
  );
  after(() => server?.close());

  const prepare = async (dir: string, extra: string[]) => {
    const c = cli(dir);
    const code = await c.call(
      'bench',
      'prepare',
      '--base-url',
      server.url,
      '--model',
      'classifier',
      '--min-pairs',
      '3',
      '--json',
      ...extra,
    );
    return { code, json: code === 0 ? JSON.parse(c.out()) : undefined, err: c.err() };
  };

  test('Arena: counts after each step, votes and labels in meta, a missing judge reported, explicit splits, report table', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    const r = await prepare(dir, [
      '--arena',
      'arena.jsonl',
      '--arena',
      'missing.jsonl',
      '--judges',
      'j1,j2,ghost',
      '--out',
      'out/arena.prefs.jsonl',
      '--report',
      'report.md',
    ]);
    assert.equal(r.code, 0, r.err);
    const steps = Object.fromEntries(
      r.json.report.steps.map((s: { step: string; counts: { pairs: number; users: number } }) => [
        s.step,
        [s.counts.pairs, s.counts.users],
      ]),
    );
    // raw: 24 pairs (the tie and the three malformed rows give none); see ARENA_PLAN.
    assert.deepEqual(steps, {
      raw: [24, 5],
      users: [22, 4],
      personalizable: [18, 4],
      disagreement: [14, 4],
      splits: [12, 3],
    });
    assert.equal(r.json.records, 12);
    // Problems: the missing file, the broken line, the row without a judge, the row without conversation_b.
    assert.match(r.err, /missing\.jsonl:1:1: error: file not found/);
    assert.match(r.err, /arena\.jsonl:\d+:1: error: .*not valid JSON/);
    assert.match(r.err, /missing field "judge"/);
    assert.match(r.err, /missing field "conversation_b"/);
    assert.deepEqual(r.json.unreadable, ['missing.jsonl']);
    // The unavailable judge is reported and the filter ran with the two others.
    const judges = r.json.report.judges;
    assert.deepEqual(
      judges.map((j: { model: string; available: boolean }) => [j.model, j.available]),
      [
        ['j1', true],
        ['j2', true],
        ['ghost', false],
      ],
    );
    assert.match(judges[2].error, /ghost/);
    assert.equal(judges[0].votes, 36);
    assert.equal(r.json.calls, 22 + 72);
    // One judge model at a time on one server (Ollama would swap models back and forth): every j1 vote
    // is sent before the first j2 vote, or the other way round.
    const order: string[] = server.chats.map((c) => c.request.model).filter((m) => m === 'j1' || m === 'j2');
    const firstOf = (m: string) => order.indexOf(m);
    const lastOf = (m: string) => order.lastIndexOf(m);
    assert.ok(
      lastOf('j1') < firstOf('j2') || lastOf('j2') < firstOf('j1'),
      `judges interleaved on one server: ${order.join(' ')}`,
    );
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(report, /\| step \| pairs \| users \| median pairs per user \| multi-turn \|/);
    assert.match(report, /\| 1\. users with at least 3 pairs \| 22 \| 4 \| 4\.5 \|/);
    assert.match(report, /\| 4\. split per user .* \| 12 \| 3 \| 3 \| 25\.0% \|/);
    assert.match(report, /ghost UNAVAILABLE/);
    assert.match(report, /1 tie/);

    // The output is a native file: readable, with explicit splits for every pair.
    const index = await loadWorkspace([join(dir, 'out/arena.prefs.jsonl')], { cwd: dir });
    assert.deepEqual(
      index.problems().filter((p) => p.severity === 'error'),
      [],
    );
    const users = index.users();
    assert.deepEqual(
      users.map((u) => u.id),
      ['alice', 'bob', 'erin'],
    );
    for (const u of users) {
      assert.ok(
        u.pairs.every((p) => p.split),
        `${u.id}: every pair has an explicit split`,
      );
      const counts = [0, 0, 0];
      for (const p of u.pairs) counts[['context', 'validation', 'test'].indexOf(p.split!)]!++;
      assert.deepEqual(counts, apportion(u.pairs.length, [50, 20, 30]));
    }
    const rec = JSON.parse(readFileSync(join(dir, 'out/arena.prefs.jsonl'), 'utf8').split('\n')[0]!);
    assert.equal(rec.meta.personalizable.label, true);
    assert.match(rec.meta.personalizable.reason, /style/);
    assert.equal(rec.meta.judge_votes.length, 4);
    assert.deepEqual(
      rec.meta.judge_votes.map((v: { model: string; order: string }) => `${v.model}:${v.order}`),
      ['j1:AB', 'j1:BA', 'j2:AB', 'j2:BA'],
    );
    assert.equal(rec.meta.judge_agreement, 0.5);

    // inspect reads it, and it is a workspace a benchmark runs on (its explicit test split).
    const ins = cli(dir);
    assert.equal(await ins.call('inspect', 'out', '--json'), 0, ins.err());
    const run = cli(dir);
    assert.equal(
      await run.call(
        'bench',
        'run',
        'out',
        '--methods',
        'default',
        '--models',
        'j1',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      run.err(),
    );
    assert.equal(JSON.parse(run.out()).cells[0].pairs, r.json.report.splits.test);

    // A re-run is free: every call comes from the cache, and the output is the same.
    const first = readFileSync(join(dir, 'out/arena.prefs.jsonl'), 'utf8');
    const again = await prepare(dir, [
      '--arena',
      'arena.jsonl',
      '--judges',
      'j1,j2',
      '--out',
      'out/arena.prefs.jsonl',
      '--force',
    ]);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.json.calls, 0);
    assert.equal(again.json.cacheHits, 22 + 72);
    assert.equal(readFileSync(join(dir, 'out/arena.prefs.jsonl'), 'utf8'), first);
    assert.equal(again.json.records, 12);
  });

  test('agreement range and user filter are options; an existing --out is refused', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    // 0:1 keeps consensus and contrarian pairs too.
    const r = await prepare(dir, [
      '--arena',
      'arena.jsonl',
      '--judges',
      'j1,j2',
      '--agreement',
      '0:1',
      '--min-pairs',
      '5',
      '--out',
      'a.prefs.jsonl',
    ]);
    assert.equal(r.code, 0, r.err);
    const steps = Object.fromEntries(
      r.json.report.steps.map((s: { step: string; counts: { pairs: number } }) => [s.step, s.counts.pairs]),
    );
    // min 5: alice (10) and bob (5); personalizable: 8 + 4; all kept by 0:1; split: both still >= 5? bob has 4 -> dropped.
    assert.deepEqual(steps, { raw: 24, users: 15, personalizable: 12, disagreement: 12, splits: 8 });
    await assert.rejects(prepare(dir, ['--arena', 'arena.jsonl', '--out', 'a.prefs.jsonl']), /exists/);
    await assert.rejects(
      prepare(dir, ['--arena', 'arena.jsonl', '--agreement', '0.9:0.1', '--out', 'b.prefs.jsonl']),
      /--agreement/,
    );
  });

  test('a judge on a server that is down is left out at once; native files as input; dry run', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    const first = await prepare(dir, ['--arena', 'arena.jsonl', '--judges', 'j1,j2', '--out', 'native.prefs.jsonl']);
    assert.equal(first.code, 0, first.err);
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const started2 = Date.now();
    const r = await prepare(dir, [
      '--prefs',
      'native.prefs.jsonl',
      '--prefs',
      'nothing.prefs.jsonl',
      '--judges',
      `j1,j2@http://127.0.0.1:${port}`,
      '--out',
      'again.prefs.jsonl',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.ok(Date.now() - started2 < 10_000, 'no waiting on retries');
    assert.deepEqual(
      r.json.report.judges.map((j: { model: string; available: boolean }) => [j.model, j.available]),
      [
        ['j1', true],
        ['j2', false],
      ],
    );
    assert.match(r.json.report.judges[1].error, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(r.err, /nothing\.prefs\.jsonl:1:1: error: file not found/);
    // From the 12 prepared pairs: all still personalizable; j1 alone agrees 100% or 0% with each: none kept.
    assert.equal(r.json.report.steps[0].counts.pairs, 12);
    assert.equal(r.json.report.steps[3].counts.pairs, 0);
    const d = cli(dir);
    assert.equal(
      await d.call(
        'bench',
        'prepare',
        '--arena',
        'arena.jsonl',
        '--judges',
        'j1,j2',
        '--min-pairs',
        '3',
        '--out',
        'dry.prefs.jsonl',
        '--dry-run',
        '--json',
        '--base-url',
        server.url,
      ),
      0,
      d.err(),
    );
    assert.deepEqual(JSON.parse(d.out()), { rawPairs: 24, classifierCalls: 22, judgeCallsAtMost: 88 });
  });

  test('one deterministic judge alone: the data set it empties is explained in the report and on stderr', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    // No --judges: the classifier judges alone, at temperature 0; it prefers the shorter reply in both orders.
    const r = await prepare(dir, ['--arena', 'arena.jsonl', '--out', 'one.prefs.jsonl']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json.records, 0);
    const note = r.json.report.judgeNote as string;
    assert.match(note, /Only one judge \(classifier\) voted, at temperature 0/);
    assert.match(note, /0%, 50% or 100%/);
    assert.match(note, /keeps only the pairs where it answered differently in the two orders; here none of \d+ pair/);
    assert.match(note, /--judges/);
    assert.ok(r.err.includes(`note: bench prepare: ${note}`), r.err);
    const t = cli(dir);
    const code = await t.call(
      ...['bench', 'prepare', '--base-url', server.url, '--model', 'classifier', '--min-pairs', '3'],
      ...['--arena', 'arena.jsonl', '--out', 'one.prefs.jsonl'],
    );
    assert.equal(code, 0, t.err());
    assert.ok(t.out().includes(`- **Note:** ${note}`), 'the report says it: ' + t.out());
    // Two judges grade the filter: no note.
    const two = await prepare(dir, ['--arena', 'arena.jsonl', '--judges', 'j1,j2', '--out', 'two.prefs.jsonl']);
    assert.equal(two.code, 0, two.err);
    assert.equal(two.json.report.judgeNote, undefined);
  });

  test('the single-judge note: only for one judge that kept nothing or everything, naming what the range keeps', () => {
    const one = [{ model: 'm', available: true, votes: 20 }];
    const base = { judges: one, temperature: 0, agreement: [0.1, 0.9] as [number, number], judged: 10 };
    assert.match(singleJudgeNote({ ...base, kept: 0 })!, /here none of 10 pair\(s\) was/);
    assert.match(singleJudgeNote({ ...base, kept: 10 })!, /here all 10 pair\(s\) were/);
    assert.equal(singleJudgeNote({ ...base, kept: 4 }), undefined, 'a graded outcome needs no note');
    assert.equal(singleJudgeNote({ ...base, judged: 0, kept: 0 }), undefined, 'nothing was judged');
    const twoJudges = [...one, { model: 'n', available: true, votes: 20 }];
    assert.equal(singleJudgeNote({ ...base, judges: twoJudges, kept: 0 }), undefined);
    const oneLeft = [...one, { model: 'n', available: false, votes: 0, error: 'down' }];
    assert.match(singleJudgeNote({ ...base, judges: oneLeft, kept: 0 })!, /Only one judge \(m\) voted/);
    assert.doesNotMatch(singleJudgeNote({ ...base, temperature: 0.7, kept: 0 })!, /temperature 0/);
    assert.match(
      singleJudgeNote({ ...base, agreement: [0.5, 1], kept: 10 })!,
      /\[50%, 100%\] keeps only the pairs where it answered differently in the two orders or it chose the user's/,
    );
    assert.match(singleJudgeNote({ ...base, agreement: [0.6, 0.9], kept: 0 })!, /keeps no pair at all/);
  });

  test('every judge unavailable: the run fails with the reason', async () => {
    await started;
    const dir = tmp();
    writeFileSync(join(dir, 'arena.jsonl'), arenaJsonl());
    await assert.rejects(
      prepare(dir, ['--arena', 'arena.jsonl', '--judges', 'ghost', '--out', 'g.prefs.jsonl']),
      /no judge model is available.*ghost/,
    );
  });

  test('PRISM: conversations and survey, malformed rows reported, demographics kept', async () => {
    await started;
    const dir = tmp();
    const plan = { alice: ARENA_PLAN.alice!, bob: ARENA_PLAN.bob!, carol: ARENA_PLAN.carol! };
    const { conversations, survey } = prismFiles(plan);
    writeFileSync(join(dir, 'conv.jsonl'), conversations);
    writeFileSync(join(dir, 'survey.jsonl'), survey);
    const r = await prepare(dir, [
      '--prism-conversations',
      'conv.jsonl',
      '--prism-survey',
      'survey.jsonl',
      '--judges',
      'j1,j2',
      '--out',
      'prism.prefs.jsonl',
    ]);
    assert.equal(r.code, 0, r.err);
    const steps = Object.fromEntries(
      r.json.report.steps.map((s: { step: string; counts: { pairs: number; users: number } }) => [
        s.step,
        [s.counts.pairs, s.counts.users],
      ]),
    );
    assert.deepEqual(steps, {
      raw: [17, 3],
      users: [15, 2],
      personalizable: [12, 2],
      disagreement: [9, 2],
      splits: [9, 2],
    });
    assert.match(r.err, /conv\.jsonl:\d+:1: error: .*conversation_history/);
    assert.match(r.err, /survey\.jsonl:\d+:1: error: missing field "user_id"/);
    const index = await loadWorkspace([join(dir, 'prism.prefs.jsonl')], { cwd: dir });
    assert.equal(index.user('alice')!.pairs[0]!.demographics!.location, 'Paris');
    // A missing survey is a problem, not the end of the run.
    const m = await prepare(dir, [
      '--prism-conversations',
      'conv.jsonl',
      '--prism-survey',
      'nope.jsonl',
      '--judges',
      'j1',
      '--out',
      'p2.prefs.jsonl',
    ]);
    assert.equal(m.code, 0, m.err);
    assert.match(m.err, /nope\.jsonl:1:1: error: survey file not found/);
  });

  test('classify alone: labels and reasons, JSON shape', async () => {
    await started;
    const dir = tmp();
    const lines = [
      {
        user_id: 'u',
        pair_id: 'p1',
        context: [{ role: 'user', content: 'q' }],
        chosen: 'The answer is 1.\nShort.',
        rejected: 'The answer is 1.\nA much longer explanation.',
      },
      {
        user_id: 'u',
        pair_id: 'p2',
        context: [{ role: 'user', content: 'q' }],
        chosen: 'The answer is 1.',
        rejected: 'The answer is 2.',
      },
    ];
    writeFileSync(join(dir, 'two.prefs.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const c = cli(dir);
    assert.equal(
      await c.call('classify', 'two.prefs.jsonl', '--base-url', server.url, '--model', 'classifier', '--json'),
      0,
      c.err(),
    );
    const j = JSON.parse(c.out());
    assert.equal(j.pairs, 2);
    assert.equal(j.personalizable, 1);
    assert.deepEqual(
      j.results.map((x: { pairId: string; personalizable: boolean }) => [x.pairId, x.personalizable]),
      [
        ['p1', true],
        ['p2', false],
      ],
    );
    assert.match(j.results[0].reason, /style/);
    const t = cli(dir);
    assert.equal(
      await t.call('classify', 'two.prefs.jsonl', '--base-url', server.url, '--model', 'classifier'),
      0,
      t.err(),
    );
    assert.match(t.out(), /^p1: personalizable: .*style/m);
    assert.match(t.out(), /^p2: not personalizable/m);
    assert.match(t.out(), /1 of 2 pair\(s\) personalizable/);
    const dry = cli(dir);
    const calls = server.stats.chat;
    assert.equal(
      await dry.call(
        'classify',
        'two.prefs.jsonl',
        '--base-url',
        server.url,
        '--model',
        'classifier',
        '--dry-run',
        '--json',
        '--no-cache',
      ),
      0,
      dry.err(),
    );
    assert.equal(JSON.parse(dry.out()).calls, 2);
    assert.equal(server.stats.chat, calls, '--dry-run calls nothing');
    // An edited prompt is what the model receives.
    writeFileSync(join(dir, 'mine.prompt.md'), 'Decide whether people could disagree. MARKER-42');
    const before = server.chats.length;
    const e = cli(dir);
    assert.equal(
      await e.call(
        'classify',
        'two.prefs.jsonl',
        '--base-url',
        server.url,
        '--model',
        'classifier',
        '--prompt',
        'mine.prompt.md',
        '--no-cache',
      ),
      0,
      e.err(),
    );
    assert.equal(server.chats.length - before, 2);
    assert.ok(server.chats.slice(before).every((c) => JSON.stringify(c.body).includes('MARKER-42')));
    await assert.rejects(
      cli(dir).call('classify', 'two.prefs.jsonl', '--base-url', server.url, '--prompt', 'nope.md'),
      /--prompt: cannot read nope\.md: no such file/,
    );
  });

  test('tolerant reading of a classification', () => {
    assert.deepEqual(readClassification({ json: { reason: 'r', personalizable: true }, text: '' }), {
      personalizable: true,
      reason: 'r',
    });
    assert.equal(readClassification({ text: '{"reason": "x", "personalizable": "false"}' }).personalizable, false);
    assert.equal(readClassification({ text: 'Reason: taste. personalizable: yes' }).personalizable, true);
    assert.equal(readClassification({ text: 'I cannot tell.' }).personalizable, null);
  });
});
