// A budget is exact (issue 20, class 4): `theta optimize --budget N` against a loopback Ollama server that
// fails requests the way real servers do (a 429, a first byte that comes after the client's timeout)
// sends the server at most N requests, retries and timed-out requests included, and says how many it
// sent: the server's own count. Each distinct request fails twice before it is answered, so a search
// that counted only answered calls (as before) sent about three requests per call, past the budget.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoopbackOllama, type BrainRequest, type Fault, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';
import { hashString } from '../../src/core/random';

const propsOf = (req: BrainRequest) => Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
const lastUser = (req: BrainRequest) => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** Verdicts from the pair alone; the reflection model adds one sentence. */
function brain(req: BrainRequest): string {
  const props = propsOf(req);
  if (props.includes('instructions')) {
    const parent = /<current_instructions>\n([\s\S]*?)\n<\/current_instructions>/.exec(lastUser(req))?.[1] ?? '';
    return JSON.stringify({
      diagnosis: 'vague',
      instructions: `${parent}\n\nSay what the user wants (${hashString(`${req.seed}:${lastUser(req)}`) % 1000}).`,
    });
  }
  if (props.includes('persona'))
    return JSON.stringify({ reasoning: 'Some choices.', persona: 'A user who likes good answers.' });
  return JSON.stringify({ reasoning: 'I picked one.', preference: (hashString(lastUser(req)) >>> 16) & 1 ? 'A' : 'B' });
}

/**
 * Each distinct request: first a 429 (a short Retry-After, so the test does not wait), then, one in
 * sixteen, a first byte later than the client's 1 s timeout (else another 429), then the answer.
 */
function twiceFailing(): (req: BrainRequest) => Fault | undefined {
  const seen = new Map<string, number>();
  return (req) => {
    const key = `${req.model}\n${req.seed}\n${JSON.stringify(req.messages)}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n === 1) return { type: 'rate-limit', retryAfterMs: 20 };
    if (n === 2)
      return hashString(key) % 16 === 0
        ? { type: 'slow-first-byte', ms: 1500 }
        : { type: 'rate-limit', retryAfterMs: 20 };
    return undefined;
  };
}

async function optimize(server: LoopbackServer, budget: number) {
  const sim = simulatedWorkspace(1);
  const c = cli(sim.dir);
  const argv = [
    'theta',
    'optimize',
    'ws',
    '--base-url',
    server.url,
    '--k',
    '1',
    '--budget',
    String(budget),
    '--timeout',
    '1',
    '--json',
    '--allow-few-users',
  ];
  // A failed command prints its error object on stdout, then throws (run turns that into the exit code, as main does).
  const code = await c.run(...argv);
  return { code, out: c.out(), err: c.err() };
}

describe('theta optimize --budget with retries and timeouts', () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startLoopbackOllama({ brain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  for (const budget of [300, 160]) {
    test(`--budget ${budget}: the server receives at most ${budget} requests, and the count said is the server's`, async () => {
      server.reset();
      server.options.faultFor = twiceFailing();
      const r = await optimize(server, budget);
      const received = server.stats.chat;
      console.log(
        `--budget ${budget}: exit ${r.code}, ${received} request(s) received, ${server.stats.clientAborts} timed out`,
      );
      assert.ok(received <= budget, `${received} requests reached the server with --budget ${budget}`);
      assert.ok(server.stats.clientAborts > 0, 'no request timed out: the test proves nothing about timeouts');
      if (r.code === 0) {
        const json = JSON.parse(r.out);
        assert.equal(json.serverCalls, received);
        assert.ok(json.calls <= budget);
      } else {
        // Stopped on the budget: incomplete, resumable, and its count said on the way out.
        assert.equal(r.code, 1, r.err);
        assert.equal(JSON.parse(r.out).error.kind, 'budget', r.out);
        assert.match(r.out, /budget of \d+ request\(s\) to the server is spent.*run the same command again to resume/);
      }
      const said = /theta: (\d+) request\(s\) sent to the server of a budget of/.exec(r.err);
      if (r.code !== 0) assert.equal(Number(said?.[1]), received, r.err);
    });
  }
});
