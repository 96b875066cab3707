// Collecting preferences (issue 15): two generated responses per prompt in a random recorded order,
// picks appended as native pairs (JSONL and YAML) without touching a line already there, ties and
// skips logged only, failed or identical generations append nothing, hidden retests measure the
// person's consistency, "ask next" picks the pair the persona judge is least sure about.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest, Fault } from '../support/loopback-llm';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { parseYamlText } from '../../src/core/data/parse-yaml';
import { readLog, collectLogPath } from '../../src/core/collect/collect-log';
import { collect, type Asker } from '../../src/core/collect/session';
import { chooseMostInformative } from '../../src/core/collect/informative';
import { appendPair } from '../../src/core/collect/append-pair';
import { createLlm } from '../../src/core/llm/client';
import { cli, workspace } from './revalidate-fixture';
import { allowWritesUnder } from '../../src/core/write-guard';

const lastUser = (req: BrainRequest) => req.messages[req.messages.length - 1]?.content ?? '';
const systemOf = (req: BrainRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';

/** Generation: BRIEF in the system prompt gives a short reply, else a long one; SAME gives one text whatever the source. */
function brain(req: BrainRequest): string {
  const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
  if ('persona' in props) return JSON.stringify({ reasoning: 'common ground', persona: 'Likes short answers.' });
  if ('preference' in props) return JSON.stringify({ reasoning: 'the first', preference: 'A' });
  const q = lastUser(req);
  if (q.includes('SAME')) return 'One and the same answer.';
  if (q.includes('RAMBLE') && !systemOf(req).includes('BRIEF')) return 'and on '.repeat(3000);
  return systemOf(req).includes('BRIEF')
    ? `Short answer to: ${q.slice(0, 40)}`
    : `A long and winding answer that circles ${q.slice(0, 40)} for a while before it says anything useful.`;
}

describe('synthesizeme collect', () => {
  let server: LoopbackServer;
  let failing: ((req: BrainRequest) => boolean) | undefined;
  const started = startLoopbackOllama({
    models: ['llama3.1:8b'],
    brain,
    faultFor: (req): Fault | undefined =>
      failing?.(req)
        ? { type: 'server-error', status: 400, message: 'invalid request: the planted failure' }
        : undefined,
  }).then((s) => (server = s));
  after(() => server?.close());

  test('picks from standard input are appended to the JSONL file as native pairs; the old lines stay byte for byte; ties and skips are logged only', async () => {
    await started;
    const { dir, ws } = workspace();
    const file = join(ws, 'prefs.jsonl');
    const before = readFileSync(file, 'utf8');
    const c = cli(dir, { input: ['1 the short one', '2', 't', 's'] });
    const code = await c.run(
      'collect',
      'ws',
      '--user',
      'ada',
      '--prompt',
      'How do I undo a commit?',
      '--prompt',
      'What is a monad?',
      '--prompt',
      'Tabs or spaces?',
      '--prompt',
      'Best pizza?',
      '--system-a',
      'Be BRIEF.',
      '--retest-rate',
      '0',
      '--base-url',
      server.url,
      '--json',
    );
    assert.equal(code, 0, c.err());
    const r = JSON.parse(c.out()) as { picked: number; ties: number; skipped: number; appended: string[] };
    assert.deepEqual([r.picked, r.ties, r.skipped], [2, 1, 1]);
    const after = readFileSync(file, 'utf8');
    assert.ok(after.startsWith(before), 'nothing before the appended lines changed');
    const parsed = parseJsonlText(after, 'prefs.jsonl');
    assert.deepEqual(parsed.problems, [], 'the file has no problems');
    const added = parsed.pairs.filter((p) => r.appended.includes(p.pairId));
    assert.equal(added.length, 2);
    for (const p of added) {
      assert.equal(p.userId, 'ada');
      const meta = (
        p.meta as {
          collected: { sources: { chosen: string; rejected: string }; shown: string[]; at: string; reason?: string };
        }
      ).collected;
      assert.ok(Date.parse(meta.at) > 0);
      assert.deepEqual([...meta.shown].sort(), ['chosen', 'rejected'], 'the order shown is recorded');
      assert.notEqual(meta.sources.chosen, meta.sources.rejected);
      assert.equal(
        p.chosen.content.startsWith('Short') ? meta.sources.chosen : meta.sources.rejected,
        'llama3.1:8b + system A',
        'the sources follow the responses, whatever order they were shown in',
      );
    }
    assert.equal((added[0]!.meta as { collected: { reason?: string } }).collected.reason, 'the short one');
    const log = await readLog(collectLogPath(ws, 'ada'));
    // Each pick is journaled, then marked once its pair is in the file (pick-journal.ts).
    assert.deepEqual(
      log.map((e) => e.type),
      ['pick', 'appended', 'pick', 'appended', 'tie', 'skip'],
    );
  });

  test('a YAML list of pairs gets the pair as a new item; a JSON array and a YAML mapping are refused before any call', async () => {
    await started;
    const { dir, ws } = workspace();
    const yamlFile = join(ws, 'chen.prefs.yaml');
    const yamlBefore =
      '# chen\n- user_id: chen\n  pair_id: c1\n  context:\n    - role: user\n      content: "Hi?"\n  chosen: hello\n  rejected: go away\n';
    writeFileSync(yamlFile, yamlBefore);
    const c = cli(dir, { input: ['2 reason: it is kinder'] });
    assert.equal(
      await c.run(
        'collect',
        'ws',
        '--user',
        'chen',
        '--file',
        'chen.prefs.yaml',
        '--prompt',
        'How are you?',
        '--system-a',
        'Be BRIEF.',
        '--retest-rate',
        '0',
        '--base-url',
        server.url,
      ),
      0,
      c.err(),
    );
    const after = readFileSync(yamlFile, 'utf8');
    assert.ok(after.startsWith(yamlBefore));
    const parsed = parseYamlText(after, 'chen.prefs.yaml');
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.pairs.length, 2, after);
    assert.equal(parsed.pairs[1]!.userId, 'chen');

    writeFileSync(join(ws, 'arr.prefs.json'), '[]\n');
    writeFileSync(
      join(ws, 'map.prefs.yaml'),
      'chen:\n  - pair_id: x\n    context: [{role: user, content: hi}]\n    chosen: a\n    rejected: b\n',
    );
    const calls = server.stats.chat;
    for (const f of ['arr.prefs.json', 'map.prefs.yaml']) {
      const x = cli(dir, { input: ['1'] });
      assert.equal(
        await x.run('collect', 'ws', '--user', 'chen', '--file', f, '--prompt', 'Hi?', '--base-url', server.url),
        2,
        `${f}: ${x.err()}`,
      );
      assert.match(x.err(), f.endsWith('json') ? /JSON array cannot be appended/ : /not a YAML list of pairs/);
    }
    assert.equal(server.stats.chat, calls, 'refused before generating');
  });

  test('a failed generation appends nothing; two identical responses are regenerated, then skipped with a note', async () => {
    await started;
    const { dir, ws } = workspace();
    const file = join(ws, 'prefs.jsonl');
    const before = readFileSync(file, 'utf8');
    failing = (req) => lastUser(req).includes('FAIL');
    try {
      const c = cli(dir, { input: ['1'] });
      assert.equal(
        await c.run(
          'collect',
          'ws',
          '--user',
          'ada',
          '--prompt',
          'FAIL please',
          '--prompt',
          'SAME twice',
          '--retest-rate',
          '0',
          '--base-url',
          server.url,
          '--json',
        ),
        0,
        c.err(),
      );
      const r = JSON.parse(c.out()) as { picked: number; failed: number; skipped: number; asked: number };
      assert.deepEqual(
        [r.picked, r.failed, r.skipped, r.asked],
        [0, 1, 1, 0],
        'nothing was asked: one failure, one pair with nothing to choose',
      );
      assert.match(c.err(), /generating with llama3\.1:8b failed/);
      assert.match(c.err(), /gave the same response twice: skipped/);
      assert.equal(readFileSync(file, 'utf8'), before, 'the file is untouched');
      const log = await readLog(collectLogPath(ws, 'ada'));
      assert.deepEqual(
        log.map((e) => e.type),
        ['failed', 'skip'],
      );
      // Only failures: exit 1.
      const f = cli(dir, { input: ['1'] });
      assert.equal(
        await f.run('collect', 'ws', '--user', 'ada', '--prompt', 'FAIL again', '--base-url', server.url),
        1,
      );
    } finally {
      failing = undefined;
    }
  });

  test('--pairs-from with answers: scripted, the answer names response_1 or response_2 whatever order they were shown in; a new user starts a new file', async () => {
    await started;
    const { dir, ws } = workspace();
    const pairs = join(dir, 'pairs.jsonl');
    writeFileSync(
      pairs,
      [
        JSON.stringify({
          prompt: 'Q1?',
          response_1: 'first one',
          response_2: 'second one',
          answer: '2',
          reason: 'clearer',
        }),
        JSON.stringify({
          context: [{ role: 'user', content: 'Q2?' }],
          response_1: 'alpha',
          response_2: 'beta',
          answer: '1',
        }),
        JSON.stringify({ prompt: 'Q3?', response_1: 'x', response_2: 'y', answer: 't' }),
      ].join('\n') + '\n',
    );
    const calls = server.stats.chat;
    const c = cli(dir);
    assert.equal(
      await c.run('collect', 'ws', '--user', 'zoe', '--pairs-from', 'pairs.jsonl', '--base-url', server.url, '--json'),
      0,
      c.err(),
    );
    assert.equal(server.stats.chat, calls, 'no generation');
    const parsed = parseJsonlText(readFileSync(join(ws, 'zoe.prefs.jsonl'), 'utf8'), 'zoe.prefs.jsonl');
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.pairs.map((p) => [p.chosen.content, p.rejected.content]),
      [
        ['second one', 'first one'],
        ['alpha', 'beta'],
      ],
    );
  });

  test('collected pairs go to context or validation, never into the test split, unless --include-test', async () => {
    await started;
    const { dir, ws } = workspace();
    const rows = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        prompt: `Question ${i}?`,
        response_1: `one ${i}`,
        response_2: `two ${i}`,
        answer: i % 2 ? '1' : '2',
      }),
    );
    writeFileSync(join(dir, 'pairs.jsonl'), rows.join('\n') + '\n');
    const c = cli(dir);
    assert.equal(
      await c.run('collect', 'ws', '--user', 'zoe', '--pairs-from', 'pairs.jsonl', '--base-url', server.url, '--json'),
      0,
      c.err(),
    );
    const records = readFileSync(join(ws, 'zoe.prefs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { split?: string });
    assert.equal(records.length, 40);
    const splits = new Set(records.map((r) => r.split));
    assert.deepEqual(
      [...splits].sort(),
      ['context', 'validation'],
      'every collected pair carries context or validation',
    );
    // Asked to, the workspace's own rule splits them, test included.
    const { dir: dir2, ws: ws2 } = workspace();
    writeFileSync(join(dir2, 'pairs.jsonl'), rows.join('\n') + '\n');
    const d = cli(dir2);
    assert.equal(
      await d.run(
        'collect',
        'ws',
        '--user',
        'zoe',
        '--pairs-from',
        'pairs.jsonl',
        '--include-test',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      d.err(),
    );
    const free = readFileSync(join(ws2, 'zoe.prefs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { split?: string });
    assert.ok(free.every((r) => r.split === undefined));
    const i = cli(dir2);
    assert.equal(await i.run('inspect', 'ws', '--json'), 0, i.err());
    const zoe = (JSON.parse(i.out()) as { users: { id: string; splits: Record<string, number> }[] }).users.find(
      (u) => u.id === 'zoe',
    )!;
    assert.ok(zoe.splits.test > 0, JSON.stringify(zoe));
  });

  test('hidden retests: a past pick asked again reversed; a consistent person agrees every time, a position-bound one never', async () => {
    await started;
    const { dir, ws } = workspace();
    allowWritesUnder(ws);
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: 'llama3.1:8b', concurrency: 2 },
      { cacheDir: join(dir, 'cache') },
    );
    try {
      const sources = [
        { label: 'brief', model: llm, system: 'Be BRIEF.' },
        { label: 'plain', model: llm, system: 'You are a helpful assistant.' },
      ] as const;
      const items = Array.from({ length: 30 }, (_, i) => ({
        kind: 'prompt' as const,
        context: [{ role: 'user', content: `Question number ${i}?` }],
      }));
      const run = async (user: string, asker: Asker) => {
        const s = await collect({
          userId: user,
          file: join(ws, `${user}.prefs.jsonl`),
          fileName: `${user}.prefs.jsonl`,
          root: ws,
          items,
          sources: [sources[0], sources[1]],
          asker,
          seed: 7,
          temperature: 0,
          retestRate: 0.3,
        });
        return s;
      };
      const shorter: Asker = { ask: async (s) => ({ pick: s.first.length <= s.second.length ? '1' : '2' }) };
      const consistent = await run('con', shorter);
      assert.ok(consistent.retests >= 3, `${consistent.retests} retests`);
      assert.equal(consistent.agreed, consistent.retests, 'the same choice every time');
      const alwaysFirst: Asker = { ask: async () => ({ pick: '1' }) };
      const biased = await run('pos', alwaysFirst);
      assert.ok(biased.retests >= 3);
      assert.equal(biased.agreed, 0, 'a person who always takes the first never agrees with the reversed retest');
      assert.equal(
        consistent.picked + consistent.ties + consistent.skipped,
        30,
        'retests are asked besides the new pairs, not instead',
      );
      const log = await readLog(collectLogPath(ws, 'con'));
      assert.equal(log.filter((e) => e.type === 'retest').length, consistent.retests);
    } finally {
      await llm.dispose();
    }
  });

  test('ask next: the candidate the judge contradicts itself on is asked first, and the reason says so', async () => {
    await started;
    const { dir } = workspace();
    // A judge that prefers the shorter reply, except on the candidate about "tabs", where it always says A.
    const judge = await startLoopbackOllama({
      models: ['j'],
      brain: (req) => {
        const u = lastUser(req);
        const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(u)?.[1] ?? '';
        const b = /<response_b>\n([\s\S]*?)\n<\/response_b>/.exec(u)?.[1] ?? '';
        const pref = u.includes('tabs') ? 'A' : a.length <= b.length ? 'A' : 'B';
        return JSON.stringify({ reasoning: 'r', preference: pref });
      },
    });
    const llm = createLlm(
      { provider: 'ollama', baseUrls: [judge.url], model: 'j', concurrency: 2 },
      { cacheDir: join(dir, 'cache2') },
    );
    try {
      const cands = [
        {
          context: [{ role: 'user', content: 'pizza?' }],
          responses: ['short', 'a much longer reply'] as [string, string],
        },
        {
          context: [{ role: 'user', content: 'tabs?' }],
          responses: ['short', 'a much longer reply'] as [string, string],
        },
        {
          context: [{ role: 'user', content: 'coffee?' }],
          responses: ['a much longer reply', 'short'] as [string, string],
        },
      ];
      const c = await chooseMostInformative(llm, 'ada', cands, { current: 'You judge.' }, { temperature: 0, seed: 0 });
      assert.equal(c.index, 1);
      assert.deepEqual(c.scores, [0, 2, 0]);
      assert.match(
        c.reason,
        /unsure about this pair: it preferred response 1 when it saw response 1 first, and response 2 when it saw response 2 first/,
      );
      const sure = await chooseMostInformative(
        llm,
        'ada',
        [cands[0]!, cands[2]!],
        { current: 'You judge.' },
        { temperature: 0, seed: 0 },
      );
      assert.equal(sure.uncertainty, 0);
      assert.match(sure.reason, /sure about every candidate/);
    } finally {
      await llm.dispose();
      await judge.close();
    }
  });

  test('an append that would not read back is refused: the file stays as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-append-'));
    mkdirSync(dir, { recursive: true });
    allowWritesUnder(dir);
    const f = join(dir, 'x.prefs.jsonl');
    const before =
      JSON.stringify({
        user_id: 'u',
        pair_id: 'p1',
        context: [{ role: 'user', content: 'q' }],
        chosen: 'a',
        rejected: 'b',
      }) + '\n';
    writeFileSync(f, before);
    // A pair with an empty chosen reply is a problem for the parser: the append is undone.
    await assert.rejects(
      appendPair(f, {
        user_id: 'u',
        pair_id: 'p2',
        context: [{ role: 'user', content: 'q' }],
        chosen: '',
        rejected: 'b',
        meta: {
          collected: {
            at: new Date().toISOString(),
            sources: { chosen: 'a', rejected: 'b' },
            shown: ['chosen', 'rejected'],
          },
        },
      }),
      /would not read back \("chosen" is an empty response\): nothing was written/,
    );
    assert.equal(readFileSync(f, 'utf8'), before);
  });

  test('--status: pairs collected since the fit, judged by the persona out of sample, and a re-fit offered', async () => {
    await started;
    const { dir } = workspace();
    const f = cli(dir);
    assert.equal(await f.run('fit', 'ws', '--user', 'ada', '--k', '1', '--base-url', server.url), 0, f.err());
    const c = cli(dir, { input: ['1', '2', '1'] });
    assert.equal(
      await c.run(
        'collect',
        'ws',
        '--user',
        'ada',
        '--prompt',
        'A?',
        '--prompt',
        'B?',
        '--prompt',
        'C?',
        '--system-a',
        'Be BRIEF.',
        '--retest-rate',
        '0',
        '--refit-after',
        '3',
        '--base-url',
        server.url,
      ),
      0,
      c.err(),
    );
    assert.match(
      c.out(),
      /3 new pair\(s\) since the persona was fitted \(at least 3\): re-fit with synthesizeme fit <workspace> --user ada/,
    );
    const s = cli(dir);
    assert.equal(
      await s.run(
        'collect',
        'ws',
        '--user',
        'ada',
        '--status',
        '--refit-after',
        '3',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      s.err(),
    );
    const st = JSON.parse(s.out()) as {
      collected: number;
      sinceFit: number;
      refit: boolean;
      outOfSample?: { pairs: number; accuracy: number; ci95: [number, number] };
    };
    assert.equal(st.collected, 3);
    assert.equal(st.sinceFit, 3);
    assert.equal(st.refit, true);
    assert.equal(st.outOfSample?.pairs, 3, 'the three collected pairs, judged in both orders');
    // The judge always answers A: in each pair one order is right, one wrong.
    assert.equal(st.outOfSample?.accuracy, 0.5);
    const t = cli(dir);
    assert.equal(
      await t.run('collect', 'ws', '--user', 'ada', '--status', '--refit-after', '3', '--base-url', server.url),
      0,
    );
    assert.match(
      t.out(),
      /the persona on the 3 pair\(s\) collected since its fit: 50\.0% .*out of sample; with 3 pair\(s\) the interval is wide/,
    );
  });

  test('usage errors: no user, two ways of giving prompts, --ask-next without a persona', async () => {
    await started;
    const { dir } = workspace();
    const a = cli(dir);
    assert.equal(await a.run('collect', 'ws', '--prompt', 'x', '--base-url', server.url), 2);
    assert.match(a.err(), /--user ID/);
    const b = cli(dir);
    assert.equal(
      await b.run('collect', 'ws', '--user', 'ada', '--prompt', 'x', '--from-contexts', '--base-url', server.url),
      2,
    );
    assert.match(b.err(), /give the prompts one way/);
    const d = cli(dir, { input: ['1'] });
    assert.equal(
      await d.run('collect', 'ws', '--user', 'bruno', '--prompt', 'x', '--ask-next', '3', '--base-url', server.url),
      2,
    );
    assert.match(d.err(), /no persona to judge with yet/);
  });

  test('a response cut at the output cap is a failed generation: nothing appended, the reason said', async () => {
    await started;
    const { dir, ws } = workspace();
    const file = join(ws, 'prefs.jsonl');
    const before = readFileSync(file, 'utf8');
    const c = cli(dir, { input: ['1'] });
    assert.equal(
      await c.run(
        'collect',
        'ws',
        '--user',
        'ada',
        '--prompt',
        'RAMBLE about anything',
        '--system-a',
        'Be BRIEF.',
        '--retest-rate',
        '0',
        '--base-url',
        server.url,
        '--json',
      ),
      1,
      c.err(),
    );
    assert.match(c.err(), /response was cut at 1024 tokens \(too long, or the model ran away\): not a fair candidate/);
    assert.equal(readFileSync(file, 'utf8'), before);
    const sent = server.chats
      .filter((x) => !x.request.schema)
      .slice(-2)
      .map((x) => (x.body['options'] as { num_predict?: number } | undefined)?.num_predict);
    assert.deepEqual(sent, [1024, 1024], 'every generation is sent with the cap');
  });
});
