// Parity with the reference fit (issue 13, part 4): the labelled-only candidate, candidates topped up
// with raw labelled pairs to the demo count, worked examples inside Θ, and a generation prompt that
// carries the demonstrations.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { buildCandidates, presentationOrder, type Example } from '../../src/core/method/fit';
import type { Pair } from '../../src/core/data/pair';
import { createRng } from '../../src/core/random';
import { chosenLabel, renderDemo } from '../../src/core/method/render';
import { judgeSystem, personaSynthesisMessages } from '../../src/core/method/messages';
import { OUTPUT_INSTRUCTIONS, DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import { composeTheta, parseTheta, type WorkedExample } from '../../src/core/method/worked-examples';
import { parsePersona } from '../../src/core/method/persona-file';
import { UserError } from '../../src/core/user-error';
import { cli, markerBrain, PAIRS_PER_USER, workspace, writePrompt } from './revalidate-fixture';
import { DEFAULT_SPLIT_OPTIONS, hashSplit } from '../../src/core/data/splits';

function pair(id: string): Pair {
  return {
    userId: 'u',
    pairId: id,
    context: [{ role: 'user', content: `question ${id}` }],
    chosen: { role: 'assistant', content: `good ${id}` },
    rejected: { role: 'assistant', content: `bad ${id}` },
    source: { file: 'f.jsonl', line: 1 },
  } as Pair;
}

function verified(p: Pair): Example {
  const order = presentationOrder(p, 0);
  return { pair: p, demo: { pairId: p.pairId, order, preference: chosenLabel(order), reasoning: `why ${p.pairId}` } };
}

describe('candidate sets as the reference builds them', () => {
  const context = Array.from({ length: 8 }, (_, i) => pair(`c${i}`));
  const pool = [verified(context[1]!), verified(context[5]!)];

  test('first stage: the labelled-only set, then the pool and random subsets, each topped up with raw labelled pairs to the demo count', () => {
    const cs = buildCandidates(pool, context, { k: 6, labeled: 4, withEmpty: false }, createRng('t'), 0);
    const first = cs[0]!;
    assert.equal(first.length, 4, 'the labelled-only set has the demo count');
    assert.ok(
      first.every((e) => e.demo.reasoning === ''),
      'labelled-only: raw pairs, no reasoning',
    );
    assert.ok(
      first.every((e) => e.demo.preference === chosenLabel(e.demo.order)),
      'each with its true label',
    );
    const full = cs[1]!;
    assert.deepEqual(
      full.slice(0, 2).map((e) => e.demo.reasoning),
      ['why c1', 'why c5'],
      'the whole pool comes first in the full set',
    );
    assert.equal(full.length, 4, 'topped up to 4');
    for (const c of cs.slice(1)) {
      assert.ok(c.length >= 4, `every candidate holds at least the demo count (${c.length})`);
      const ids = c.map((e) => e.pair.pairId);
      assert.equal(new Set(ids).size, ids.length, 'a top-up never repeats a pair the set holds');
      const firstRaw = c.findIndex((e) => e.demo.reasoning === '');
      assert.ok(
        c.slice(firstRaw).every((e) => e.demo.reasoning === ''),
        'verified demonstrations first, then the raw ones',
      );
    }
    const keys = cs.map((c) => JSON.stringify(c.map((e) => [e.pair.pairId, e.demo.reasoning])));
    assert.equal(new Set(keys).size, keys.length, 'no set twice');
  });

  test('second stage starts with the zero-demo set; a demo count of 0 gives neither labelled-only set nor top-ups', () => {
    const second = buildCandidates(pool, context, { k: 3, labeled: 4, withEmpty: true }, createRng('t'), 0);
    assert.deepEqual(second[0], []);
    assert.equal(second[1]!.length, 4);
    const off = buildCandidates(pool, context, { k: 3, labeled: 0, withEmpty: false }, createRng('t'), 0);
    assert.ok(
      off.every((c) => c.every((e) => e.demo.reasoning !== '')),
      'only verified demonstrations',
    );
    assert.deepEqual(
      off[0]!.map((e) => e.pair.pairId),
      ['c1', 'c5'],
    );
  });

  test('a labelled demonstration is shown with its label and no reasoning; the heading says so only when one is there', () => {
    const raw: Example = { pair: context[0]!, demo: { pairId: 'c0', order: 'BA', preference: 'B', reasoning: '' } };
    const text = renderDemo(raw.pair, raw.demo, 1);
    assert.doesNotMatch(text, /<reasoning>/);
    assert.match(text, /<preference>B<\/preference>\n<\/example>$/);
    assert.match(judgeSystem('Judge.', { demos: [raw, pool[0]!] }), /with an analysis of each where one was verified/);
    assert.match(judgeSystem('Judge.', { demos: [pool[0]!] }), /with an analysis of each:\n/);
  });
});

describe('worked examples inside Θ', () => {
  const ex: WorkedExample = {
    userId: 'ada "the first"',
    note: 'fit of 2026-12-01',
    input: '<examples>\n<example number="1">\n### Persona\n</persona> inside the data\n</example>\n</examples>',
    reasoning: 'She keeps choosing short replies.',
    persona: 'Ada wants short replies.',
  };

  test('composed and parsed back, whatever the input holds; a Θ without examples is its instructions, unchanged', () => {
    const text = composeTheta('Write a persona.', [ex, { ...ex, userId: 'bruno', reasoning: '' }]);
    const back = parseTheta(text);
    assert.equal(back.instructions, 'Write a persona.');
    assert.deepEqual(back.examples, [
      ex,
      { userId: 'bruno', note: 'fit of 2026-12-01', input: ex.input, reasoning: '', persona: ex.persona },
    ]);
    assert.equal(composeTheta(DEFAULT_PROMPTS['persona-synthesis'], []), DEFAULT_PROMPTS['persona-synthesis']);
    assert.deepEqual(parseTheta(DEFAULT_PROMPTS['persona-synthesis']), {
      instructions: DEFAULT_PROMPTS['persona-synthesis'],
      examples: [],
    });
  });

  test("each example is a user turn and an assistant turn in the fixed output format, before the user's own examples", () => {
    const theta = composeTheta('Write a persona.', [ex]);
    const m = personaSynthesisMessages(theta, [verified(pair('c0'))]);
    assert.deepEqual(
      m.map((x) => x.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(
      m[0]!.content,
      `Write a persona.\n\n${OUTPUT_INSTRUCTIONS['persona-synthesis']}`,
      'the examples are not in the instructions',
    );
    assert.deepEqual(JSON.parse(m[2]!.content), { reasoning: ex.reasoning, persona: ex.persona });
    assert.match(m[1]!.content, /^<examples>[\s\S]*\n\nWrite the persona\.$/);
    assert.match(m[3]!.content, /good c0/);
    // Without examples, the request is the two messages it always was.
    assert.deepEqual(
      personaSynthesisMessages('Write a persona.', [verified(pair('c0'))]).map((x) => x.role),
      ['system', 'user'],
    );
  });

  test('a malformed example is an error with its line', () => {
    const good = composeTheta('Line one.\nLine two.', [ex]);
    assert.throws(
      () => parseTheta(good.replace('</persona>\n</worked_example>', '</worked_example>'), 'theta.md'),
      (e: unknown) =>
        e instanceof UserError &&
        /^theta\.md:4: worked example 1: expected a <persona> section/.test((e as Error).message),
    );
    assert.throws(
      () => parseTheta(good.replace(/ user_id="[^"]*\\"the first\\""/, ''), 'theta.md'),
      /worked example 1: the user_id="\.\.\." attribute is missing/,
    );
    assert.throws(
      () => parseTheta(good.replace('<input>', '<inputs>'), 'theta.md'),
      /expected an <input> section first/,
    );
    assert.throws(
      () => parseTheta(good.replace('\n</worked_example>', ''), 'theta.md'),
      /expected <\/worked_example> on a line of its own/,
    );
  });
});

/** ada's context pairs in the fixture (30 pairs, 50/20/30): each pair's split follows its id. */
const ADA_CONTEXT = Array.from({ length: PAIRS_PER_USER }, (_, i) => `ada-${i}`).filter(
  (id) => hashSplit(0, 'ada', id, DEFAULT_SPLIT_OPTIONS.ratios) === 'context',
).length;

describe('the fit, add-example and export on a workspace', () => {
  let server: LoopbackServer;
  // Right only with every context pair (ada's 19; a pair's split follows its id) among the demonstrations and at
  // least one verified reasoning, blind otherwise: the set topped up from the verified ones wins, and the labelled-only set does not.
  const base = markerBrain('never in any prompt');
  const brain = (req: BrainRequest): string => {
    const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
    const informed = (system.match(/<example number=/g) ?? []).length >= ADA_CONTEXT && system.includes('<reasoning>');
    return informed ? markerBrain('<examples>')(req) : base(req);
  };
  const started = startLoopbackOllama({ models: ['llama3.1:8b'], brain: (req: BrainRequest) => brain(req) }).then(
    (s) => (server = s),
  );
  after(() => server?.close());
  const { dir, ws } = workspace();

  test('fit: candidates topped up to the demo count, labelled demonstrations kept in the persona file without reasoning', async () => {
    await started;
    const c = cli(dir);
    assert.equal(
      await c.run('fit', 'ws', '--user', 'ada', '--labeled-demos', '40', '--base-url', server.url, '--json'),
      0,
      c.err(),
    );
    const model = parsePersona(readFileSync(join(ws, 'personas', 'ada.persona.yaml'), 'utf8'), 'ada');
    assert.equal(model.provenance.labeledDemos, 40);
    const context = ADA_CONTEXT;
    assert.equal(
      model.demos.length,
      context,
      'every candidate holds every context pair once the demo count passes it (the zero-demo one aside), and a blind judge never prefers none',
    );
    const raw = model.demos.filter((d) => !d.reasoning);
    assert.ok(raw.length > 0 && raw.length < context, `some demonstrations are labelled only (${raw.length})`);
    assert.doesNotMatch(
      readFileSync(join(ws, 'personas', 'ada.persona.yaml'), 'utf8'),
      /reasoning: \|-?\n\s*\n/,
      'no empty reasoning block',
    );
    assert.equal(model.personaReasoning, 'common ground', 'the synthesis reasoning is kept');
  });

  test('theta add-example: a worked example from the fit, its first stage replayed from the cache; Θ checks leave the user out', async () => {
    await started;
    const before = server.stats.chat;
    const c = cli(dir);
    assert.equal(
      await c.run(
        'theta',
        'add-example',
        'ws',
        '--user',
        'ada',
        '--min-validation',
        '0',
        '--labeled-demos',
        '40',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      c.err(),
    );
    const r = c.json() as { added: { user: string }[]; calls: number; cacheHits: number; examples: number };
    assert.deepEqual(
      r.added.map((a) => a.user),
      ['ada'],
    );
    assert.equal(server.stats.chat, before, "the first stage is the fit's own: every call came from the cache");
    assert.ok(r.calls === 0 && r.cacheHits > 0, JSON.stringify(r));
    const thetaFile = join(ws, 'prompts', 'persona-synthesis.prompt.md');
    const theta = parseTheta(readFileSync(thetaFile, 'utf8'));
    assert.equal(theta.instructions, DEFAULT_PROMPTS['persona-synthesis'].trimEnd());
    assert.equal(theta.examples.length, 1);
    assert.equal(theta.examples[0]!.persona, 'This user wants it short.');
    assert.match(theta.examples[0]!.input, /^<examples>\n<example number="1">/);

    // Again: the example is replaced, not added twice.
    const again = cli(dir);
    assert.equal(
      await again.run(
        'theta',
        'add-example',
        'ws',
        '--user',
        'ada',
        '--min-validation',
        '0',
        '--labeled-demos',
        '40',
        '--base-url',
        server.url,
        '--json',
      ),
      0,
      again.err(),
    );
    assert.equal(parseTheta(readFileSync(thetaFile, 'utf8')).examples.length, 1);

    // A fit of another user now sends the worked example as earlier turns.
    const f = cli(dir);
    server.chats.length = 0;
    assert.equal(await f.run('fit', 'ws', '--user', 'bruno', '--base-url', server.url, '--json'), 0, f.err());
    const synthesis = server.chats.find((x) => 'persona' in ((x.request.schema?.properties ?? {}) as object));
    assert.ok(synthesis, 'a persona-synthesis call was made');
    assert.deepEqual(
      synthesis.request.messages.map((m: { role: string }) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );

    // Re-validating Θ leaves ada out: her data is in Θ.
    const rv = cli(dir);
    assert.equal(
      await rv.run('revalidate', 'ws', 'persona-synthesis', '--all', '--base-url', server.url, '--json'),
      0,
      rv.err(),
    );
    const skipped = (rv.json().skipped as { user: string; reason: string }[]).find((s) => s.user === 'ada');
    assert.match(skipped?.reason ?? '', /worked example in Θ comes from this user's fit/);
  });

  test('theta add-example refuses a fit under the bar and writes nothing', async () => {
    await started;
    const thetaFile = join(ws, 'prompts', 'persona-synthesis.prompt.md');
    const text = readFileSync(thetaFile, 'utf8');
    const c = cli(dir);
    assert.equal(
      await c.run('theta', 'add-example', 'ws', '--user', 'bruno', '--min-validation', '1', '--base-url', server.url),
      1,
    );
    assert.match(c.err(), /bruno: not added: validation accuracy [\d.]+% \(\d+\/\d+\) is under the bar of 100\.0%/);
    assert.equal(readFileSync(thetaFile, 'utf8'), text);
    const bad = cli(dir);
    assert.equal(
      await bad.run('theta', 'add-example', 'ws', '--user', 'bruno', '--min-validation', '2', '--base-url', server.url),
      2,
    );
    assert.match(bad.err(), /--min-validation: expected a number in \[0, 1\]/);
  });

  test('a malformed worked example stops a fit before any call, naming the file and line', async () => {
    await started;
    const thetaFile = join(ws, 'prompts', 'persona-synthesis.prompt.md');
    const text = readFileSync(thetaFile, 'utf8');
    writeFileSync(thetaFile, text.replace('<persona>\n', '<persona_>\n'));
    const before = server.stats.chat;
    const c = cli(dir);
    assert.equal(await c.run('fit', 'ws', '--user', 'bruno', '--base-url', server.url), 2);
    assert.match(c.err(), /persona-synthesis\.prompt\.md:\d+: worked example 1: expected a <persona> section/);
    assert.equal(server.stats.chat, before);
    writePrompt(ws, 'persona-synthesis', text);
  });

  test('export --as generation carries the demonstrations; --persona-only leaves them out', async () => {
    await started;
    const c = cli(dir);
    assert.equal(await c.run('export', 'ws/personas/ada.persona.yaml', '--as', 'generation'), 0, c.err());
    const out = c.out();
    assert.match(out, /<user_persona>\nThis user wants it short\.\n<\/user_persona>/);
    const choices = out.match(/<choice number="\d+">/g) ?? [];
    assert.equal(choices.length, ADA_CONTEXT);
    assert.match(out, /<preferred_reply>\nReply ada-\d+: short and to the point/);
    assert.match(out, /<other_reply>\nReply ada-\d+: a long, winding answer/);
    assert.ok(
      (out.match(/<why>/g) ?? []).length > 0 && (out.match(/<why>/g) ?? []).length < ADA_CONTEXT,
      'only verified demonstrations say why',
    );
    const p = cli(dir);
    assert.equal(
      await p.run('export', 'ws/personas/ada.persona.yaml', '--as', 'generation', '--persona-only'),
      0,
      p.err(),
    );
    assert.doesNotMatch(p.out(), /<past_choices>/);
    const j = cli(dir);
    assert.equal(await j.run('export', 'ws/personas/ada.persona.yaml', '--as', 'judge', '--persona-only'), 2);
  });
});
