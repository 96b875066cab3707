// Issue 20, class 3: a reflected Θ candidate carrying worked-example markup is rejected by a guard, and a
// cached bad answer never makes a search fail the same way forever. Before the guard, a reflection answer
// whose instructions held a malformed <worked_example> block went into every persona-synthesis prompt of
// the candidate, where parsing Θ failed and stopped the search; the answer was cached (at its seed), so
// every re-run replayed it and failed the same way. Through the CLI, against the loopback Ollama.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';
import { hashString } from '../../src/core/random';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const propsOf = (req: BrainRequest) => Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
const lastUser = (req: BrainRequest) => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** Worked-example markup a reflection model might copy into its answer: malformed (no user_id). */
const MARKUP =
  '\n\n<worked_example>\n<input>\nA pair.\n</input>\n<persona>\nPrefers brevity.\n</persona>\n</worked_example>';

/** Every reflection answer carries the markup; everything else is answered plainly. */
function brain(req: BrainRequest): string {
  const props = propsOf(req);
  if (props.includes('instructions')) {
    const user = lastUser(req);
    const parent =
      (/<current_instructions>\n([\s\S]*?)\n<\/current_instructions>/.exec(user) ??
        /<version_1>\n([\s\S]*?)\n<\/version_1>/.exec(user))?.[1] ?? '';
    return JSON.stringify({
      diagnosis: 'Too vague.',
      instructions: `${parent}\n\nWrite each preference as a statement that can be checked.${MARKUP}`,
    });
  }
  if (props.includes('persona'))
    return JSON.stringify({ reasoning: 'Some choices.', persona: 'A user who likes good answers.' });
  const pref = (hashString(lastUser(req)) >>> 16) & 1 ? 'A' : 'B';
  return JSON.stringify({ reasoning: 'I picked one.', preference: pref });
}

async function optimize(cwd: string, url: string): Promise<{ code: number; out: string; err: string }> {
  const c = cli(cwd);
  const code = await c.call(
    'theta',
    'optimize',
    'ws',
    '--base-url',
    url,
    '--k',
    '1',
    '--budget',
    '200',
    '--json',
    '--allow-few-users',
  );
  return { code, out: c.out(), err: c.err() };
}

describe('a reflected Θ carrying worked-example markup', () => {
  let server: LoopbackServer;
  const sim = simulatedWorkspace(1);
  before(async () => {
    server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('is rejected by the markup guard, and the search (and its cached re-run) completes', async () => {
    const first = await optimize(sim.dir, server.url);
    assert.equal(first.code, 0, first.err);
    const r = JSON.parse(first.out);
    assert.ok(r.candidates.rejected >= 1, JSON.stringify(r.candidates));
    const lineage = JSON.parse(readFileSync(join(sim.dir, r.lineage, 'lineage.json'), 'utf8')) as {
      candidates: { status: string; reason?: string }[];
    };
    const rejected = lineage.candidates.filter((c) => c.status === 'rejected');
    assert.ok(
      rejected.length >= 1 &&
        rejected.every((c) => /^markup: holds the tool's own markup \("<worked_example"\)/.test(c.reason ?? '')),
      JSON.stringify(rejected),
    );
    // The same answers again, from the cache: the same rejection, not a failure.
    server.reset();
    const again = await optimize(sim.dir, server.url);
    assert.equal(again.code, 0, again.err);
    assert.equal(server.stats.chat, 0);
    assert.deepEqual(JSON.parse(again.out).candidates, r.candidates);
  });
});
