// Issue 23: Θ optimization checks its users before it spends anything, stops proposing when the reflection
// model is stuck on one text, and gives the likely calls beside the bound; the fit's dry run too. Through the
// CLI against the loopback Ollama server and the six simulated users (two held out: fewer than the six an
// adoption needs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { samplePair } from '../support/pair-fixture';
import { cli } from './revalidate-fixture';
import { hashString } from '../../src/core/random';
import { planSearch } from '../../src/core/theta/plan';
import type { ThetaUserData } from '../../src/core/theta/user-splits';
import { REPEATS_TO_STOP } from '../../src/core/theta/search';

const propsOf = (req: BrainRequest) => Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
const lastUser = (req: BrainRequest) => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** The same rewrite every time, which the format guard rejects (it states an output format). */
const STUCK =
  'Describe the user in a JSON object with their preferences, one per line, each stated so a judge can check it.';

/** Verdicts from the pair alone; every reflection answers the one stuck text. */
function stuckBrain(req: BrainRequest): string {
  const props = propsOf(req);
  if (props.includes('instructions')) return JSON.stringify({ diagnosis: 'Vague personas.', instructions: STUCK });
  if (props.includes('persona'))
    return JSON.stringify({ reasoning: 'Some choices.', persona: 'A user of the assistant who likes good answers.' });
  return JSON.stringify({ reasoning: 'I picked one.', preference: (hashString(lastUser(req)) >>> 16) & 1 ? 'A' : 'B' });
}

async function call(dir: string, ...argv: string[]) {
  const c = cli(dir);
  const code = await c.call(...argv);
  return { code, out: c.out(), err: c.err() };
}

/** A command that fails: its exit code and what it said (run turns a thrown error into the code, as main does). */
async function failing(dir: string, ...argv: string[]) {
  const c = cli(dir);
  const code = await c.run(...argv);
  return { code, out: c.out(), err: c.err() };
}

describe('theta optimize: too few users, stuck proposals, likely calls', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({ brain: stuckBrain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());
  const args = (url: string) => ['theta', 'optimize', 'ws', '--base-url', url, '--k', '1', '--budget', '300'];

  test('too few users for an adoption: refused before any request, naming --allow-few-users', async () => {
    const w = simulatedWorkspace(1);
    server.reset();
    const r = await failing(w.dir, ...args(server.url));
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.out + r.err,
      /theta optimize: only \d held-out user\(s\): no Θ can be adopted, .*Nothing was sent; to run anyway, add --allow-few-users/,
    );
    assert.equal(server.stats.chat, 0);
    assert.equal(server.stats.requests, 0, JSON.stringify(server.stats.byPath));
    assert.ok(!existsSync(join(w.ws, '.synthesizeme', 'theta')), 'a refused run wrote a lineage');
    const help = await call(w.dir, 'theta', '--help');
    assert.match(
      help.out,
      /--allow-few-users {10}run even when the users are too few for any candidate ever to be adopted/,
    );
  });

  test('a reflection model stuck on one rejected text: the search stops after a bounded run of repeats', async () => {
    const w = simulatedWorkspace(1);
    server.reset();
    const r = await call(w.dir, ...args(server.url), '--json', '--allow-few-users');
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    const reflections = server.chats.filter((c) => propsOf(c.request).includes('instructions')).length;
    // The first one is new (rejected by the format guard), then REPEATS_TO_STOP repeats of it end the search.
    assert.equal(reflections, 1 + REPEATS_TO_STOP, `${reflections} reflection calls`);
    assert.match(out.stopped, /^the last 5 proposals were rejected and repeat earlier candidates/);
    // The same command again retraces the run from the cache, and its summary says why it stopped.
    const again = await call(w.dir, ...args(server.url), '--allow-few-users');
    assert.match(again.out, /^ {2}stopped early: the last 5 proposals were rejected and repeat earlier candidates/m);
    assert.ok(out.calls < 300 - out.plan.finalCheck - out.plan.step, `${out.calls} calls: it did not stop early`);
    assert.equal(out.accepted, false);
  });

  test('the dry run gives the likely calls beside the bound (budget less half a step and the held-out check)', async () => {
    const w = simulatedWorkspace(2);
    const dry = await call(w.dir, ...args(server.url), '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const e = JSON.parse(dry.out);
    assert.equal(e.calls, 300);
    assert.equal(e.likelyCalls, 300 - Math.ceil(e.plan.step / 2) - e.plan.finalCheck);
    const text = await call(w.dir, ...args(server.url), '--dry-run');
    assert.match(text.out, new RegExp(`^Dry run: likely ${e.likelyCalls}, at most 300 call\\(s\\) \\(the budget\\)`));
  });
});

/** A user fit for the search: two context pairs, two validation and two test pairs. */
function user(id: string): ThetaUserData {
  const p = (split: 'context' | 'validation' | 'test', i: number) =>
    samplePair({ userId: id, pairId: `${id}-${split}-${i}`, split });
  return {
    id,
    context: [p('context', 0), p('context', 1)],
    validation: [p('validation', 0), p('validation', 1)],
    test: [p('test', 0), p('test', 1)],
  };
}

describe('the Θ plan says what too few users cannot do', () => {
  test('three users: one selection user and one held out, both said before any call', () => {
    const plan = planSearch(['a', 'b', 'c'].map(user), { budget: 2000, k: 1, seed: 1 });
    assert.equal(plan.roles.selection.length, 1);
    assert.equal(plan.roles.heldOut.length, 1);
    assert.equal(plan.notes.length, 2, plan.notes.join('\n'));
    assert.match(plan.notes[0]!, /^only 1 held-out user\(s\): no Θ can be adopted/);
    assert.match(plan.notes[1]!, /^only 1 selection user\(s\): the best candidate is chosen on one user's judgments/);
  });

  test('sixteen users: nothing to say', () => {
    const users = Array.from({ length: 16 }, (_, i) => user(`u${i}`));
    assert.deepEqual(planSearch(users, { budget: 100000, k: 1, seed: 1 }).notes, []);
  });
});

describe('fit --dry-run: likely beside the bound', () => {
  test('"likely N, at most M", N below M, in text and JSON', async () => {
    const w = simulatedWorkspace(1);
    const json = await call(w.dir, 'fit', 'ws', '--all', '--dry-run', '--json', '--base-url', 'http://127.0.0.1:9');
    assert.equal(json.code, 0, json.err);
    const e = JSON.parse(json.out);
    assert.ok(e.likelyCalls > 0 && e.likelyCalls < e.upperBound.calls, JSON.stringify(e));
    const text = await call(w.dir, 'fit', 'ws', '--all', '--dry-run', '--base-url', 'http://127.0.0.1:9');
    assert.match(
      text.out,
      new RegExp(
        `^Dry run: fitting 6 user\\(s\\) costs likely ${e.likelyCalls}, at most ${e.upperBound.calls} call\\(s\\)`,
      ),
    );
  });
});
