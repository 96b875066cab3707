// vLLM's prefix cache serves whole blocks of a prompt's leading tokens (docs/design/prefix_caching.md): a user's
// calls reuse their persona and demonstrations only when everything before the pair is the same, byte for byte.
// Through the CLI's fit and eval against the loopback server's vLLM mode, for every method whose judge has a
// personal prefix: the request bodies of one user's test pairs are identical up to the pair's own message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRewardMethod, METHODS } from '../../src/core/method';
import { startLoopbackVllm } from '../support/loopback-openai';
import type { RecordedChat } from '../support/loopback-llm';
import { cli, ignoringBrain } from './revalidate-fixture';

const MODEL = 'Qwen/Qwen3-8B';
const USERS = ['ada', 'bruno'];

function workspaceWithDemographics(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sm-prefix-'));
  mkdirSync(join(dir, 'ws'));
  const lines: string[] = [];
  for (const user of USERS)
    for (let i = 0; i < 24; i++)
      lines.push(
        JSON.stringify({
          user_id: user,
          pair_id: `${user}-${i}`,
          context: [{ role: 'user', content: `Question ${i} from ${user}: how do I do thing ${i}?` }],
          chosen: `Reply ${i}: short.`,
          rejected: `Reply ${i}: a long answer that circles the question.`,
          demographics: { age: '30-39', country: user === 'ada' ? 'Portugal' : 'Chile' },
        }),
      );
  writeFileSync(join(dir, 'ws', 'prefs.jsonl'), lines.join('\n') + '\n');
  return dir;
}

const schemaName = (c: RecordedChat) =>
  (c.body['response_format'] as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;

/** The serialized body up to the last message (the pair's own), and the pair's id found in that message. */
function prefixOf(chat: RecordedChat): { prefix: string; pair: string } {
  const body = JSON.stringify(chat.body);
  const messages = chat.body['messages'] as { content: string }[];
  const last = JSON.stringify(messages[messages.length - 1]);
  const cut = body.lastIndexOf(last);
  assert.ok(cut > 0, 'the pair is the last message');
  const pair = /Question (\d+) from/.exec(messages[messages.length - 1]!.content)?.[1] ?? '?';
  return { prefix: body.slice(0, cut), pair };
}

/** Each user's judge calls of a run, by pair: their prefixes must be one. */
export function assertStablePrefixes(chats: readonly RecordedChat[], what: string): number {
  let compared = 0;
  for (const user of USERS) {
    const mine = chats.filter((c) => (c.request.messages.at(-1)?.content ?? '').includes(`from ${user}:`));
    const byPrefix = new Map<string, Set<string>>();
    for (const c of mine) {
      const { prefix, pair } = prefixOf(c);
      byPrefix.set(prefix, (byPrefix.get(prefix) ?? new Set()).add(pair));
    }
    const pairs = new Set(mine.map((c) => prefixOf(c).pair));
    assert.ok(pairs.size >= 2, `${what}: ${user} has calls for two pairs at least`);
    assert.equal(byPrefix.size, 1, `${what}: ${user}'s calls for ${pairs.size} pairs have ${byPrefix.size} prefixes`);
    compared += mine.length;
  }
  return compared;
}

describe('a user’s prompts share their prefix byte for byte', () => {
  test('fit, then eval with every method: one prefix per user and method, the pair only in the last message', async () => {
    const dir = workspaceWithDemographics();
    const server = await startLoopbackVllm({ models: [MODEL], brain: ignoringBrain, vllm: { version: '0.11.0' } });
    const model = ['--provider', 'openai', '--model', MODEL, '--base-url', server.url];
    try {
      const fit = cli(dir);
      assert.equal(await fit.run('fit', 'ws', '--all', '--k', '2', ...model), 0, fit.err());
      // The reward-model methods send no chat prompt (a served scorer, reward.ts): no prefix of theirs to share.
      const personal = METHODS.filter((m) => m !== 'default' && !isRewardMethod(m));
      for (const method of personal) {
        const from = server.chats.length;
        const run = cli(dir);
        assert.equal(
          await run.run('eval', 'ws', '--all', '--method', method, '--json', '--no-cache', ...model),
          0,
          run.err(),
        );
        // The judge's calls: the memory method's one extraction per user shows many pairs at once, and is no judge.
        const judged = server.chats.slice(from).filter((c) => schemaName(c) !== 'memory');
        assert.ok(assertStablePrefixes(judged, method) >= 4, method);
      }
      // What the server's cache made of it: a user's later calls are served their prefix.
      assert.ok(server.vllm.prefixCache.hits > 0);
    } finally {
      await server.close();
    }
  });

  test('the check fails when something of the pair (its id, a time) reaches the shared part', async () => {
    const chats = USERS.flatMap((user, u) =>
      [1, 2].map((i, k): RecordedChat => ({
        index: u * 2 + k,
        path: '/v1/chat/completions',
        headers: {},
        receivedAt: 0,
        request: {
          protocol: 'openai',
          model: MODEL,
          stream: false,
          messages: [
            { role: 'system', content: `Judge for ${user}. Pair ${user}-${i}.` },
            { role: 'user', content: `Question ${i} from ${user}: which?` },
          ],
        },
        body: {
          model: MODEL,
          messages: [
            { role: 'system', content: `Judge for ${user}. Pair ${user}-${i}.` },
            { role: 'user', content: `Question ${i} from ${user}: which?` },
          ],
        },
      })),
    );
    assert.throws(() => assertStablePrefixes(chats, 'planted'), /2 prefixes/);
  });
});
