// `synthesizeme theta optimize` end to end, through the CLI, against the loopback Ollama server and
// simulated users (TESTING.md section 2). The brains here read the real prompts the engine sent:
//   - one that ignores instructions (its verdicts depend on the pair alone): no Θ can do better, so
//     the search must spend at most its budget and adopt nothing;
//   - one for which Θ matters: only a Θ that asks for the choices' "deciding quality" makes the
//     persona writer state what the user wants (the simulated brain's own persona synthesis);
//     otherwise it writes a generic persona. Its reflection model sometimes proposes that
//     instruction. The search must find it, pass the held-out check and adopt it.
// A brain that rewards one phrase simulates a competent model; it does not measure one.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { adaptBrain } from '../support/brain-adapter';
import { simulatedBrain } from '../support/simulated-brain';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';
import { hashString } from '../../src/core/random';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';

async function theta(cwd: string, argv: string[], signal?: AbortSignal): Promise<any> {
  const c = cli(cwd, { signal });
  // Six users hold out fewer than an adoption needs: these runs go on by choice (--allow-few-users).
  const code = await c.call('theta', 'optimize', ...argv, '--json', '--allow-few-users');
  assert.equal(code, 0, c.err());
  return { ...JSON.parse(c.out()), stderr: c.err() };
}

const MARKER = /\bdeciding quality\b/i;
const MARKER_SENTENCE =
  'Name the deciding quality of the choices: the one that most often separated the preferred reply from the other, in plain words.';
const NEUTRAL = [
  'Write each preference as a statement that can be checked against a new reply.',
  'Say what the user seems indifferent to, so that it is not mistaken for a preference.',
  'Open the list with the preference the evidence supports most strongly.',
];

const propsOf = (req: BrainRequest) => Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
const lastUser = (req: BrainRequest) => [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';

/** A simulated reflection model: the parent's text plus one sentence, the marker one time in four. */
function reflection(
  req: BrainRequest,
  extra: (req: BrainRequest, parent: string) => string | undefined = () => undefined,
): string {
  const user = lastUser(req);
  const parent =
    (/<current_instructions>\n([\s\S]*?)\n<\/current_instructions>/.exec(user) ??
      /<version_1>\n([\s\S]*?)\n<\/version_1>/.exec(user))?.[1] ?? '';
  const special = extra(req, parent);
  if (special !== undefined) return JSON.stringify({ diagnosis: 'special', instructions: special });
  const h = hashString(`${req.seed}:${user}`);
  const add = h % 4 === 0 ? MARKER_SENTENCE : NEUTRAL[h % NEUTRAL.length]!;
  const text = parent.includes(add) ? parent : `${parent}\n\n${add}`;
  return JSON.stringify({ diagnosis: 'The personas were too vague for the judge to apply.', instructions: text });
}

/** Verdicts from the pair alone: nothing in the instructions or the persona changes them. */
function ignoringBrain(req: BrainRequest): string {
  const props = propsOf(req);
  if (props.includes('instructions')) return reflection(req);
  if (props.includes('persona'))
    return JSON.stringify({ reasoning: 'Some choices.', persona: 'A user of the assistant who likes good answers.' });
  // High bits: FNV-1a's lowest bit is the parity of the text's characters, the same in both orders.
  const pref = (hashString(lastUser(req)) >>> 16) & 1 ? 'A' : 'B';
  return JSON.stringify({ reasoning: 'I picked one.', preference: pref });
}

/** Θ matters: only with the marker does the persona writer say what the user wants. */
function markerBrain(extra?: (req: BrainRequest, parent: string) => string | undefined) {
  const sim = adaptBrain(simulatedBrain({ noise: 0 }));
  return (req: BrainRequest): string => {
    const props = propsOf(req);
    if (props.includes('instructions')) return reflection(req, extra);
    if (props.includes('persona') && !MARKER.test(req.messages[0]?.content ?? '')) {
      return JSON.stringify({
        reasoning: 'The choices vary.',
        persona: 'This user seems to judge replies case by case, as a thoughtful typical user would.',
      });
    }
    return sim(req) as string;
  };
}

function freshWorkspace(): { dir: string; ws: string } {
  const sim = simulatedWorkspace(1);
  return { dir: sim.dir, ws: sim.ws };
}

function copyWorkspace(from: { dir: string }): { dir: string; ws: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-theta-'));
  cpSync(join(from.dir, 'ws'), join(dir, 'ws'), { recursive: true });
  return { dir, ws: join(dir, 'ws') };
}

const thetaFile = (ws: string) => join(ws, 'prompts', 'persona-synthesis.prompt.md');

describe('theta optimize with a brain that ignores instructions', () => {
  let server: LoopbackServer;
  const w = freshWorkspace();
  const args = () => ['ws', '--base-url', server.url, '--k', '1', '--budget', '300'];

  before(async () => {
    server = await startLoopbackOllama({ brain: ignoringBrain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('--dry-run makes no calls and gives the estimate', async () => {
    const r = await theta(w.dir, [...args(), '--dry-run']);
    assert.equal(server.stats.chat, 0);
    assert.equal(r.calls, 300);
    assert.ok(r.plan.firstStageBound > 0 && r.plan.step > 0 && r.plan.finalCheck > 0, JSON.stringify(r.plan));
    assert.ok(r.users.reflection.length >= 1 && r.users.selection.length >= 1 && r.users.heldOut.length >= 1);
    assert.ok(r.promptTokens > 0);
    assert.ok(!existsSync(join(w.ws, '.synthesizeme', 'theta')), 'a dry run wrote a lineage');
    // Six users hold out fewer than the six an adoption needs: said before any budget is spent.
    assert.ok(r.users.heldOut.length < 6);
    assert.match(
      r.notes.join('\n'),
      /^only \d held-out user\(s\): no Θ can be adopted, since a gain for users in general needs at least 6/,
    );
    assert.match(r.stderr, /^note: theta: only \d held-out user\(s\)/m);
  });

  test('the search keeps to its budget and adopts nothing', async () => {
    const before = readFileSync(thetaFile(w.ws), 'utf8');
    server.reset();
    const r = await theta(w.dir, args());
    console.log(
      `ignoring brain: ${r.calls} calls of 300 (${server.stats.chat} at the server), ${r.steps} steps, ${r.candidates.total} candidates: ${r.reason}`,
    );
    assert.ok(server.stats.chat <= 300, `${server.stats.chat} server calls`);
    assert.equal(r.serverCalls, server.stats.chat);
    // Spent up to what is set aside for the held-out check (unused: nothing to check) and less than one more step.
    assert.ok(
      r.calls <= 300 && r.calls > 300 - r.plan.finalCheck - r.plan.step,
      `only ${r.calls} of 300 calls used (${JSON.stringify(r.plan)})`,
    );
    assert.ok(r.steps >= 2 && r.candidates.total >= 3, JSON.stringify(r.candidates));
    assert.equal(r.accepted, false);
    assert.equal(r.adopted, false);
    assert.match(r.reason, /^not adopted/);
    assert.equal(r.best.candidate, 0);
    assert.equal(readFileSync(thetaFile(w.ws), 'utf8'), before);
    // The lineage: every candidate, its parent, its scores per user, and the report.
    const lineage = JSON.parse(readFileSync(join(w.dir, r.lineage, 'lineage.json'), 'utf8'));
    assert.equal(lineage.candidates.length, r.candidates.total);
    for (const c of lineage.candidates) {
      assert.ok(existsSync(join(w.dir, r.lineage, c.file)));
      if (c.id > 0) assert.ok(c.parents.length >= 1);
    }
    assert.ok(Object.keys(lineage.candidates[0].scores).length >= 2);
    const report = readFileSync(join(w.dir, r.report), 'utf8');
    assert.match(report, /\*\*Not adopted\.\*\*/);
    assert.match(report, /\| # \| parent\(s\) \|/);
  });

  test('a second identical run makes no new server calls and retraces the first', async () => {
    const first = await theta(w.dir, args());
    server.reset();
    const again = await theta(w.dir, args());
    assert.equal(server.stats.chat, 0);
    assert.equal(again.serverCalls, 0);
    assert.equal(again.cacheHits, again.calls);
    const same = (x: any) => ({
      calls: x.calls,
      steps: x.steps,
      candidates: x.candidates,
      best: x.best.hash,
      lineage: x.lineage,
    });
    assert.deepEqual(same(again), same(first));
  });
});

/** Verdicts at random from the whole prompt: every persona changes them, none improves them. */
function coinBrain(req: BrainRequest): string {
  const props = propsOf(req);
  if (props.includes('instructions')) return reflection(req);
  if (props.includes('persona'))
    return JSON.stringify({
      reasoning: 'Some choices.',
      persona: `A user (${hashString(req.messages[0]!.content) % 997}) who likes good answers.`,
    });
  const pref = (hashString(req.messages.map((m) => m.content).join('\n')) >>> 16) & 1 ? 'A' : 'B';
  return JSON.stringify({ reasoning: 'A coin.', preference: pref });
}

describe('theta optimize with a brain that answers at random', () => {
  let server: LoopbackServer;

  before(async () => {
    server = await startLoopbackOllama({ brain: coinBrain, models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('a candidate that did better on the selection users by luck fails the held-out check', async () => {
    // Panels of other seeds until one has a lucky candidate (each run is deterministic; which panel
    // has one depends on every prompt's text, so the test does not pin it).
    let checked: any;
    for (let seed = 1; seed <= 6 && !checked; seed++) {
      const sim = simulatedWorkspace(seed);
      const before = readFileSync(join(sim.ws, 'sim-ana.prefs.jsonl'), 'utf8');
      const r = await theta(sim.dir, ['ws', '--base-url', server.url, '--k', '1', '--budget', '500']);
      console.log(`coin brain, panel ${seed}: ${r.reason}`);
      assert.equal(r.accepted, false, `panel ${seed}: ${r.reason}`);
      assert.equal(r.adopted, false);
      assert.equal(readFileSync(join(sim.ws, 'sim-ana.prefs.jsonl'), 'utf8'), before);
      assert.equal(readFileSync(thetaFile(sim.ws), 'utf8'), DEFAULT_PROMPTS['persona-synthesis']);
      if (r.heldOut) checked = { ...r, dir: sim.dir };
    }
    assert.ok(checked, 'no panel had a candidate better than the current Θ on its selection users');
    assert.ok(checked.best.selection.accuracy > checked.baseline.selection.accuracy);
    assert.ok(checked.heldOut.ci95[0] <= 0, JSON.stringify(checked.heldOut));
    assert.match(
      checked.reason,
      /^not adopted: [+-]\d+\.\d points on \d+ held-out pairs .*95% CI .* p = .*the interval does not exclude 0/,
    );
    const report = readFileSync(join(checked.dir, checked.report), 'utf8');
    assert.match(report, /\*\*Not adopted\.\*\*/);
    assert.match(report, /\| all \| \d+ \|/);
  });
});

describe('theta optimize with a brain for which Θ matters', () => {
  let server: LoopbackServer;
  // Adopting Θ is a claim about users in general, tested over the held-out users: 16 users hold out 6,
  // the fewest with which an exact test over users can reach p < 0.05.
  const w = simulatedWorkspace(1, 16);
  const pristine = copyWorkspace(w);
  const args = () => ['ws', '--base-url', server.url, '--k', '1', '--budget', '1500'];
  let found: any;

  before(async () => {
    server = await startLoopbackOllama({ brain: markerBrain(), models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  test('the search finds the instruction, passes the held-out check and adopts it', async () => {
    const r = await theta(w.dir, args());
    found = r;
    console.log(`marker brain: ${r.reason}; ${r.calls} calls, ${r.steps} steps, ${r.candidates.total} candidates`);
    assert.ok(server.stats.chat <= 1500);
    assert.equal(r.accepted, true, r.reason);
    assert.ok(r.heldOut.users >= 6, `${r.heldOut.users} held-out users`);
    assert.ok(r.heldOut.p < 0.05, JSON.stringify(r.heldOut));
    assert.equal(r.adopted, true);
    assert.ok(r.heldOut.ci95[0] > 0, JSON.stringify(r.heldOut));
    assert.ok(r.heldOut.difference >= 0.2, JSON.stringify(r.heldOut));
    assert.ok(r.heldOut.users >= 1 && r.heldOut.pairs >= 4);
    assert.ok(r.best.selection.accuracy > r.baseline.selection.accuracy);
    const adopted = readFileSync(thetaFile(w.ws), 'utf8');
    assert.match(adopted, MARKER);
    // The old Θ is kept in the prompt's history.
    const history = join(w.ws, '.synthesizeme', 'history', 'prompts', 'persona-synthesis');
    assert.ok(
      readdirSync(history).some((f) => readFileSync(join(history, f), 'utf8') === DEFAULT_PROMPTS['persona-synthesis']),
    );
    // The format stays in code: the adopted Θ holds instructions only.
    assert.doesNotMatch(adopted, /json|"persona"/i);
    const report = readFileSync(join(w.dir, r.report), 'utf8');
    assert.match(report, /\*\*Adopted\.\*\*/);
    assert.match(report, /## The held-out check/);
  });

  test('a run stopped by Ctrl+C resumes where it stopped and ends as an uninterrupted run does', async () => {
    const w2 = copyWorkspace(pristine);
    const stopAt = Math.floor(found.serverCalls / 2);
    const ac = new AbortController();
    server.reset();
    const counting = setInterval(() => {
      if (server.stats.chat >= stopAt) ac.abort(new Error('interrupted'));
    }, 1);
    const c = cli(w2.dir, { signal: ac.signal });
    await assert.rejects(c.call('theta', 'optimize', ...args(), '--json', '--allow-few-users'));
    clearInterval(counting);
    const firstPart = server.stats.chat;
    assert.ok(firstPart >= stopAt && firstPart < found.serverCalls, `${firstPart} calls before the stop`);
    assert.match(c.err(), /run the same command again to resume/);
    server.reset();
    const r = await theta(w2.dir, args());
    assert.ok(r.serverCalls < found.serverCalls, `${r.serverCalls} calls after resuming`);
    const same = (x: any) => ({
      accepted: x.accepted,
      calls: x.calls,
      steps: x.steps,
      candidates: x.candidates,
      best: x.best.hash,
      heldOut: x.heldOut,
      lineage: x.lineage,
    });
    assert.deepEqual(same(r), same(found));
  });
});

describe('theta optimize guards in the search', () => {
  let server: LoopbackServer;
  const w = freshWorkspace();

  before(async () => {
    // The reflection model copies a reply's words into its first rewrite and runs long in its second.
    let n = 0;
    server = await startLoopbackOllama({
      brain: markerBrain((req, parent) => {
        n++;
        if (n === 1) {
          const reply = /<reply_a>\n([\s\S]*?)\n<\/reply_a>/.exec(lastUser(req))?.[1] ?? '';
          return `${parent}\n\nFor example: ${reply.split(/\s+/).slice(0, 12).join(' ')}`;
        }
        if (n === 2) return `${parent}\n\n${'Read every example twice before writing anything at all. '.repeat(45)}`;
        return undefined;
      }),
      models: ['llama3.1:8b', 'qwen3:30b-a3b'],
    });
  });
  after(() => server?.close());

  test('a copying and an over-long candidate are rejected before any call is spent on them', async () => {
    const r = await theta(w.dir, [
      'ws',
      '--base-url',
      server.url,
      '--k',
      '1',
      '--budget',
      '400',
      '--reflect-model',
      'qwen3:30b-a3b',
    ]);
    // --reflect-model: every rewrite by the reflection model, everything else by the main one.
    const byModel = (m: string) => server.chats.filter((c) => c.request.model === m);
    assert.ok(byModel('qwen3:30b-a3b').length >= 3);
    assert.ok(byModel('qwen3:30b-a3b').every((c) => propsOf(c.request).includes('instructions')));
    assert.ok(byModel('llama3.1:8b').every((c) => !propsOf(c.request).includes('instructions')));
    const lineage = JSON.parse(readFileSync(join(w.dir, r.lineage, 'lineage.json'), 'utf8'));
    const [copy, long] = [lineage.candidates[1], lineage.candidates[2]];
    assert.equal(copy.status, 'rejected');
    assert.match(copy.reason, /^copy: copies \d+ consecutive words from the users' data/);
    assert.equal(long.status, 'rejected');
    assert.match(long.reason, /^length: \d+ characters, more than the cap of 2500/);
    for (const c of [copy, long]) assert.deepEqual(c.scores, {});
    assert.ok(r.candidates.rejected >= 2);
  });
});

describe("bench run --theta: a Θ evaluated apart from the workspace's own", () => {
  let server: LoopbackServer;
  const w = freshWorkspace();

  before(async () => {
    server = await startLoopbackOllama({ brain: markerBrain(), models: ['llama3.1:8b'] });
  });
  after(() => server?.close());

  async function bench(extra: string[]): Promise<any> {
    const c = cli(w.dir);
    const code = await c.call(
      'bench',
      'run',
      'ws',
      '--methods',
      'persona',
      '--base-url',
      server.url,
      '--k',
      '1',
      '--json',
      ...extra,
    );
    assert.equal(code, 0, c.err());
    return JSON.parse(c.out());
  }

  test('personas fitted with the given Θ, in a folder of their own, judged like any others', async () => {
    const own = await bench([]);
    writeFileSync(join(w.dir, 'theta.md'), `${DEFAULT_PROMPTS['persona-synthesis']}\n\n${MARKER_SENTENCE}\n`);
    const withTheta = await bench(['--theta', 'theta.md']);
    const [a, b] = [own.cells[0], withTheta.cells[0]];
    console.log(
      `bench run --theta: persona ${(100 * a.accuracy).toFixed(1)}% with the workspace's Θ, ${(100 * b.accuracy).toFixed(1)}% with the file's (${b.pairs} pairs)`,
    );
    assert.equal(a.pairs, b.pairs);
    assert.ok(b.accuracy - a.accuracy >= 0.2, `${a.accuracy} -> ${b.accuracy}`);
    assert.equal(withTheta.theta.file, 'theta.md');
    const dir = withTheta.fits[0].dir as string;
    assert.match(dir, /^ws\/personas\/theta-[0-9a-f]{12}\/llama3\.1_8b$/);
    assert.match(readFileSync(join(w.dir, dir, 'sim-ana.persona.yaml'), 'utf8'), /persona-synthesis: sha256:/);
    // The workspace's own personas and Θ are untouched.
    assert.equal(readFileSync(thetaFile(w.ws), 'utf8'), DEFAULT_PROMPTS['persona-synthesis']);
    const c = cli(w.dir);
    await assert.rejects(
      c.call('bench', 'run', 'ws', '--methods', 'persona', '--base-url', server.url, '--theta', 'missing.md'),
      /--theta: cannot read missing\.md \(no such file\)/,
    );
  });
});
