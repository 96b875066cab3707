// The nearest users of one user (issue 24 item 3, the Persona Inspector's list): the engine's nearestUsersOf finds
// the same neighbours a `--similar-users` run gives that user's prompt, says what each vector was made from, embeds
// only personas and context pairs (a test pair's text is never sent), and the webview protocol carries nothing else.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attachSimilarUsers, nearestUsersOf, similarPool, type PoolUser } from '../../src/core/eval/similar-eval';
import type { EvalUser } from '../../src/core/eval/evaluate';
import type { Embedder } from '../../src/core/llm/embeddings';
import type { UserEntry } from '../../src/core/data/workspace-index';
import type { Pair } from '../../src/core/data/pair';
import type { PersonaModel } from '../../src/core/method/persona-file';
import { isHostToInspector, isInspectorToHost } from '../../src/extension/protocol';
import { bagOfWords } from '../support/loopback-embed';

/** An embedder that answers with the loopback servers' bag of words, and remembers every text it was given. */
function fakeEmbedder(): Embedder & { seen: string[] } {
  const seen: string[] = [];
  return {
    model: 'bag-of-words',
    provider: 'ollama',
    baseUrl: 'http://127.0.0.1:1',
    seen,
    embed: async (texts) => texts.map((t) => (seen.push(t), bagOfWords(t))),
    cached: async () => undefined,
    counters: () => ({}) as ReturnType<Embedder['counters']>,
    dispose: async () => undefined,
  };
}

const pair = (user: string, id: string, text: string) =>
  ({
    userId: user,
    pairId: id,
    context: [{ role: 'user', content: text }],
    chosen: { role: 'assistant', content: `reply to ${text}` },
    rejected: { role: 'assistant', content: 'no' },
  }) as unknown as Pair;

const persona = (user: string, text: string) => ({ userId: user, persona: text, demos: [] }) as unknown as PersonaModel;

/** ada, bruno and cara have personas (two cooks, one coder); dov has none and asks about cooking. */
function pool(): PoolUser[] {
  return [
    { id: 'ada', persona: persona('ada', 'loves cooking soup and bread'), context: [] },
    { id: 'bruno', persona: persona('bruno', 'loves cooking soup and cake'), context: [] },
    { id: 'cara', persona: persona('cara', 'writes rust programs and compilers'), context: [] },
    { id: 'dov', context: [pair('dov', 'd1', 'cooking soup and bread tonight')] },
  ];
}

describe('nearest users of one user', () => {
  test('ranked by cosine, persona holders only, with what each vector was made from', async () => {
    const dov = await nearestUsersOf('dov', pool(), { m: 2, embedder: fakeEmbedder() });
    assert.equal(dov.embedded, 'context pairs');
    assert.deepEqual(
      dov.nearest.map((n) => [n.rank, n.userId, n.embedded]),
      [
        [1, 'ada', 'persona'],
        [2, 'bruno', 'persona'],
      ],
    );
    assert.ok(dov.nearest[0]!.similarity >= dov.nearest[1]!.similarity && dov.nearest[1]!.similarity > 0);
    const ada = await nearestUsersOf('ada', pool(), { m: 5, embedder: fakeEmbedder() });
    assert.equal(ada.embedded, 'persona');
    assert.deepEqual(
      ada.nearest.map((n) => n.userId),
      ['bruno', 'cara'],
      'not ada herself, not dov (no persona to give)',
    );
  });

  test('the same neighbours a --similar-users run gives the prompt', async () => {
    const users = pool().map((u) => ({ ...u, pairs: [], target: [] }) as unknown as EvalUser);
    await attachSimilarUsers(users, pool(), { m: 2, embedder: fakeEmbedder() });
    for (const u of users) {
      const one = await nearestUsersOf(u.id, pool(), { m: 2, embedder: fakeEmbedder() });
      assert.deepEqual(
        one.nearest.map((n) => [n.userId, n.similarity]),
        (u.similar ?? []).map((s) => [s.userId, s.similarity]),
        u.id,
      );
    }
  });

  test('a user with nothing to embed has no neighbours, and nothing is embedded for them', async () => {
    const embedder = fakeEmbedder();
    const r = await nearestUsersOf('eve', [...pool(), { id: 'eve', context: [] }], { m: 2, embedder });
    assert.deepEqual(r, { nearest: [] });
    assert.deepEqual(embedder.seen, []);
  });

  test('the pool embeds context pairs only: a test pair is never sent', async () => {
    const pairs = [pair('dov', 'c1', 'context question'), pair('dov', 't1', 'SECRET-TEST-PAIR question')];
    const entry = {
      id: 'dov',
      pairs,
      split: {
        assignment: new Map([
          ['c1', 'context'],
          ['t1', 'test'],
        ]),
      },
      problems: [],
    } as unknown as UserEntry;
    const read = await similarPool([entry], async () => undefined);
    assert.deepEqual(
      read[0]!.context.map((p) => p.pairId),
      ['c1'],
    );
    const embedder = fakeEmbedder();
    await nearestUsersOf('dov', read, { m: 1, embedder });
    assert.equal(embedder.seen.length, 1);
    assert.ok(!embedder.seen.join('\n').includes('SECRET-TEST-PAIR'));
  });

  test('the Persona Inspector asks for a user by id and shows only ranks, ids, similarities and what was embedded', () => {
    assert.ok(isInspectorToHost({ type: 'nearest', userId: 'ada' }));
    assert.ok(!isInspectorToHost({ type: 'nearest', userId: '' }));
    assert.ok(!isInspectorToHost({ type: 'nearest' }));
    const row = { rank: 1, userId: 'bruno', similarity: 0.5, embedded: 'persona' };
    const show = (nearest: unknown) => ({ type: 'show', userId: 'ada', persona: null, nearest });
    assert.ok(isHostToInspector(show({ userId: 'ada', embedModel: 'm', embedded: 'persona', users: [row] })));
    assert.ok(isHostToInspector(show({ userId: 'ada', users: [], message: 'No embedding model is set' })));
    assert.ok(!isHostToInspector(show({ userId: 'ada', users: [{ ...row, similarity: Number.NaN }] })));
    assert.ok(!isHostToInspector(show({ userId: 'ada', users: [{ ...row, embedded: 'test pairs' }] })));
    assert.ok(!isHostToInspector(show({ userId: 'ada', users: 'all' })));
  });
});
