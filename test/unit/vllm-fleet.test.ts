// What the tool sends a vLLM server beyond OpenAI's API, against the loopback server's vLLM mode
// (test/support/loopback-vllm.ts): a prefix-cache salt per user, and verdicts constrained to their letters,
// each only to a version that takes it (vLLM ignores a field it does not know, with a 200), and never to
// OpenAI, llama-server or Ollama.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlm, type Llm } from '../../src/core/llm/client';
import { judgePair, judgeSystem } from '../../src/core/method';
import type { Pair } from '../../src/core/data/pair';
import { startLoopbackOpenAI, startLoopbackVllm } from '../support/loopback-openai';
import { startLoopbackOllama } from '../support/loopback-ollama';
import type { LoopbackServer } from '../support/loopback-llm';

const MODEL = 'Qwen/Qwen3-8B';
const SYSTEM = 'You judge replies for one user. '.repeat(40);

function pair(userId: string, i: number): Pair {
  return {
    userId,
    pairId: `${userId}-${i}`,
    context: [{ role: 'user', content: `Question ${i}: how do I sort a list?` }],
    chosen: { role: 'assistant', content: `Use sorted(), reply ${i}.` },
    rejected: { role: 'assistant', content: `A long essay on sorting, reply ${i}.` },
    source: { file: 'prefs.jsonl', line: i + 1 },
  } as Pair;
}

function llmFor(server: LoopbackServer, logs: string[] = [], model = MODEL): Llm {
  return createLlm(
    { provider: 'openai', baseUrls: [server.url], model },
    { noCache: true, saltScope: '/work/ws-a', log: (_l, m) => logs.push(m), retry: { baseDelayMs: 5, maxDelayMs: 10 } },
  );
}

const ask = (llm: Llm, user: string, content = 'Which reply, A or B?') =>
  llm.chat({
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content },
    ],
    temperature: 0,
    affinity: user,
  });

describe('cache_salt: one salt per user, to vLLM only', () => {
  test('vLLM 0.11 gets a salt per user: the same for one user, another for the next, never the id itself', async () => {
    const server = await startLoopbackVllm({ models: [MODEL], brain: () => 'A', vllm: { version: '0.11.0' } });
    const logs: string[] = [];
    const llm = llmFor(server, logs);
    try {
      await ask(llm, 'alice@example.org', 'first');
      await ask(llm, 'alice@example.org', 'second');
      await ask(llm, 'bob', 'first');
      const salts = server.chats.map((c) => c.body['cache_salt']);
      assert.equal(typeof salts[0], 'string');
      assert.equal((salts[0] as string).length, 43, '256 bits in base64url');
      assert.equal(salts[0], salts[1]);
      assert.notEqual(salts[0], salts[2]);
      for (const s of salts) assert.ok(!String(s).includes('alice') && !String(s).includes('bob'));
      assert.deepEqual(server.vllm.ignoredFields, [], 'nothing was sent that this version ignores');
      assert.ok(
        logs.some((m) => m.includes('is vLLM 0.11.0')),
        logs.join('\n'),
      );
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test("a user's prompts share their cached prefix, another user's identical prompts do not", async () => {
    const server = await startLoopbackVllm({ models: [MODEL], brain: () => 'A', vllm: { version: '0.11.0' } });
    const llm = llmFor(server);
    try {
      const a1 = await ask(llm, 'alice', 'first');
      const a2 = await ask(llm, 'alice', 'second');
      const b1 = await ask(llm, 'bob', 'first');
      assert.equal(a1.usage.cachedPromptTokens ?? 0, 0);
      assert.ok((a2.usage.cachedPromptTokens ?? 0) > 200, JSON.stringify(a2.usage));
      assert.equal(
        b1.usage.cachedPromptTokens ?? 0,
        0,
        "bob's identical system prompt is not served from alice's blocks",
      );
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('an older vLLM (0.8.5), which would ignore it, gets no salt; a call without a user gets none either', async () => {
    const server = await startLoopbackVllm({ models: [MODEL], brain: () => 'A', vllm: { version: '0.8.5' } });
    const llm = llmFor(server);
    try {
      await ask(llm, 'alice');
      await llm.chat({ messages: [{ role: 'user', content: 'no user' }], temperature: 0 });
      assert.ok(server.chats.every((c) => !('cache_salt' in c.body)));
      assert.deepEqual(server.vllm.ignoredFields, []);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('OpenAI (strict about unknown fields), llama-server and Ollama get no salt', async () => {
    const openai = await startLoopbackOpenAI({ brain: () => 'A', strictParams: true });
    const llamacpp = await startLoopbackOpenAI({
      brain: () => 'A',
      models: ['gemma'],
      meta: { gemma: { size: 1, n_params: 2 } },
    });
    const ollama = await startLoopbackOllama({ brain: () => 'A' });
    const models = [
      createLlm({ provider: 'openai', baseUrls: [openai.url], model: 'gpt-4o-mini' }, { noCache: true }),
      createLlm({ provider: 'openai', baseUrls: [llamacpp.url], model: 'gemma' }, { noCache: true }),
      createLlm({ provider: 'ollama', baseUrls: [ollama.url], model: 'llama3.1:8b' }, { noCache: true }),
    ];
    try {
      for (const llm of models) await ask(llm, 'alice');
      for (const s of [openai, llamacpp, ollama]) {
        assert.ok(s.stats.chat >= 1);
        for (const c of s.chats) assert.ok(!JSON.stringify(c.body).includes('salt'), JSON.stringify(c.body));
      }
    } finally {
      await Promise.all(models.map((m) => m.dispose()));
      await Promise.all([openai.close(), llamacpp.close(), ollama.close()]);
    }
  });

  test('a proxy in front of vLLM that refuses the field: the call goes again without it, and later ones never carry it', async () => {
    const server = await startLoopbackVllm({
      models: [MODEL],
      brain: () => 'A',
      strictParams: true,
      vllm: { version: '0.11.0' },
    });
    const llm = llmFor(server);
    try {
      const r = await ask(llm, 'alice');
      assert.equal(r.text, 'A');
      const first = server.chats.length;
      assert.ok(
        server.chats.some((c) => 'cache_salt' in c.body),
        'sent, and refused',
      );
      await ask(llm, 'alice', 'again');
      assert.equal(server.chats.length, first + 1, 'the next call goes once');
      assert.ok(!('cache_salt' in server.chats[first]!.body));
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});

describe('choice-constrained verdicts: the letter alone, constrained where the server can', () => {
  const letterSystem = judgeSystem('Judge for this user.', { persona: 'Likes short answers.' }, 'letter');
  const judge = (llm: Llm, userId = 'alice') =>
    judgePair(llm, letterSystem, pair(userId, 1), { temperature: 0, letterOnly: true });

  for (const [version, field] of [
    ['0.11.0', 'structured_outputs'],
    ['0.12.0', 'structured_outputs'],
    ['0.10.1.1', 'guided_choice'],
  ] as const) {
    test(`vLLM ${version}: ${field}, no JSON schema, and the answer is one letter`, async () => {
      // The model would ramble; the constraint makes it a letter.
      const server = await startLoopbackVllm({
        models: [MODEL],
        brain: () => 'I think the better reply is B, because it is short.',
        vllm: { version },
      });
      const llm = llmFor(server);
      try {
        const v = await judge(llm);
        for (const c of server.chats) {
          assert.equal(c.body['response_format'], undefined);
          const choice =
            field === 'structured_outputs'
              ? (c.body['structured_outputs'] as { choice?: unknown })?.choice
              : c.body['guided_choice'];
          assert.deepEqual(choice, ['A', 'B']);
          assert.ok(!((field === 'structured_outputs' ? 'guided_choice' : 'structured_outputs') in c.body));
        }
        assert.deepEqual(
          v.orders.map((o) => o.preference),
          ['B', 'B'],
        );
        assert.deepEqual(server.vllm.ignoredFields, []);
        const system = server.chats[0]!.request.messages[0]!.content;
        assert.match(String(system), /only the letter "A" or the letter "B"/);
        assert.doesNotMatch(String(system), /JSON/);
      } finally {
        await llm.dispose();
        await server.close();
      }
    });
  }

  test('a vLLM behind a proxy without /version: the current field, and its answer still read', async () => {
    const server = await startLoopbackVllm({
      models: [MODEL],
      brain: () => 'B',
      vllm: { version: '0.11.0', versionRoute: false },
    });
    const llm = llmFor(server);
    try {
      const v = await judge(llm);
      assert.deepEqual(
        v.orders.map((o) => o.preference),
        ['B', 'B'],
      );
      assert.deepEqual((server.chats[0]!.body['structured_outputs'] as { choice: unknown }).choice, ['A', 'B']);
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('any other server: no constraint field, the letter read from the text', async () => {
    const server = await startLoopbackOpenAI({ brain: () => 'The answer is B.', strictParams: true });
    const llm = createLlm({ provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini' }, { noCache: true });
    try {
      const v = await judge(llm);
      assert.deepEqual(
        v.orders.map((o) => o.preference),
        ['B', 'B'],
      );
      for (const c of server.chats) {
        assert.ok(!('structured_outputs' in c.body) && !('guided_choice' in c.body) && !('response_format' in c.body));
        assert.equal(c.body['max_tokens'], 32, 'a small cap: the answer is a letter');
      }
    } finally {
      await llm.dispose();
      await server.close();
    }
  });

  test('verdicts with reasoning keep their JSON schema, on vLLM too', async () => {
    const server = await startLoopbackVllm({
      models: [MODEL],
      brain: () => JSON.stringify({ reasoning: 'short wins', preference: 'A' }),
      vllm: { version: '0.11.0' },
    });
    const llm = llmFor(server);
    try {
      await judgePair(llm, judgeSystem('Judge for this user.', {}), pair('alice', 1), { temperature: 0 });
      for (const c of server.chats) {
        assert.ok(!('structured_outputs' in c.body));
        assert.equal((c.body['response_format'] as { type: string }).type, 'json_schema');
      }
    } finally {
      await llm.dispose();
      await server.close();
    }
  });
});
