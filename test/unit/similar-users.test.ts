// Issue 24 item 3 end to end through the CLI: `eval --similar-users 2` against the loopback servers (both protocols).
// Four users in two tastes (ada and bruno cook, cara and dov code): the embeddings (a hashed bag of words) of their
// personas make each one's nearest the other of the same taste. Each persona method's prompt then carries a labelled
// section with the two neighbours' personas; the run header records m and the embedding model; a second run embeds
// nothing (every vector is cached); a server that embeds nothing stops the run with what to do. And no user's test
// pair ever reaches another user's prompt: a marker planted in ada's test pairs only is never in another's request.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { BrainRequest, LoopbackOptions, LoopbackServer } from '../support/loopback-llm';
import { cli } from './revalidate-fixture';
import { readRun } from '../../src/core/eval/run-file';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace';
import {
  cosine,
  nearestUsers,
  neighbourOf,
  SIMILAR_DEMOS,
  SIMILAR_HEADING,
  similarSection,
} from '../../src/core/method/similar-users';
import type { Pair } from '../../src/core/data/pair';
import type { PersonaModel } from '../../src/core/method/persona-file';

const MODEL = 'llama3.1:8b';
const MARKER = 'ZQX-ADA-TEST-ONLY';
const TASTE: Record<string, string> = { ada: 'cooking', bruno: 'cooking', cara: 'programming', dov: 'programming' };
const PAIRS = 20;

const props = (req: BrainRequest) => (req.schema?.properties ?? {}) as Record<string, unknown>;
const all = (req: BrainRequest) => req.messages.map((m) => m.content).join('\n');
const lastUser = (req: BrainRequest) => req.messages.at(-1)!.content;

/** A persona names the taste of the examples it is written from; a judge picks the short reply (the chosen one). */
function brain(req: BrainRequest): string {
  if ('preference' in props(req)) {
    const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(lastUser(req))?.[1] ?? '';
    return JSON.stringify({ reasoning: 'shorter', preference: a.includes('short') ? 'A' : 'B' });
  }
  if ('persona' in props(req)) {
    const taste = /about (cooking|programming)/.exec(lastUser(req))?.[1] ?? 'nothing';
    return JSON.stringify({ reasoning: 'common ground', persona: `Loves ${taste}; wants ${taste} answers short.` });
  }
  return JSON.stringify({ facts: ['Asks things.'] });
}

function lines(marked: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const [user, taste] of Object.entries(TASTE))
    for (let i = 0; i < PAIRS; i++) {
      const id = `${user}-${i}`;
      const mark = marked.has(id) ? ` ${MARKER}` : '';
      out.push(
        JSON.stringify({
          user_id: user,
          pair_id: id,
          context: [{ role: 'user', content: `Question ${i} from ${user} about ${taste}: how do I do thing ${i}?` }],
          chosen: `Reply ${id}: short and to the point.${mark}`,
          rejected: `Reply ${id}: a long, winding answer that circles the question before it says anything.${mark}`,
        }),
      );
    }
  return out.join('\n') + '\n';
}

const testIds = async (ws: string, user: string) =>
  pairsBySplit((await openWorkspace(ws)).index.user(user)!).test.map((p) => p.pairId);

/** The workspace, with the marker in ada's test pairs only (the split is by pair id: the text does not move it). */
async function workspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sm-similar-'));
  const ws = join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'prefs.jsonl'), lines(new Set()));
  const test = await testIds(ws, 'ada');
  writeFileSync(join(ws, 'prefs.jsonl'), lines(new Set(test)));
  assert.deepEqual(await testIds(ws, 'ada'), test);
  assert.ok(test.length > 0);
  return dir;
}

describe('similar users: nearest by cosine', () => {
  test('the m most similar others, ties ordered by id, only users who can give', () => {
    const v = new Map([
      ['a', [1, 0]],
      ['b', [1, 0]],
      ['c', [1, 0]],
      ['d', [0, 1]],
    ]);
    const near = nearestUsers(v, 2, new Set(['a', 'b', 'c', 'd']));
    assert.deepEqual(
      near.get('c')!.map((n) => n.userId),
      ['a', 'b'],
    );
    assert.deepEqual(
      near.get('d')!.map((n) => n.userId),
      ['a', 'b'],
    );
    assert.deepEqual(
      nearestUsers(v, 2, new Set(['d']))
        .get('a')!
        .map((n) => n.userId),
      ['d'],
    );
    assert.equal(cosine([1, 0], [0, 0]), 0);
  });

  test("a neighbour gives their persona and at most two demos of their context pairs, never another split's", () => {
    const pair = (id: string, text: string) =>
      ({
        userId: 'bruno',
        pairId: id,
        context: [{ role: 'user', content: `question ${id}` }],
        chosen: { role: 'assistant', content: text },
        rejected: { role: 'assistant', content: 'other' },
      }) as unknown as Pair;
    const demo = (id: string) => ({ pairId: id, order: 'AB', preference: 'A', reasoning: `why ${id}` });
    // The persona file's first demo is of a test pair (a hand edit, or another split rule): it is left out.
    const persona = { userId: 'bruno', persona: 'Likes soup.', demos: ['t1', 'c1', 'c2', 'c3'].map(demo) };
    const context = [pair('c1', 'context one'), pair('c2', 'context two'), pair('c3', 'context three')];
    const n = neighbourOf({ id: 'bruno', persona: persona as unknown as PersonaModel, context }, 0.9)!;
    assert.deepEqual(
      n.demos.map((d) => d.pair.pairId),
      ['c1', 'c2'],
    );
    assert.equal(n.demos.length, SIMILAR_DEMOS);
    const text = similarSection([n]);
    assert.ok(text.startsWith(SIMILAR_HEADING));
    assert.match(text, /Likes soup\./);
    assert.ok(!text.includes('question t1'));
    assert.equal(neighbourOf({ id: 'x', context }, 1), undefined, 'no persona: nothing to give');
  });
});

for (const protocol of ['ollama', 'openai'] as const) {
  describe(`eval --similar-users (${protocol} loopback)`, () => {
    let server: LoopbackServer;
    let dir: string;
    const start = (o: LoopbackOptions) => (protocol === 'ollama' ? startLoopbackOllama : startLoopbackOpenAI)(o);
    const model = (url: string) => [
      '--base-url',
      url,
      '--model',
      MODEL,
      ...(protocol === 'openai' ? ['--provider', 'openai'] : []),
    ];
    const embedPath = protocol === 'ollama' ? '/api/embed' : '/v1/embeddings';
    const evalOn = (url: string, ...extra: string[]) => [
      'eval',
      'ws',
      '--all',
      '--method',
      'persona+demos',
      '--similar-users',
      '2',
      '--json',
      ...extra,
      ...model(url),
    ];
    const evalSimilar = (...extra: string[]) => evalOn(server.url, ...extra);

    before(async () => {
      dir = await workspace();
      server = await start({ brain, models: [MODEL] });
      const c = cli(dir);
      assert.equal(await c.run('fit', 'ws', '--all', ...model(server.url)), 0, c.err());
    });
    after(() => server?.close());

    test('each prompt reads its two nearest users; the header records m and the embedding model', async () => {
      server.reset();
      const c = cli(dir);
      assert.equal(await c.run(...evalSimilar()), 0, c.err());
      const out = c.json() as { run: string; complete: boolean; embedUsage: { calls: number } };
      assert.equal(out.complete, true);
      // One embedding per user of the workspace, one call each.
      assert.equal(out.embedUsage.calls, 4);
      assert.equal(server.stats.byPath[embedPath], 4);
      const judged = server.chats.filter((ch) => 'preference' in props(ch.request));
      assert.ok(judged.length > 0);
      for (const ch of judged) {
        const system = ch.request.messages[0]!.content;
        const user = /Reply (\w+)-\d+:/.exec(lastUser(ch.request))![1]!;
        const section = system.slice(system.indexOf(SIMILAR_HEADING));
        assert.ok(system.includes(SIMILAR_HEADING), 'the section is in the system message');
        // The nearest is the other user of the same taste: their persona comes first.
        const first = /<similar_user number="1">\n<persona>\n(.*)\n/.exec(section)?.[1] ?? '';
        assert.match(first, new RegExp(`Loves ${TASTE[user]}`), `${user}: ${first}`);
        assert.equal(section.match(/<similar_user number=/g)?.length, 2);
      }
      const { header } = await readRun(join(dir, out.run));
      assert.deepEqual(header?.similarUsers, { m: 2, embedModel: MODEL });
      assert.equal(header?.inputs['similar:ada']?.split(',')[0], 'bruno');
      assert.ok(header?.inputs['persona:bruno']);
    });

    test("no user's test pair reaches another user's request", async () => {
      server.reset();
      const c = cli(dir);
      assert.equal(await c.run(...evalSimilar('--label', 'leak', '--no-cache')), 0, c.err());
      const chats = server.chats.map((ch) => ch.request);
      assert.ok(chats.some((r) => all(r).includes('Reply ada-')));
      // The marker is in ada's own judged pair only (the last message), never in any system message.
      const withMarker = chats.filter((r) => all(r).includes(MARKER));
      assert.ok(withMarker.length > 0, 'ada is judged on her marked test pairs');
      for (const r of withMarker) {
        assert.match(lastUser(r), /Reply ada-\d+:/);
        assert.ok(!r.messages[0]!.content.includes(MARKER));
      }
    });

    test('a second run embeds nothing: every vector is cached', async () => {
      server.reset();
      const c = cli(dir);
      assert.equal(await c.run(...evalSimilar()), 0, c.err());
      const out = c.json() as { embedUsage: { calls: number; cacheHits: number } };
      assert.deepEqual([out.embedUsage.calls, out.embedUsage.cacheHits], [0, 4]);
      assert.equal(server.stats.byPath[embedPath] ?? 0, 0);
      const dry = cli(dir);
      assert.equal(await dry.run(...evalSimilar('--dry-run')), 0, dry.err());
      assert.ok((dry.json() as { cachedCalls: number }).cachedCalls >= 4);
    });

    test('bench run --similar-users 1: each persona method gets its row, compared with both baselines under Holm', async (t) => {
      // The embedding model from the workspace's setting (no --embed-model): the CLI's fallback.
      mkdirSync(join(dir, 'ws', '.vscode'), { recursive: true });
      writeFileSync(
        join(dir, 'ws', '.vscode', 'settings.json'),
        JSON.stringify({ 'synthesizeme.similar.embedModel': 'embed-x' }),
      );
      const bench = (...extra: string[]) => [
        ...['bench', 'run', 'ws', '--methods', 'default,persona+demos', '--similar-users', '1', '--json'],
        ...extra,
        ...model(server.url),
      ];
      t.after(() => rmSync(join(dir, 'ws', '.vscode'), { recursive: true, force: true }));
      const dry = cli(dir);
      assert.equal(await dry.run(...bench('--dry-run')), 0, dry.err());
      const counts = dry.json() as { evalCalls: number; embedCallsAtMost: number };
      assert.equal(counts.embedCallsAtMost, 4);
      server.reset();
      const c = cli(dir);
      assert.equal(await c.run(...bench()), 0, c.err());
      const out = c.json() as {
        cells: { method: string; similarUsers?: number; pairs: number; run: string }[];
        comparisons: { method: string; similarUsers?: number; baseline: string; p: number; pHolm: number }[];
        markdown: string;
      };
      assert.deepEqual(
        out.cells.map((x) => [x.method, x.similarUsers ?? 0]),
        [
          ['default', 0],
          ['persona+demos', 0],
          ['persona+demos', 1],
        ],
      );
      const row = out.cells[2]!;
      assert.ok(row.pairs > 0);
      assert.equal(counts.evalCalls, 3 * 2 * row.pairs, 'three rows, two orders per pair');
      assert.deepEqual(
        out.comparisons.map((x) => [x.method, x.similarUsers ?? 0, x.baseline]),
        [
          ['persona+demos', 0, 'default'],
          ['persona+demos', 1, 'default'],
          ['persona+demos', 1, 'persona+demos'],
        ],
      );
      for (const x of out.comparisons) assert.ok(x.pHolm >= x.p && x.pHolm <= 1);
      assert.match(out.markdown, /\| persona\+demos \(similar users: 1\) \| persona\+demos \|/);
      assert.match(out.markdown, /Holm-corrected for 3 comparisons/);
      // The row's prompts read a neighbour; its run is another run than the plain row's, naming m and the model.
      const { header } = await readRun(join(dir, row.run));
      assert.deepEqual(header?.similarUsers, { m: 1, embedModel: 'embed-x' });
      assert.notEqual(row.run, out.cells[1]!.run);
      const judged = server.chats.filter((ch) => 'preference' in props(ch.request));
      assert.ok(judged.some((ch) => ch.request.messages[0]!.content.includes(SIMILAR_HEADING)));
      assert.ok(judged.some((ch) => !ch.request.messages[0]!.content.includes(SIMILAR_HEADING)));
      assert.ok((server.stats.byPath[embedPath] ?? 0) > 0, "users were embedded with the setting's model");
    });

    for (const missing of [false, 501] as const)
      test(`a server without embeddings (${missing === false ? '404' : '501'}) stops the run, saying what to do`, async () => {
        const bare = await start({ brain, models: [MODEL], embeddings: missing });
        try {
          const c = cli(dir);
          const code = await c.run(...evalOn(bare.url, '--no-cache'));
          assert.notEqual(code, 0);
          assert.match(c.err(), /no embedding of model "llama3\.1:8b"/);
          assert.match(c.err(), /--embed-model/);
          assert.match(c.err(), /--embeddings/);
          // Stopped before any judge call, and not retried (at most one request per user's text).
          assert.equal(bare.stats.chat, 0);
          const asked = bare.stats.byPath[embedPath] ?? 0;
          assert.ok(asked >= 1 && asked <= 4, `${asked} embedding requests`);
        } finally {
          await bare.close();
        }
      });
  });
}
