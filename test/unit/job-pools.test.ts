// The jobs that prepare users side by side (a Θ re-validation's first stages and personas, a Θ search's
// first stages) run them in the engine's one work pool (src/core/work-pool.ts): a fatal error in one
// user's calls stops the other users' calls in flight and starts no more. Before, the first error ended
// the job while the other users' calls went on in the background, spending calls nobody would read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatModel, ChatRequest, ChatResult } from '../../src/core/llm/types';
import { openWorkspace, pairsBySplit } from '../../src/core/workspace/open-workspace';
import { prepareRevalidation, runRevalidation } from '../../src/core/eval/revalidate';
import { planSearch } from '../../src/core/theta/plan';
import { searchTheta } from '../../src/core/theta/search';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { simulatedWorkspace } from '../support/sim-workspace';
import { workspace } from './revalidate-fixture';

const ANSWER = JSON.stringify({ reasoning: 'r', preference: 'A', persona: 'Likes short answers.', facts: [] });

/**
 * A model whose first call fails the way a server that went down does (a fatal error), a little after
 * the other calls started; every other call waits for its signal (a slow server) and counts the abort.
 */
class ServerDownModel implements ChatModel {
  readonly provider = 'ollama' as const;
  readonly model = 'counting';
  calls = 0;
  aborted = 0;
  async chat(_request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    if (++this.calls === 1) {
      await sleep(30);
      throw Object.assign(new Error('connection refused: the server is down'), { kind: 'connection' });
    }
    try {
      await sleep(1500, undefined, signal ? { signal } : {});
    } catch {
      this.aborted++;
      throw Object.assign(new Error('Cancelled.'), { name: 'AbortError', kind: 'aborted' });
    }
    const json: unknown = JSON.parse(ANSWER);
    return {
      text: ANSWER,
      json,
      usage: { promptTokens: 1, completionTokens: 1 },
      latencyMs: 1,
      cached: false,
      model: 'x',
    };
  }
}

/** After the job failed: the other users' calls in flight were stopped, and no call starts later. */
async function assertStopped(model: ServerDownModel, run: Promise<unknown>) {
  await assert.rejects(run, /the server is down/);
  assert.ok(model.calls > 1, 'other users were being prepared when the server went down');
  assert.ok(model.aborted > 0, `the calls in flight were stopped (${model.aborted} of ${model.calls - 1})`);
  const after = model.calls;
  await sleep(100);
  assert.equal(model.calls, after, 'no call starts after the job failed');
}

test('a Θ re-validation: a fatal error in one user stops the other users in flight', async () => {
  const { ws: root } = workspace();
  mkdirSync(join(root, 'prompts'), { recursive: true });
  writeFileSync(
    join(root, 'prompts', 'persona-synthesis.prompt.md'),
    DEFAULT_PROMPTS['persona-synthesis'] + '\nMore.\n',
  );
  const ws = await openWorkspace(root);
  const plan = await prepareRevalidation({
    ws,
    target: { kind: 'prompt', name: 'persona-synthesis' },
    users: ws.index.users(),
    split: 'validation',
    temperature: 0,
  });
  assert.equal(plan.groups[0]?.users.length, 2, 'two users to prepare side by side');
  const model = new ServerDownModel();
  await assertStopped(model, runRevalidation(plan, { model }));
});

test('a Θ search: a fatal error in one user’s first stage stops the other first stages in flight', async () => {
  const sim = simulatedWorkspace(1);
  const ws = await openWorkspace(sim.ws);
  const users = ws.index.users().map((u) => ({ id: u.id, ...pairsBySplit(u) }));
  const plan = planSearch(users, { budget: 300, k: 1, seed: ws.split.seed });
  const prompt = (name: 'bootstrap' | 'persona-synthesis' | 'judge') => ({
    name,
    text: DEFAULT_PROMPTS[name],
    hash: name,
  });
  const model = new ServerDownModel();
  const search = searchTheta({
    model,
    users,
    plan,
    prompts: { bootstrap: prompt('bootstrap'), personaSynthesis: prompt('persona-synthesis'), judge: prompt('judge') },
    temperature: 0,
    seed: ws.split.seed,
    k: 1,
    stopScore: 1,
    budget: 300,
    merge: false,
  });
  await assertStopped(model, search);
});
