// Tests of the simulation itself: the simulated users (hidden traits, realistic texts, pairs a
// generic judge gets wrong) and the simulated brain (reads the real prompt the engine builds).
// The prompts come from the engine's own builders, so these tests also pin the contract
// between the prompt format and what the brain reads, and show that a broken prompt (no
// persona, no output format, no A/B labels, instructions that do not ask for this user's
// preference) makes the brain fail where the intact one works.
//
// The brain is independent of the generator: its own detectors, its own lexicon of paraphrases.
// Where the tests compare the two, they measure agreement (informative but imperfect); nothing
// here compares the simulation with itself.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonlText } from '../../src/core/data/parse-jsonl';
import { splitUser, DEFAULT_SPLIT_OPTIONS } from '../../src/core/data/splits';
import type { Pair } from '../../src/core/data/pair';
import {
  judgeSystem,
  judgeMessages,
  personaSynthesisMessages,
  memoryMessages,
  personalizableMessages,
} from '../../src/core/method/messages';
import { DEFAULT_PROMPTS, OUTPUT_INSTRUCTIONS } from '../../src/core/method/default-prompts';
import { readJudgment } from '../../src/core/method/judge';
import { JUDGMENT_SCHEMA, PERSONA_SCHEMA, MEMORY_SCHEMA, PERSONALIZABLE_SCHEMA } from '../../src/core/method/schemas';
import { chosenLabel, type Demo, type Order } from '../../src/core/method/render';
import { hashString } from '../../src/core/random';
import type { ChatMessage, ResponseSchema } from '../../src/core/llm/types';
import {
  QUESTION_BANK,
  TRAITS,
  TRAIT_DETECTORS,
  CONCISE_MAX_WORDS,
  LENGTH_RATIO,
  HINTS,
  citesSources,
  generateUser,
  hasCodeBlock,
  hasEmoji,
  hasNumberedSteps,
  isConcise,
  isFormal,
  renderResponse,
  simulatedPanel,
  traitPreference,
  wordCount,
  writeUserFile,
  userJsonl,
  type Knobs,
  type SimulatedUser,
  type Trait,
} from '../support/simulated-users';
import {
  simulatedBrain,
  statedNumbers,
  traitsNamedIn,
  CONFUSIONS,
  type Confusion,
  type SimulatedBrain,
} from '../support/simulated-brain';
import {
  ASPECTS,
  EMOJI_NOTICED,
  LAPSE,
  REGISTER_STEP,
  compareAspect,
  noticedDifference,
  readResponse,
  seemsTo,
} from '../support/brain-detectors';
import { PARAPHRASES } from '../support/persona-paraphrases';
import { breakMessages } from '../support/prompt-breakers';
import { IN_OTHER_WORDS } from '../support/hand-written-personas';

// ---------------------------------------------------------------------------------------------
// Helpers: a miniature of the engine's loop, using its real prompt builders
// ---------------------------------------------------------------------------------------------

const SEED = 11;

function pairsOf(user: SimulatedUser): Pair[] {
  const parsed = parseJsonlText(userJsonl(user), `${user.id}.prefs.jsonl`);
  assert.deepEqual(parsed.problems, [], `${user.id}: the generated file must read without problems`);
  return parsed.pairs;
}

interface Splits {
  context: Pair[];
  validation: Pair[];
  test: Pair[];
}

function splitsOf(user: SimulatedUser): Splits {
  const pairs = pairsOf(user);
  const s = splitUser(user.id, pairs, { ...DEFAULT_SPLIT_OPTIONS, seed: SEED });
  const of = (k: 'context' | 'validation' | 'test') => pairs.filter((p) => s.assignment.get(p.pairId) === k);
  return { context: of('context'), validation: of('validation'), test: of('test') };
}

function call<T>(brain: SimulatedBrain, messages: ChatMessage[], schema: ResponseSchema): T {
  return JSON.parse(brain({ model: 'simulated', messages, schema, temperature: 0 })) as T;
}

type Judgment = { reasoning: string; preference: 'A' | 'B' };

/** Accuracy over both orders of every pair (METHOD.md section 4). */
function accuracy(
  brain: SimulatedBrain,
  system: string,
  pairs: readonly Pair[],
): { correct: number; samples: number; rate: number } {
  let correct = 0;
  let samples = 0;
  for (const p of pairs) {
    for (const order of ['AB', 'BA'] as const) {
      const r = call<Judgment>(brain, judgeMessages(system, p, order), JUDGMENT_SCHEMA);
      if (r.preference === chosenLabel(order)) correct++;
      samples++;
    }
  }
  return { correct, samples, rate: correct / samples };
}

function orderFor(p: Pair): Order {
  return hashString(`${SEED}:order:${p.pairId}`) % 2 === 0 ? 'AB' : 'BA';
}

/** Bootstrap as the fit does it: one order per pair, keep reasonings whose pick matched the user. */
function bootstrapDemos(brain: SimulatedBrain, pairs: readonly Pair[], persona?: string): { pair: Pair; demo: Demo }[] {
  const system = judgeSystem(DEFAULT_PROMPTS.bootstrap, persona ? { persona } : {}, 'bootstrap');
  const out: { pair: Pair; demo: Demo }[] = [];
  for (const pair of pairs) {
    const order = orderFor(pair);
    const r = call<Judgment>(brain, judgeMessages(system, pair, order), JUDGMENT_SCHEMA);
    if (r.preference === chosenLabel(order))
      out.push({ pair, demo: { pairId: pair.pairId, order, reasoning: r.reasoning, preference: r.preference } });
  }
  return out;
}

/** The fit's fallback when nothing was verified: the context pairs with their true labels. */
function labelled(pairs: readonly Pair[]): { pair: Pair; demo: Demo }[] {
  return pairs.map((pair) => {
    const order = orderFor(pair);
    return {
      pair,
      demo: {
        pairId: pair.pairId,
        order,
        preference: chosenLabel(order),
        reasoning: `The user preferred response ${chosenLabel(order)}.`,
      },
    };
  });
}

function synthesize(
  brain: SimulatedBrain,
  examples: { pair: Pair; demo: Demo }[],
): { reasoning: string; persona: string } {
  return call(brain, personaSynthesisMessages(DEFAULT_PROMPTS['persona-synthesis'], examples), PERSONA_SCHEMA);
}

const PLAIN_PERSONA: Record<Trait, string> = {
  concise: 'Wants short answers: a few sentences, no padding.',
  steps: 'Wants instructions as a numbered, step-by-step list.',
  sources: 'Wants every answer to cite its sources.',
  'no-emoji': 'Dislikes emoji.',
  formal: 'Prefers a formal tone.',
  code: 'Wants a code example whenever possible.',
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

// The panel and every figure below are computed once and shared by the tests.
const panel = simulatedPanel(SEED);
const splits = new Map(panel.map((u) => [u.id, splitsOf(u)]));

interface UserFigures {
  generic: number;
  persona: number;
  synthesized: number;
  demos: number;
  personaText: string;
  demoCount: number;
}

let figures: Map<string, UserFigures> | undefined;
let totals: { generic: number; persona: number; synthesized: number; demos: number } | undefined;

function computeFigures(): Map<string, UserFigures> {
  if (figures) return figures;
  const brain = simulatedBrain();
  figures = new Map();
  const sum = { generic: [0, 0], persona: [0, 0], synthesized: [0, 0], demos: [0, 0] };
  const addTo = (k: keyof typeof sum, a: { correct: number; samples: number }) => {
    sum[k][0] += a.correct;
    sum[k][1] += a.samples;
  };
  for (const user of panel) {
    const s = splits.get(user.id)!;
    const evalPairs = [...s.validation, ...s.test];
    const generic = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, {}), evalPairs);
    const persona = accuracy(
      brain,
      judgeSystem(DEFAULT_PROMPTS.judge, { persona: user.traits.map((t) => PLAIN_PERSONA[t]).join('\n') }),
      evalPairs,
    );
    const verified = bootstrapDemos(brain, s.context);
    const pool = verified.length ? verified : labelled(s.context);
    const demos = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { demos: pool }), evalPairs);
    // Persona synthesis from the context pairs with their TRUE preferences.
    const synth = synthesize(brain, labelled(s.context));
    const synthesized = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { persona: synth.persona }), evalPairs);
    addTo('generic', generic);
    addTo('persona', persona);
    addTo('synthesized', synthesized);
    addTo('demos', demos);
    figures.set(user.id, {
      generic: generic.rate,
      persona: persona.rate,
      synthesized: synthesized.rate,
      demos: demos.rate,
      personaText: synth.persona,
      demoCount: pool.length,
    });
    console.log(
      `  ${user.id} [${user.traits.join('+')}]: generic ${pct(generic.rate)}, persona ${pct(persona.rate)}, synthesized persona ${pct(synthesized.rate)}, demos (${pool.length}${verified.length ? ' verified' : ' labelled'}) ${pct(demos.rate)} over ${generic.samples} samples`,
    );
  }
  totals = {
    generic: sum.generic[0] / sum.generic[1],
    persona: sum.persona[0] / sum.persona[1],
    synthesized: sum.synthesized[0] / sum.synthesized[1],
    demos: sum.demos[0] / sum.demos[1],
  };
  console.log(
    `  panel: generic ${pct(totals.generic)}, persona ${pct(totals.persona)}, synthesized persona ${pct(totals.synthesized)}, demos ${pct(totals.demos)} (${sum.generic[1]} samples each)`,
  );
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Detectors
// ---------------------------------------------------------------------------------------------

describe('trait detectors', () => {
  test('recognise each property on hand-written examples', () => {
    assert.equal(
      wordCount('Use `items[::-1]`.\n\n```python\nprint(1, 2, 3, 4, 5)\n```'),
      2,
      'code blocks do not count as words',
    );
    assert.ok(isConcise('Boil it in salted water and taste early.'));
    assert.ok(!isConcise(Array.from({ length: CONCISE_MAX_WORDS + 1 }, () => 'word').join(' ')));

    assert.ok(hasNumberedSteps('Do this:\n1. Boil water.\n2. Add pasta.'));
    assert.ok(!hasNumberedSteps('First boil water, then add the pasta. In 2. step... no.'));

    assert.ok(citesSources('Boil it.\n\nSource: Harold McGee, "On Food and Cooking".'));
    assert.ok(citesSources('According to the NHS, adults need seven hours.'));
    assert.ok(citesSources('See https://docs.python.org/3/ for details.'));
    assert.ok(
      !citesSources('Boil it.\n\n```python\nurl = "https://example.com"\n```'),
      'a URL inside code is not a citation',
    );

    assert.ok(hasEmoji('Great pasta 🍝'));
    assert.ok(hasEmoji('Ready ✈️'));
    assert.ok(!hasEmoji('Plain text, 20 °C, 50/30/20.'));

    assert.ok(isFormal('It is best to rinse the rice. The water should run clear.'));
    assert.ok(!isFormal("It's best to rinse the rice."));
    assert.ok(!isFormal('Rinse the rice!'));
    assert.ok(!isFormal('Rinse it, super easy.'));
    assert.ok(isFormal('The body of the Earth, the reader of the essay.'), 'possessive-free formal prose');
    assert.ok(isFormal('Compare:\n\n```js\nif (a !== b) {}\n```'), 'an exclamation mark inside code is not a tone');

    assert.ok(hasCodeBlock('```bash\ngit status\n```'));
    assert.ok(!hasCodeBlock('Run `git status`.'), 'inline code is not a code block');
  });

  test('traitPreference compares two responses, with conciseness relative', () => {
    const short = 'Rinse, measure 1.5 cups of water, simmer covered for 15 minutes, rest 10.';
    const long = Array.from({ length: 4 }, () => short).join(' ');
    assert.equal(traitPreference('concise', short, long), 1);
    assert.equal(traitPreference('concise', long, short), -1);
    assert.equal(
      traitPreference('concise', short, short + ' Then fluff.'),
      0,
      'a few words more is not a different length',
    );
    assert.equal(traitPreference('no-emoji', 'Plain.', 'Fun 🎉'), 1);
    assert.equal(traitPreference('code', 'Plain.', 'Plain too.'), 0);
  });
});

describe("the brain's own detectors", () => {
  test('the brain imports nothing from the generator (no answer key, no hint phrases)', () => {
    for (const f of ['simulated-brain.ts', 'brain-detectors.ts', 'persona-paraphrases.ts']) {
      const source = readFileSync(join(process.cwd(), 'test', 'support', f), 'utf8');
      assert.doesNotMatch(
        source,
        /from '\.\/simulated-users'|from "\.\/simulated-users"|sim-workspace/,
        `${f} imports the generator`,
      );
    }
    assert.deepEqual([...ASPECTS].sort(), [...TRAITS].sort(), 'the two vocabularies name the same aspects of taste');
  });

  test('measure by other means than the generator, with blind spots of their own', () => {
    // Length: all characters, code included (the generator counts words of prose only).
    const withCode = 'Use `x`.\n\n```python\nprint(1, 2, 3, 4, 5)\n```';
    assert.equal(wordCount(withCode), 2);
    assert.ok(readResponse(withCode).words > 2 && readResponse(withCode).chars > 40);
    assert.equal(readResponse(withCode).codeLines, 1);
    // Structure: bullets look like a list to the brain; the generator only counts numbered steps.
    const bullets = 'Do this:\n- Boil water.\n- Add pasta.';
    assert.ok(seemsTo('steps', readResponse(bullets)) && !hasNumberedSteps(bullets));
    // Register: a possessive reads as casual to the brain; the generator knows it is not a contraction.
    const possessive =
      "The body's clock shifts by about one hour a day, and the traveller's schedule should follow it.";
    assert.ok(isFormal(possessive));
    assert.ok(
      readResponse(possessive).casualDensity >= REGISTER_STEP,
      'the brain takes the apostrophes for casual speech',
    );
    // Emoji: obvious in a short reply, overlooked in a long one; the generator sees both.
    const long = Array.from({ length: 30 }, () => 'Rinse the rice well before you cook it.').join(' ');
    assert.ok(readResponse('Rinse the rice 🍚 and let it rest ✨').emojiDensity >= EMOJI_NOTICED);
    assert.ok(readResponse(`🍚 ${long} ✨`).emojiDensity < EMOJI_NOTICED && hasEmoji(`🍚 ${long} ✨`));
    // Attribution: a source line is plain to see, a passing "according to" only half as salient.
    assert.equal(readResponse('Boil it.\n\nSource: Harold McGee, "On Food and Cooking".').attribution, 2);
    assert.equal(readResponse('According to the NHS, adults need seven hours.').attribution, 1);
    assert.equal(readResponse('Boil it in salted water.').attribution, 0);
    // A threefold length difference is visible, a few words are not.
    const short = 'Rinse, measure 1.5 cups of water, simmer covered for 15 minutes, rest 10.';
    assert.equal(noticedDifference('concise', readResponse(short), readResponse([short, short, short].join(' '))), 1);
    assert.equal(noticedDifference('concise', readResponse(short), readResponse(short + ' Then fluff.')), 0);
  });

  test('overlook about one difference in ten, the same in both orders', () => {
    let seen = 0;
    let lapses = 0;
    for (const e of QUESTION_BANK) {
      for (const formal of [false, true]) {
        const a = renderResponse(e, {
          length: 'short',
          steps: false,
          source: false,
          emoji: false,
          formal,
          code: false,
        });
        const b = renderResponse(e, { length: 'long', steps: false, source: false, emoji: false, formal, code: false });
        assert.equal(noticedDifference('concise', readResponse(a), readResponse(b)), 1, e.id);
        const d = compareAspect('concise', a, b);
        assert.equal(compareAspect('concise', b, a), d === 0 ? 0 : -d, `${e.id}: a lapse does not depend on the order`);
        seen++;
        if (d === 0) lapses++;
      }
    }
    assert.ok(lapses > 0 && lapses / seen <= 2.5 * LAPSE, `${lapses} lapses in ${seen}`);
  });

  test("agree with the generator's answer key on 60-95% of pairs: informative, imperfect, rarely the wrong way", () => {
    const users = [
      ...panel,
      ...TRAITS.map((t) => generateUser({ id: `key-${t}`, traits: [t], pairs: 40, seed: SEED })),
    ];
    const by = new Map<Trait, { right: number; missed: number; wrong: number }>();
    for (const u of users) {
      for (const r of u.records) {
        const d = compareAspect(r.meta.trait, r.chosen, r.rejected);
        const e = by.get(r.meta.trait) ?? { right: 0, missed: 0, wrong: 0 };
        if (d === 1) e.right++;
        else if (d === 0) e.missed++;
        else e.wrong++;
        by.set(r.meta.trait, e);
      }
    }
    let right = 0;
    let all = 0;
    let wrong = 0;
    for (const [t, e] of by) {
      const n = e.right + e.missed + e.wrong;
      console.log(
        `  brain vs answer key, ${t}: ${e.right} right, ${e.missed} not noticed, ${e.wrong} the wrong way (${pct(e.right / n)})`,
      );
      assert.ok(e.right / n >= 0.6, `${t}: the brain's detector is barely informative (${pct(e.right / n)})`);
      right += e.right;
      wrong += e.wrong;
      all += n;
    }
    console.log(`  brain vs answer key: ${pct(right / all)} of ${all} pairs`);
    assert.ok(right / all >= 0.6 && right / all <= 0.95, `agreement ${pct(right / all)}`);
    assert.ok(wrong / all <= 0.05, `${wrong} pairs read the wrong way`);
  });
});

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

describe('simulated users', () => {
  test('the question bank: about 30 realistic questions over everyday topics, none stating a preference', () => {
    assert.ok(QUESTION_BANK.length >= 30, `${QUESTION_BANK.length} questions`);
    const topics = new Set(QUESTION_BANK.map((e) => e.topic));
    assert.ok(topics.size >= 8, [...topics].join(', '));
    assert.ok(
      QUESTION_BANK.filter((e) => e.code).length >= 10,
      'enough questions where code makes sense for a code-loving user',
    );
    assert.equal(new Set(QUESTION_BANK.map((e) => e.id)).size, QUESTION_BANK.length, 'unique ids');
    for (const e of QUESTION_BANK) {
      // Only the rare hint phrases may state a preference; a bank question that did would leak the trait.
      assert.deepEqual(traitsNamedIn(e.question), [], `question "${e.question}" names a trait`);
      assert.ok(e.points.length >= 3 && citesSources(e.source), e.id);
    }
    for (const t of TRAITS) for (const h of HINTS[t]) assert.deepEqual(traitsNamedIn(h), [t], `hint "${h}"`);
  });

  test('every style variant of every answer has exactly the properties asked for', () => {
    let variants = 0;
    for (const e of QUESTION_BANK) {
      let longestShort = 0;
      let shortestLong = Infinity;
      // Every variant states the same facts: a terse one may drop figures, never add its own.
      const shortFigures = new Set<string>();
      let longFigures: Set<string> | undefined;
      for (const length of ['short', 'long'] as const)
        for (const steps of [false, true])
          for (const source of [false, true])
            for (const emoji of [false, true])
              for (const formal of [false, true])
                for (const code of e.code ? [false, true] : [false]) {
                  const k: Knobs = { length, steps, source, emoji, formal, code };
                  const text = renderResponse(e, k, (n) => variants % n);
                  variants++;
                  const where = `${e.id} ${JSON.stringify(k)}:\n${text}`;
                  assert.equal(isConcise(text), length === 'short', where);
                  if (length === 'short') {
                    longestShort = Math.max(longestShort, wordCount(text));
                    for (const n of statedNumbers(text)) shortFigures.add(n);
                  } else {
                    shortestLong = Math.min(shortestLong, wordCount(text));
                    const figures = statedNumbers(text);
                    longFigures = longFigures ? new Set([...longFigures].filter((n) => figures.has(n))) : figures;
                  }
                  assert.equal(hasNumberedSteps(text), steps, where);
                  assert.equal(citesSources(text), source, where);
                  assert.equal(hasEmoji(text), emoji, where);
                  assert.equal(isFormal(text), formal, where);
                  assert.equal(hasCodeBlock(text), code, where);
                }
      // Whatever else differs, a concise and a detailed rendering of one answer are told apart by length.
      assert.ok(shortestLong >= LENGTH_RATIO * longestShort, `${e.id}: ${longestShort} vs ${shortestLong} words`);
      assert.deepEqual(
        [...shortFigures].filter((n) => !longFigures!.has(n)),
        [],
        `${e.id}: figures only a terse variant states`,
      );
    }
    assert.ok(variants > 1000);
    // A concise and a detailed rendering of the same answer differ clearly in length.
    const e = QUESTION_BANK[0]!;
    const base: Knobs = { length: 'short', steps: false, source: false, emoji: false, formal: true, code: false };
    assert.equal(
      traitPreference('concise', renderResponse(e, base), renderResponse(e, { ...base, length: 'long' })),
      1,
    );
  });

  test('generateUser is deterministic from the seed and writes a file the parser reads', () => {
    const a = generateUser({ id: 'u1', traits: ['steps'], pairs: 12, seed: 3 });
    const b = generateUser({ id: 'u1', traits: ['steps'], pairs: 12, seed: 3 });
    const c = generateUser({ id: 'u1', traits: ['steps'], pairs: 12, seed: 4 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.records, c.records);
    assert.equal(a.records.length, 12);

    const dir = mkdtempSync(join(tmpdir(), 'sim-users-'));
    try {
      const path = writeUserFile(dir, a);
      assert.ok(path.endsWith('u1.prefs.jsonl'));
      const parsed = parseJsonlText(readFileSync(path, 'utf8'), path);
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.pairs.length, 12);
      assert.equal(new Set(parsed.pairs.map((p) => p.pairId)).size, 12, 'unique pair ids');
      const first = parsed.pairs[0]!;
      assert.equal(first.userId, 'u1');
      assert.equal(first.context[0]!.role, 'user');
      assert.equal((first.meta as { trait: string }).trait, 'steps');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in every pair the hidden trait decides: chosen has all of the user traits, rejected violates the deciding one', () => {
    for (const user of panel) {
      const deciding = new Map<Trait, number>();
      for (const r of user.records) {
        for (const t of user.traits) {
          if (t === 'concise') continue; // relative: checked below
          assert.ok(TRAIT_DETECTORS[t](r.chosen), `${r.pair_id}: chosen lacks ${t}`);
        }
        assert.equal(
          traitPreference(r.meta.trait, r.chosen, r.rejected),
          1,
          `${r.pair_id}: ${r.meta.trait} does not decide\n${r.chosen}\n---\n${r.rejected}`,
        );
        if (user.traits.includes('concise')) {
          assert.ok(isConcise(r.chosen), r.pair_id);
          assert.ok(
            traitPreference('concise', r.chosen, r.rejected) >= 0,
            `${r.pair_id}: the rejected reply is the more concise one`,
          );
        }
        assert.ok(user.traits.includes(r.meta.trait));
        deciding.set(r.meta.trait, (deciding.get(r.meta.trait) ?? 0) + 1);
        // Nothing in the record states the trait, except a rare explicit request in the question.
        if (!r.meta.hint) assert.deepEqual(traitsNamedIn(r.context[0]!.content), [], r.pair_id);
      }
      // Two-trait users show both traits about equally.
      for (const t of user.traits)
        assert.ok(
          (deciding.get(t) ?? 0) >= Math.floor(user.records.length / user.traits.length) - 1,
          `${user.id} ${t}`,
        );
    }
  });

  test('the panel: 4 to 6 users with single and double traits, 20 to 30 pairs each', () => {
    assert.ok(panel.length >= 4 && panel.length <= 6);
    for (const u of panel) assert.ok(u.records.length >= 20 && u.records.length <= 30, u.id);
    assert.ok(panel.some((u) => u.traits.length === 1) && panel.some((u) => u.traits.length === 2));
    assert.deepEqual(new Set(panel.flatMap((u) => u.traits)), new Set(TRAITS), 'every trait appears');
    assert.deepEqual(simulatedPanel(SEED), panel, 'deterministic');
  });
});

// ---------------------------------------------------------------------------------------------
// The brain on the engine's real prompts
// ---------------------------------------------------------------------------------------------

describe('simulated brain', () => {
  test('generic judge (no personal information) is at most about 60% accurate over both orders', () => {
    computeFigures();
    assert.ok(totals!.generic <= 0.6, `generic ${pct(totals!.generic)}`);
  });

  test('a persona naming the trait lifts the judge to at least 75%, short of perfect', () => {
    const f = computeFigures();
    // The brain sees the replies through its own, imperfect detectors (and 8% of its answers are
    // flipped), so a persona that names the trait helps a lot but not all the way.
    assert.ok(totals!.persona >= 0.75 && totals!.persona <= 0.95, `persona ${pct(totals!.persona)}`);
    assert.ok(
      totals!.persona >= totals!.generic + 0.3,
      `persona ${pct(totals!.persona)} vs generic ${pct(totals!.generic)}`,
    );
    // Per user (24-28 samples) only a floor: a trait the brain failed to read would sit at the
    // generic level, well below it for most users.
    for (const [id, u] of f) assert.ok(u.persona >= 0.6, `${id}: persona ${pct(u.persona)}`);
  });

  test('persona synthesis states the hidden traits in paraphrase, and judging with that persona is accurate', () => {
    const f = computeFigures();
    let extra = 0;
    for (const user of panel) {
      const text = f.get(user.id)!.personaText;
      // What the synthesis wrote, checked by what it is (one of the bank's sentences), not by the brain's reader.
      const stated = TRAITS.filter((t) => PARAPHRASES[t].some((p) => text.includes(p)));
      for (const t of user.traits) assert.ok(stated.includes(t), `${user.id}: ${t} not stated in\n${text}`);
      extra += stated.filter((t) => !user.traits.includes(t)).length;
    }
    // A run of chance differences in a dozen examples can look like a preference (about one
    // user in a hundred, as with a real model on few examples); more would be a reading bug.
    assert.ok(extra <= 1, `${extra} traits stated that the users do not have`);
    assert.ok(totals!.synthesized >= 0.75, `synthesized persona ${pct(totals!.synthesized)}`);
    assert.ok(totals!.synthesized >= totals!.generic + 0.3);
  });

  test('synthesized personas vary their wording from user to user', () => {
    const brain = simulatedBrain();
    const wordings = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const u = generateUser({ id: `brief-${seed}`, traits: ['concise'], pairs: 20, seed });
      const persona = synthesize(brain, labelled(splitsOf(u).context)).persona;
      const used = PARAPHRASES.concise.filter((p) => persona.includes(p));
      assert.equal(used.length, 1, persona);
      wordings.add(used[0]!);
    }
    assert.ok(wordings.size >= 2, 'every persona says it in the same words');
  });

  test('demonstrations alone (bootstrapped, verified) are clearly better than generic', () => {
    computeFigures();
    assert.ok(totals!.demos >= totals!.generic + 0.2, `demos ${pct(totals!.demos)} vs generic ${pct(totals!.generic)}`);
  });
});

function makePair(id: string, question: string, chosen: string, rejected: string): Pair {
  return {
    userId: 'u',
    pairId: id,
    context: [{ role: 'user', content: question }],
    chosen: { role: 'assistant', content: chosen },
    rejected: { role: 'assistant', content: rejected },
    source: { file: 'mem', line: 1, column: 1, endLine: 1, endColumn: 1 },
  };
}

describe('simulated brain: reading what is (and is not) in the prompt', () => {
  const user = panel.find((u) => u.id === 'sim-ana')!;
  const s = splits.get(user.id)!;

  test('removing the persona from the judge prompt drops accuracy back to the generic level', () => {
    // Without noise, "back to the generic level" can be checked exactly.
    const brain = simulatedBrain({ noise: 0 });
    const pairs = [...s.validation, ...s.test];
    const withPersona = judgeSystem(DEFAULT_PROMPTS.judge, { persona: PLAIN_PERSONA.concise });
    // A prompt-building bug: the persona section is lost on the way.
    const lost = withPersona.replace(/What is known about this user:\n<user_persona>[\s\S]*?<\/user_persona>\n\n/, '');
    assert.notEqual(lost, withPersona);
    const a = accuracy(brain, withPersona, pairs).rate;
    const b = accuracy(brain, lost, pairs).rate;
    const generic = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, {}), pairs).rate;
    assert.ok(a >= b + 0.4, `with ${pct(a)}, without ${pct(b)}`);
    assert.equal(b, generic);
  });

  test('a pair rendered without its responses gets no informed answer', () => {
    const brain = simulatedBrain();
    const system = judgeSystem(DEFAULT_PROMPTS.judge, { persona: PLAIN_PERSONA.concise });
    const [p] = s.test;
    const empty = { ...p!, chosen: { role: 'assistant', content: '' }, rejected: { role: 'assistant', content: '' } };
    for (const order of ['AB', 'BA'] as const) {
      const r = call<Judgment>(brain, judgeMessages(system, empty, order), JUDGMENT_SCHEMA);
      assert.equal(r.preference, 'A');
      assert.match(r.reasoning, /missing/);
    }
  });

  test('demonstrations without their responses carry no signal, and persona synthesis from them is generic', () => {
    const brain = simulatedBrain({ noise: 0 });
    const hollow = labelled(s.context).map(({ pair, demo }) => ({
      pair: { ...pair, chosen: { role: 'assistant', content: '' }, rejected: { role: 'assistant', content: '' } },
      demo,
    }));
    const pairs = [...s.validation, ...s.test];
    const full = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { demos: labelled(s.context) }), pairs).rate;
    const none = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { demos: hollow }), pairs).rate;
    const generic = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, {}), pairs).rate;
    assert.ok(full >= none + 0.4, `full demos ${pct(full)}, hollow demos ${pct(none)}`);
    assert.equal(none, generic);
    const synth = synthesize(brain, hollow);
    assert.deepEqual(traitsNamedIn(synth.persona), []);
    assert.match(synth.reasoning, /do not include both replies/);
    assert.deepEqual(traitsNamedIn(synthesize(brain, []).persona), []);
  });

  test('persona synthesis writes a paragraph and plain-word preferences, with its evidence in the reasoning', () => {
    const brain = simulatedBrain();
    const synth = synthesize(brain, labelled(splits.get('sim-chloe')!.context));
    assert.match(synth.persona, /^This user seems to be .+\.\n\nPreferences about responses:\n- /);
    assert.ok(
      PARAPHRASES.sources.some((p) => synth.persona.includes(`- ${p}`)),
      synth.persona,
    );
    assert.ok(
      PARAPHRASES['no-emoji'].some((p) => synth.persona.includes(`- ${p}`)),
      synth.persona,
    );
    assert.match(
      synth.reasoning,
      /Across \d+ example\(s\): .*said where its information came from in \d+ example\(s\)/,
    );
  });

  test('memory facts come only from what the user said', () => {
    const brain = simulatedBrain();
    const quiet = generateUser({ id: 'quiet', traits: ['concise'], pairs: 8, seed: 1, hintRate: 0 });
    const talkative = generateUser({ id: 'talk', traits: ['steps'], pairs: 8, seed: 1, hintRate: 1 });
    const facts = (u: SimulatedUser) =>
      call<{ facts: string[] }>(brain, memoryMessages(DEFAULT_PROMPTS.memory, pairsOf(u)), MEMORY_SCHEMA).facts;

    const q = facts(quiet);
    assert.equal(q.length, 8, 'one fact per question asked');
    assert.ok(q.every((f) => f.startsWith('Asked for help with: ')));
    assert.deepEqual(
      traitsNamedIn(q.join('\n')),
      [],
      'the chosen replies are short, but a memory does not guess a taste nobody stated',
    );

    const t = facts(talkative);
    assert.match(t[0]!, /^Has asked for instructions laid out step by step \(in 8 conversations\)\.$/);
    assert.deepEqual(traitsNamedIn(t.join('\n')), ['steps']);

    // The memory judge uses what it was given.
    const s2 = splitsOf(talkative);
    const withMemory = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { memory: t }), [
      ...s2.validation,
      ...s2.test,
    ]).rate;
    assert.ok(withMemory >= 0.75, `memory judge ${pct(withMemory)}`);
  });

  test('survey answers count only when they say something about responses', () => {
    const brain = simulatedBrain({ noise: 0 });
    for (const [id, helps] of [
      ['sim-elena', true],
      ['sim-dev', false],
    ] as const) {
      const pairs = pairsOf(panel.find((u) => u.id === id)!);
      const demographics = pairs[0]!.demographics!;
      assert.ok(demographics, `${id} has demographics`);
      const withProfile = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, { demographics }), pairs).rate;
      const generic = accuracy(brain, judgeSystem(DEFAULT_PROMPTS.judge, {}), pairs).rate;
      if (helps)
        assert.ok(
          withProfile >= 0.8 && withProfile >= generic + 0.2,
          `${id}: profile ${pct(withProfile)} vs generic ${pct(generic)}`,
        );
      else assert.equal(withProfile, generic, `${id}: an occupation is not a taste`);
    }
  });

  test('personalizable: style differences yes; an empty, refusing or factually different answer no', () => {
    const brain = simulatedBrain();
    const ask = (p: Pair) =>
      call<{ reason: string; personalizable: boolean }>(
        brain,
        personalizableMessages(DEFAULT_PROMPTS.personalizable, p),
        PERSONALIZABLE_SCHEMA,
      );
    // Every generated pair differs in style only: the same facts, told differently. The brain
    // never takes them for a disagreement on facts; it misses the difference in style now and
    // then (its detectors are its own), and then calls the pair "practically the same".
    let yes = 0;
    let all = 0;
    for (const u of panel) {
      for (const p of pairsOf(u)) {
        const r = ask(p);
        assert.doesNotMatch(r.reason, /disagree on the facts|refuses/, p.pairId);
        if (r.personalizable) yes++;
        else assert.match(r.reason, /practically the same/, p.pairId);
        all++;
      }
    }
    console.log(`  personalizable: ${yes} of ${all} generated pairs`);
    assert.ok(yes / all >= 0.8, `only ${yes} of ${all} style-only pairs judged personalizable`);
    // Not all of them: a brain that never missed a difference the generator built in would be reading its answer key.
    assert.ok(yes < all, 'the brain saw every difference the generator made');
    const concise = pairsOf(user)
      .map(ask)
      .filter((r) => r.personalizable);
    assert.ok(
      concise.filter((r) => /differ mainly in length/.test(r.reason)).length >= 0.7 * concise.length,
      "a concise user's pairs differ in length",
    );
    const q = 'How do I convert a temperature from Celsius to Fahrenheit?';
    const right = 'Multiply the Celsius value by 9/5 and add 32; for example, 20 °C is 68 °F.';
    assert.equal(ask(makePair('e', q, right, '')).personalizable, false);
    assert.equal(ask(makePair('r', q, right, "I'm unable to help with that request.")).personalizable, false);
    const wrong = ask(
      makePair('w', q, right, 'Multiply the Celsius value by 5/9 and add 30; for example, 20 °C is 41 °F.'),
    );
    assert.equal(wrong.personalizable, false);
    assert.match(wrong.reason, /disagree on the facts/);
    assert.equal(ask(makePair('same', q, right, right + ' ')).personalizable, false, 'nothing to prefer');
  });

  test('the call kind comes from the schema name, or from the output instructions when no schema was sent; calls are counted', () => {
    const brain = simulatedBrain();
    const p = s.test[0]!;
    const judgeMsgs = judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, {}), p, 'AB');
    const withSchema = brain({ model: 'm', messages: judgeMsgs, schema: JUDGMENT_SCHEMA });
    const without = brain({ model: 'm', messages: judgeMsgs });
    assert.deepEqual(JSON.parse(without), JSON.parse(withSchema));
    assert.ok(
      Array.isArray(
        JSON.parse(brain({ model: 'm', messages: memoryMessages(DEFAULT_PROMPTS.memory, s.context) })).facts,
      ),
    );
    assert.equal(
      typeof JSON.parse(
        brain({
          model: 'm',
          messages: personaSynthesisMessages(DEFAULT_PROMPTS['persona-synthesis'], labelled(s.context)),
        }),
      ).persona,
      'string',
    );
    assert.equal(
      typeof JSON.parse(brain({ model: 'm', messages: personalizableMessages(DEFAULT_PROMPTS.personalizable, p) }))
        .personalizable,
      'boolean',
    );
    assert.equal(
      brain({ model: 'm', messages: [{ role: 'user', content: 'Say hello.' }] }),
      'Hello from the simulated model.',
    );
    assert.deepEqual(brain.stats(), {
      calls: 6,
      byKind: { judgment: 2, persona: 1, memory: 1, personalizable: 1, rubric: 0, other: 1 },
      confused: { 'not-personal': 0, 'no-persona': 0, 'no-format': 0, 'no-labels': 0 },
    });
    brain.resetStats();
    assert.equal(brain.stats().calls, 0);
  });

  test('answers are deterministic; about 8% are flipped by a hash of the prompt, none with noise 0', () => {
    const noisy = simulatedBrain();
    const exact = simulatedBrain({ noise: 0 });
    let flips = 0;
    let samples = 0;
    let exactRight = 0;
    for (const u of panel) {
      const sp = splits.get(u.id)!;
      const system = judgeSystem(DEFAULT_PROMPTS.judge, { persona: u.traits.map((t) => PLAIN_PERSONA[t]).join('\n') });
      for (const p of [...sp.context, ...sp.validation, ...sp.test]) {
        for (const order of ['AB', 'BA'] as const) {
          const m = judgeMessages(system, p, order);
          const a = noisy({ model: 'm', messages: m, schema: JUDGMENT_SCHEMA });
          assert.equal(noisy({ model: 'm', messages: m, schema: JUDGMENT_SCHEMA }), a, 'same prompt, same answer');
          const e = (JSON.parse(exact({ model: 'm', messages: m, schema: JUDGMENT_SCHEMA })) as Judgment).preference;
          if ((JSON.parse(a) as Judgment).preference !== e) flips++;
          if (e === chosenLabel(order)) exactRight++;
          samples++;
        }
      }
    }
    const rate = flips / samples;
    console.log(
      `  noise: ${flips} of ${samples} answers flipped (${pct(rate)}); without noise, a plain persona is right in ${pct(exactRight / samples)}`,
    );
    assert.ok(rate >= 0.04 && rate <= 0.13, pct(rate));
    // Without the flips the brain is still no oracle: its detectors miss some differences.
    assert.ok(
      exactRight / samples >= 0.8 && exactRight / samples < 1,
      `noise-free accuracy ${pct(exactRight / samples)}`,
    );
  });

  test('the reasoning names the concrete differences and what is known about the user', () => {
    const brain = simulatedBrain({ noise: 0 });
    // A pair whose question states no preference: the generic judge then has nothing to go on.
    const p = pairsOf(user).find((x) => !(x.meta as { hint?: string }).hint)!;
    const generic = call<Judgment>(
      brain,
      judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, {}), p, 'AB'),
      JUDGMENT_SCHEMA,
    );
    assert.match(generic.reasoning, /Response A is much shorter than Response B \(about \d+ vs \d+ words\)/);
    assert.match(generic.reasoning, /typical reader/);
    assert.equal(generic.preference, 'B', 'the generic prior prefers the detailed answer');

    const personal = call<Judgment>(
      brain,
      judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, { persona: PLAIN_PERSONA.concise }), p, 'AB'),
      JUDGMENT_SCHEMA,
    );
    assert.match(personal.reasoning, /What I know: the persona says this user wants concise answers\./);
    assert.equal(personal.preference, 'A');

    const boot = call<Judgment>(
      brain,
      judgeMessages(judgeSystem(DEFAULT_PROMPTS.bootstrap, {}, 'bootstrap'), p, 'BA'),
      JUDGMENT_SCHEMA,
    );
    assert.match(boot.reasoning, /^Hypotheses about this user: \(1\)/);

    const steps = panel
      .find((u) => u.id === 'sim-ben')!
      .records.find((r) => r.meta.trait === 'steps' && compareAspect('steps', r.chosen, r.rejected) === 1)!;
    const r = call<Judgment>(
      brain,
      judgeMessages(
        judgeSystem(DEFAULT_PROMPTS.judge, {}),
        makePair('x', steps.context[0]!.content, steps.chosen, steps.rejected),
        'AB',
      ),
      JUDGMENT_SCHEMA,
    );
    assert.match(r.reasoning, /Response A lays the answer out as a list of steps; Response B is written as prose\./);
  });

  test('near-ties go to the response shown first', () => {
    const brain = simulatedBrain({ noise: 0 });
    const text = 'Rinse the rice, simmer it covered for 15 minutes and let it rest for 10.';
    const p = makePair('tie', 'How do I cook rice?', text, text.replace('15', 'fifteen'));
    for (const order of ['AB', 'BA'] as const)
      assert.equal(
        call<Judgment>(brain, judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, {}), p, order), JUDGMENT_SCHEMA)
          .preference,
        'A',
      );
  });

  test('a persona is read in plain words, negations included', () => {
    assert.deepEqual(traitsNamedIn('Wants short answers.'), ['concise']);
    assert.deepEqual(traitsNamedIn('Dislikes emoji; no slang please.'), ['no-emoji', 'formal']);
    assert.deepEqual(traitsNamedIn('Does not care about sources. Likes emoji.'), []);
    assert.deepEqual(traitsNamedIn('Prefers a formal tone rather than a casual one.'), ['formal']);
    assert.deepEqual(traitsNamedIn('Penalises verbose, rambling replies.'), ['concise']);
    assert.deepEqual(traitsNamedIn('Does not need code.'), []);
    assert.deepEqual(
      traitsNamedIn('Happy with long, detailed explanations.'),
      [],
      'wanting detail is the opposite of wanting brevity',
    );
    assert.deepEqual(traitsNamedIn('Does not mind emoji.'), []);
    assert.deepEqual(
      traitsNamedIn('How can I get over jet lag faster after a long flight east?'),
      [],
      'a long flight is not a long answer',
    );
  });

  test('every paraphrase the brain writes reads back as its own aspect and no other', () => {
    for (const a of ASPECTS) {
      assert.ok(PARAPHRASES[a].length >= 4, `${a}: at least four wordings`);
      for (const p of PARAPHRASES[a]) assert.deepEqual(traitsNamedIn(p), [a], `"${p}"`);
    }
  });

  test('a hand-written persona in other words is read: wordings in no bank and in no generator', () => {
    // None of these sentences is one the brain writes, and none uses the words of the generator's hints.
    for (const t of TRAITS) {
      for (const p of IN_OTHER_WORDS[t]) {
        assert.deepEqual(traitsNamedIn(p), [t], `"${p}"`);
        assert.ok(!PARAPHRASES[t].includes(p));
      }
    }
    // And they work in a judge prompt like the brain's own wording.
    const brain = simulatedBrain({ noise: 0 });
    for (const user of panel) {
      const s = splits.get(user.id)!;
      const pairs = [...s.validation, ...s.test];
      const own = accuracy(
        brain,
        judgeSystem(DEFAULT_PROMPTS.judge, { persona: user.traits.map((t) => `- ${PARAPHRASES[t][0]}`).join('\n') }),
        pairs,
      ).rate;
      const other = accuracy(
        brain,
        judgeSystem(DEFAULT_PROMPTS.judge, { persona: user.traits.map((t) => `- ${IN_OTHER_WORDS[t][1]}`).join('\n') }),
        pairs,
      ).rate;
      assert.equal(other, own, `${user.id}: the same preferences in other words`);
    }
  });

  test('a persona that leaves out one of two traits changes the verdicts on the pairs that trait decides', () => {
    const brain = simulatedBrain({ noise: 0 });
    for (const id of ['sim-chloe', 'sim-farid']) {
      const user = panel.find((u) => u.id === id)!;
      const [kept, dropped] = user.traits as [Trait, Trait];
      const pairs = pairsOf(user);
      const decidedByDropped = pairs.filter((p) => (p.meta as { trait: Trait }).trait === dropped);
      // Hand-written, in words of no bank: the persona is read for what it says, not for a wording.
      const both = judgeSystem(DEFAULT_PROMPTS.judge, {
        persona: `- ${IN_OTHER_WORDS[kept][0]}\n- ${IN_OTHER_WORDS[dropped][0]}`,
      });
      const one = judgeSystem(DEFAULT_PROMPTS.judge, { persona: `- ${IN_OTHER_WORDS[kept][0]}` });
      let changed = 0;
      for (const p of decidedByDropped) {
        for (const order of ['AB', 'BA'] as const) {
          const a = call<Judgment>(brain, judgeMessages(both, p, order), JUDGMENT_SCHEMA).preference;
          const b = call<Judgment>(brain, judgeMessages(one, p, order), JUDGMENT_SCHEMA).preference;
          if (a !== b) changed++;
        }
      }
      const withBoth = accuracy(brain, both, decidedByDropped).rate;
      const withOne = accuracy(brain, one, decidedByDropped).rate;
      console.log(
        `  ${id} without ${dropped}: ${changed} of ${2 * decidedByDropped.length} verdicts changed on the pairs it decides, ${pct(withBoth)} -> ${pct(withOne)}`,
      );
      assert.ok(
        changed >= decidedByDropped.length / 2,
        `${id}: only ${changed} verdicts changed when ${dropped} was dropped`,
      );
      assert.ok(
        withBoth >= withOne + 0.15,
        `${id}: pairs decided by ${dropped}: ${pct(withBoth)} with it, ${pct(withOne)} without`,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The instructions matter: a broken judge prompt fails where the intact one works
// ---------------------------------------------------------------------------------------------

describe('simulated brain: the judge instructions matter', () => {
  type Transform = (m: ChatMessage[]) => ChatMessage[];
  const keep: Transform = (m) => m;
  const personaOf = (u: SimulatedUser) => u.traits.map((t) => `- ${PLAIN_PERSONA[t]}`).join('\n');

  /** Over the panel's validation and test pairs, read with the product's own parser (readJudgment). */
  function run(
    brain: SimulatedBrain,
    systemFor: (u: SimulatedUser) => string,
    transform: Transform = keep,
    schema: ResponseSchema | null = JUDGMENT_SCHEMA,
  ) {
    let correct = 0;
    let samples = 0;
    let unparseable = 0;
    brain.resetStats();
    for (const u of panel) {
      const s = splits.get(u.id)!;
      const system = systemFor(u);
      for (const p of [...s.validation, ...s.test]) {
        for (const order of ['AB', 'BA'] as const) {
          const text = brain({
            model: 'm',
            messages: transform(judgeMessages(system, p, order)),
            ...(schema ? { schema } : {}),
            temperature: 0,
          });
          const parsed = schema
            ? (() => {
                try {
                  return JSON.parse(text) as unknown;
                } catch {
                  return undefined;
                }
              })()
            : undefined;
          const { preference } = readJudgment({ text, json: parsed });
          if (preference === null) unparseable++;
          if (preference === chosenLabel(order)) correct++;
          samples++;
        }
      }
    }
    return { rate: correct / samples, samples, unparseable, confused: brain.stats().confused };
  }
  const none = (c: Record<Confusion, number>) => CONFUSIONS.every((k) => c[k] === 0);
  const onlyText =
    (transform: (t: string) => string): Transform =>
    (m) =>
      m.map((x) => ({ ...x, content: transform(x.content) }));

  const brain = simulatedBrain({ noise: 0 });
  const intact = () => run(brain, (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }));
  const generic = () => run(brain, () => judgeSystem(DEFAULT_PROMPTS.judge, {}));

  test('the intact default prompts, rendered by the engine, confuse the brain in no call of any kind', () => {
    const b = simulatedBrain();
    const user = panel.find((u) => u.id === 'sim-elena')!;
    const s = splits.get(user.id)!;
    const pair = s.test[0]!;
    const demos = labelled(s.context);
    const profiles = [
      {},
      { persona: personaOf(user) },
      { demographics: pairsOf(user)[0]!.demographics! },
      { memory: ['Has asked for answers in a formal tone.'] },
      { demos },
      { persona: personaOf(user), demos },
    ];
    for (const profile of profiles) {
      for (const order of ['AB', 'BA'] as const) {
        b({
          model: 'm',
          messages: judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, profile), pair, order),
          schema: JUDGMENT_SCHEMA,
        });
        b({
          model: 'm',
          messages: judgeMessages(judgeSystem(DEFAULT_PROMPTS.bootstrap, profile, 'bootstrap'), pair, order),
          schema: JUDGMENT_SCHEMA,
        });
        // A server without schemas: the output instruction alone says what to answer.
        const text = b({
          model: 'm',
          messages: judgeMessages(judgeSystem(DEFAULT_PROMPTS.judge, profile), pair, order),
        });
        assert.notEqual(readJudgment({ text }).preference, null, text);
      }
    }
    b({
      model: 'm',
      messages: personaSynthesisMessages(DEFAULT_PROMPTS['persona-synthesis'], demos),
      schema: PERSONA_SCHEMA,
    });
    b({ model: 'm', messages: memoryMessages(DEFAULT_PROMPTS.memory, s.context), schema: MEMORY_SCHEMA });
    b({
      model: 'm',
      messages: personalizableMessages(DEFAULT_PROMPTS.personalizable, pair),
      schema: PERSONALIZABLE_SCHEMA,
    });
    assert.equal(b.stats().byKind.judgment, profiles.length * 6);
    assert.ok(none(b.stats().confused), JSON.stringify(b.stats().confused));
    const r = intact();
    console.log(`  instructions: intact prompt with a plain persona ${pct(r.rate)} over ${r.samples} samples`);
    assert.ok(r.rate >= 0.75 && none(r.confused), `${pct(r.rate)} ${JSON.stringify(r.confused)}`);
  });

  test('without its output instruction the judge answers at random (with a schema) or unparseably (without one)', () => {
    const noFormat = onlyText((t) => t.split(OUTPUT_INSTRUCTIONS.judge).join(''));
    const withSchema = run(brain, (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }), noFormat);
    console.log(`  instructions: no output format, schema sent ${pct(withSchema.rate)}`);
    assert.ok(
      withSchema.rate >= 0.35 && withSchema.rate <= 0.65,
      `no output instruction: ${pct(withSchema.rate)}, not chance`,
    );
    assert.equal(withSchema.confused['no-format'], withSchema.samples);
    const noSchema = run(brain, (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }), noFormat, null);
    assert.equal(
      noSchema.unparseable,
      noSchema.samples,
      'the product parser read a verdict from an answer that has none',
    );
    assert.equal(noSchema.rate, 0);
    // The same prompt with the instruction intact, but no schema: every answer parses.
    assert.equal(
      run(brain, (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }), keep, null).unparseable,
      0,
    );
  });

  test('without the A/B labels the judge cannot tell the replies apart; labels as headings are still labels', () => {
    const unlabelled = run(
      brain,
      (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }),
      (m) => breakMessages('ab-labels', m) as ChatMessage[],
    );
    console.log(`  instructions: replies without labels ${pct(unlabelled.rate)}`);
    assert.ok(unlabelled.rate >= 0.35 && unlabelled.rate <= 0.65, `unlabelled: ${pct(unlabelled.rate)}, not chance`);
    assert.equal(unlabelled.confused['no-labels'], unlabelled.samples);
    const headings = onlyText((t) =>
      t
        .replace(/<response_([ab])>\n/g, (_, x: string) => `Response ${x.toUpperCase()}:\n`)
        .replace(/\n<\/response_[ab]>/g, ''),
    );
    const r = run(brain, (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }), headings);
    assert.equal(r.rate, intact().rate, 'headings "Response A:" / "Response B:" label the replies as well as tags');
    assert.ok(none(r.confused));
  });

  test('a persona announced but missing (the section lost, or a placeholder nobody filled) is no persona', () => {
    const lost = run(
      brain,
      (u) => judgeSystem(DEFAULT_PROMPTS.judge, { persona: personaOf(u) }),
      (m) => breakMessages('persona-section', m) as ChatMessage[],
    );
    const g = generic();
    assert.equal(lost.rate, g.rate, 'the verdicts of a judge that knows nothing');
    assert.ok(intact().rate >= lost.rate + 0.3);
    assert.equal(lost.confused['no-persona'], lost.samples);
    const placeholder = run(brain, () =>
      judgeSystem(`${DEFAULT_PROMPTS.judge}\n\nThe user's persona:\n{{persona}}`, {}),
    );
    assert.equal(placeholder.rate, g.rate);
    assert.equal(placeholder.confused['no-persona'], placeholder.samples);
    assert.equal(g.confused['no-persona'], 0, 'a prompt that announces no persona misses none');
  });

  test('instructions that ask for the better reply in general, not for this user, get generic verdicts', () => {
    const GENERAL =
      'You compare two replies of an AI assistant to a conversation, labelled A and B, and pick the better one: more accurate, complete and clear. Always pick A or B.';
    const r = run(brain, (u) => judgeSystem(GENERAL, { persona: personaOf(u) }));
    const g = generic();
    console.log(`  instructions: a general judge prompt with the persona ${pct(r.rate)}, default judge ${pct(g.rate)}`);
    assert.equal(r.rate, g.rate, 'the persona was used although the instructions did not ask for this user');
    assert.equal(r.confused['not-personal'], r.samples);
    assert.equal(g.confused['not-personal'], 0);
  });
});
