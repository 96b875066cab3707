// A simulated "brain" for the loopback LLM servers: it answers the engine's calls like a
// competent model would, by READING THE REAL PROMPT the engine sent (TESTING.md section 2).
//
// It is independent of what it tests. It knows nothing about the simulated users' hidden traits
// and imports nothing from their generator: it sees the replies through its own, imperfect
// detectors (brain-detectors.ts), reads what a persona, a survey answer, a memory or a request
// says through a lexicon of paraphrases (persona-paraphrases.ts), and writes the personas it
// synthesizes in paraphrase. Everything it decides comes from the text in front of it: the
// instructions, the persona, profile and memory sections, the demonstrations (which response
// the user preferred, and how the two differed), the conversation and the two responses.
//
// The instructions matter, as they do to a real model. A judge or bootstrap call is answered
// properly only when
//   - the instructions ask for THIS user's preference (a prompt that asks which reply is better
//     in general gets a generic verdict, whatever the prompt says about the user);
//   - a persona the prompt announces is there (an announced but empty section, or an unfilled
//     placeholder such as {{persona}}, is a missing persona);
//   - the output format is stated: JSON with "reasoning" and "preference" (without it, and
//     without a schema, it answers in prose with no verdict; with a schema it fills the field
//     without knowing what it means: a coin flip);
//   - the two replies are labelled A and B (tags or headings; unlabelled, it cannot say which
//     letter is which: a coin flip).
// Each lapse is counted in stats().confused, so a test can check that the intact prompts cause
// none. So a prompt-building bug changes its answers, exactly as it would with a real model.
//
// What it simulates, per call kind (the schema name, or the output instructions when the
// server was asked without a schema):
//   judgment        judge and bootstrap calls: {"reasoning", "preference": "A"|"B"}
//   persona         persona synthesis from examples with true preferences: {"reasoning", "persona"}
//   memory          facts about the user from their conversations: {"facts": [...]}
//   personalizable  does the pair leave room for taste: {"reason", "personalizable"}
//   rubric          the rubric methods: {"persona"?, "criteria": [{"name", "weight"}], "scores": {"A", "B"}},
//                   criteria from what the persona, the past choices and the request say the user
//                   wants (weights by strength), 1-10 scores from its detectors, a persona written in
//                   paraphrase unless one is given; equal replies score equal (a tie)
//
// With no personal information it judges by a GENERIC PRIOR like typical LLM judges: the longer,
// more detailed answer wins, lists and friendliness help a little, and near-ties go to A. A hash
// of the prompt flips a small share of answers (default 8%), so accuracy is high but not perfect,
// and the same prompt always gets the same answer.
//
// This simulates a competent model; it does not measure one. Accuracy on real data needs a
// real model.

import { createRng, hashString } from '../../src/core/random';
import { ASPECTS, compareAspect, describeDifferences, genericScore, type Aspect } from './brain-detectors';
import {
  PARAPHRASES,
  PORTRAITS,
  REQUEST_FACTS,
  aspectsStatedIn,
  pick,
  type AspectWeights,
} from './persona-paraphrases';

export { aspectsStatedIn as traitsStatedIn, aspectsNamedIn as traitsNamedIn } from './persona-paraphrases';

export interface BrainMessage {
  role: string;
  content: string;
}

export interface BrainRequest {
  model: string;
  messages: BrainMessage[];
  schema?: { name: string; schema: object } | undefined;
  temperature?: number;
  seed?: number;
}

/** What a loopback server calls for every chat request: the assistant's reply text. */
export type Brain = (request: BrainRequest) => string;

export type BrainKind = 'judgment' | 'persona' | 'memory' | 'personalizable' | 'rubric' | 'other';

/** The ways a judge prompt can leave the brain confused (see the header). */
export type Confusion = 'not-personal' | 'no-persona' | 'no-format' | 'no-labels';
export const CONFUSIONS: readonly Confusion[] = ['not-personal', 'no-persona', 'no-format', 'no-labels'];

export interface BrainStats {
  calls: number;
  byKind: Record<BrainKind, number>;
  /** Judge and bootstrap calls whose prompt lacked something, by what it lacked. */
  confused: Record<Confusion, number>;
}

export interface SimulatedBrain extends Brain {
  /** Calls answered so far, by kind. */
  stats(): BrainStats;
  resetStats(): void;
}

export interface SimulatedBrainOptions {
  /** Share of answers flipped by a hash of the prompt (default 0.08). 0 turns the flips off. */
  noise?: number;
}

// ---------------------------------------------------------------------------------------------
// Reading the prompt
// ---------------------------------------------------------------------------------------------

function tagBody(text: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return m?.[1];
}

interface LabelledPair {
  conversation: string;
  a: string;
  b: string;
  /** Whether the replies carry the labels A and B (tags, or headings such as "Response A:"). */
  labelled: boolean;
}

const HEADING =
  /^[ \t]*(?:#{1,4}[ \t]*)?\**(?:response|reply|answer|option|candidate)[ \t]+([AB])\**[ \t]*[:.)]?\**[ \t]*$/gim;

/** The conversation and the two labelled replies of a rendered pair. */
function readPair(text: string): LabelledPair {
  const conversation = tagBody(text, 'conversation') ?? '';
  const a = tagBody(text, 'response_a');
  const b = tagBody(text, 'response_b');
  if (a !== undefined && b !== undefined) return { conversation, a: a.trim(), b: b.trim(), labelled: true };
  // Headings are labels too: "Response A:" on a line of its own, the reply below it.
  const heads = [...text.matchAll(HEADING)];
  const ia = heads.findIndex((h) => h[1]!.toUpperCase() === 'A');
  const ib = heads.findIndex((h) => h[1]!.toUpperCase() === 'B');
  if (ia >= 0 && ib === ia + 1) {
    const after = (i: number) => heads[i]!.index! + heads[i]![0].length;
    const tail = text.slice(after(ib));
    const stop = tail.search(/\n\s*(?:which (?:reply|response)\b|<reasoning>|<preference>|<\/example>)/i);
    const clean = (s: string) => s.replace(/<\/?[a-z_]+>/g, '').trim();
    return {
      conversation,
      a: clean(text.slice(after(ia), heads[ib]!.index!)),
      b: clean(stop >= 0 ? tail.slice(0, stop) : tail),
      labelled: true,
    };
  }
  return { conversation, a: '', b: '', labelled: false };
}

interface Example extends LabelledPair {
  preference: 'A' | 'B' | null;
}

function parseExamples(text: string): Example[] {
  const out: Example[] = [];
  for (const m of text.matchAll(/<example number="\d+">([\s\S]*?)<\/example>/g)) {
    const body = m[1]!;
    const pref = /<preference>\s*([AB])\s*<\/preference>/.exec(body)?.[1];
    out.push({ ...readPair(body), preference: pref === 'A' || pref === 'B' ? pref : null });
  }
  return out;
}

/** The user's own turns in a rendered conversation ("[user]\n...\n\n[assistant]\n..."). */
function userTurns(conversation: string): string[] {
  const parts = conversation.split(/^\[([a-z]+)\]\n/m);
  const turns: string[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) if (parts[i] === 'user') turns.push(parts[i + 1]!.trim());
  return turns;
}

const SECTIONS = /^[^\n]*\n?<(user_persona|user_profile|user_memory|examples)>[\s\S]*?<\/\1>/gm;
const SECTION_HEADER = /^[^\n]*\b(?:known about|remembered about|described themselves|past choices)\b[^\n]*:[ \t]*$/gim;

/** The instructions of a system message: what is left without the sections about the user. */
function instructionsOf(system: string): string {
  return system.replace(SECTIONS, '').replace(SECTION_HEADER, '');
}

/** Whether instructions make the judgment personal: THIS user's preference, not the better reply in general. */
const PERSONAL =
  /\b(?:this|that|one|a|the same)\s+(?:specific|particular|individual)\s+(?:user|person|reader)\b|\bthis (?:user|person|reader)\b|\bthe user(?:['’]s| (?:would|prefers?|wants?|picked|chose|values?|likes?))\b|\bpersonal(?:ised|ized)?\b|\btheir (?:own )?(?:taste|preferences?)\b/i;

/** A template placeholder nobody filled in. */
const PLACEHOLDER =
  /\{\{\s*[\w.-]+\s*\}\}|\{(?:persona|user_persona|profile|memory|demos|examples)\}|<(?:the )?persona>/i;
/** A header that announces a persona. */
const PERSONA_HEADER = /^[^\n]*\b(?:known about (?:this|the) user|(?:user|the) persona)\b[^\n]*:[ \t]*$/im;

/** The persona a system message gives, or `missing` when it announces one that is not there. */
function personaOf(system: string): { persona?: string; missing: boolean } {
  const persona = tagBody(system, 'user_persona')?.trim();
  if (persona && !PLACEHOLDER.test(persona)) return { persona, missing: false };
  const withoutOthers = system.replace(SECTIONS, (s, tag: string) => (tag === 'user_persona' ? s : ''));
  return { missing: persona !== undefined || PLACEHOLDER.test(system) || PERSONA_HEADER.test(withoutOthers) };
}

/** Whether the messages say how to answer: a JSON object with these fields. */
function statesFormat(messages: readonly BrainMessage[], fields: readonly string[]): boolean {
  const text = messages.map((m) => m.content).join('\n');
  return /\bJSON\b/i.test(text) && fields.every((f) => text.includes(`"${f}"`));
}

interface Evidence {
  /** Examples that had both responses and a preference. */
  usable: number;
  /** For each aspect: in how many examples the preferred response had more of it (pro), or less (con). */
  pro: Record<Aspect, number>;
  con: Record<Aspect, number>;
}

function countEvidence(examples: readonly Example[]): Evidence {
  const zero = () => Object.fromEntries(ASPECTS.map((t) => [t, 0])) as Record<Aspect, number>;
  const ev: Evidence = { usable: 0, pro: zero(), con: zero() };
  for (const ex of examples) {
    if (!ex.a || !ex.b || !ex.preference) continue;
    ev.usable++;
    for (const t of ASPECTS) {
      const d = compareAspect(t, ex.a, ex.b) * (ex.preference === 'A' ? 1 : -1);
      if (d > 0) ev.pro[t]++;
      else if (d < 0) ev.con[t]++;
    }
  }
  return ev;
}

/**
 * Aspects the examples support consistently, strongest first. A real preference is never (or
 * almost never) contradicted, while an accident of a few examples usually is: length differs in
 * most pairs, so a user indifferent to it shows "the shorter won" about as often as the reverse.
 * So: seen in at least two examples (and a fifth of them), contradicted at most once per eight.
 */
function consistentAspects(ev: Evidence): Aspect[] {
  const need = ev.usable < 2 ? 1 : Math.max(2, Math.ceil(0.2 * ev.usable));
  return ASPECTS.filter((t) => ev.pro[t] >= need && ev.con[t] * 8 <= ev.pro[t]).sort((x, y) => ev.pro[y] - ev.pro[x]);
}

// ---------------------------------------------------------------------------------------------
// The calls
// ---------------------------------------------------------------------------------------------

const WANTS: Record<Aspect, string> = {
  concise: 'concise answers',
  steps: 'step-by-step lists',
  sources: 'answers that say where their information comes from',
  'no-emoji': 'replies without emoji',
  formal: 'a formal register',
  code: 'code examples',
};
const AVOIDS: Record<Aspect, string> = {
  concise: 'long, detailed answers',
  steps: 'prose over lists',
  sources: 'answers without attributions',
  'no-emoji': 'replies with emoji',
  formal: 'a casual register',
  code: 'explanations without code',
};

function describeWeights(w: AspectWeights): string {
  return ASPECTS.filter((t) => w[t])
    .map((t) => (w[t]! > 0 ? WANTS[t] : AVOIDS[t]))
    .join(', ');
}

interface Judgment {
  reasoning: string;
  preference: 'A' | 'B';
}

/** How much each kind of evidence counts. Explicit statements about the user dominate the prior. */
const WEIGHT = { persona: 3, profile: 2, memory: 2, demos: 3, request: 3 };
/** With personal information, the generic prior only breaks ties. */
const PRIOR_WITH_KNOWLEDGE = 0.15;
/** Score differences below this are near-ties, which go to the response shown first. */
const NEAR_TIE = 0.15;

/** A prose answer with no verdict in it: what a model writes when nobody said how to answer. */
const RAMBLE =
  'Both replies address the question. The first one and the second one differ in length and in how they are laid out, and each has its merits. Which of the two suits the reader better depends on what the reader is after.';

interface JudgeContext {
  system: string;
  userMessage: string;
  bootstrap: boolean;
  flip: boolean;
  coin: 'A' | 'B';
  confuse: (c: Confusion) => void;
}

function judge(ctx: JudgeContext): Judgment {
  const { system, bootstrap, flip, coin, confuse } = ctx;
  // The pair to judge is in the last user message; examples (wherever they are) are past pairs.
  const pair = readPair(ctx.userMessage.replace(/<examples>[\s\S]*?<\/examples>/g, ''));
  if (!pair.labelled) {
    confuse('no-labels');
    return {
      reasoning:
        'The two replies are not labelled A and B, so I cannot tell which letter belongs to which reply; this is a guess.',
      preference: coin,
    };
  }
  const { a, b } = pair;
  if (!a && !b) {
    return {
      reasoning:
        'The replies to compare are missing from the prompt, so there is no basis for a preference; answering A by default.',
      preference: 'A',
    };
  }

  // Whose preference the instructions ask for: a generic question gets a generic answer.
  const personal = PERSONAL.test(instructionsOf(system));
  if (!personal) confuse('not-personal');

  // What the prompt says about the user, source by source.
  const weights: AspectWeights = {};
  const known: string[] = [];
  const add = (w: AspectWeights, strength: number, where: string, detail = '') => {
    const named = ASPECTS.filter((t) => w[t]);
    if (!named.length) return;
    for (const t of named) weights[t] = (weights[t] ?? 0) + strength * w[t]!;
    known.push(`${where} ${describeWeights(w)}${detail}`);
  };
  const notes: string[] = [];
  if (personal) {
    const { persona, missing } = personaOf(system);
    if (missing) {
      confuse('no-persona');
      notes.push('The prompt announces a persona of this user, but none is given, so I cannot use it.');
    }
    if (persona) add(aspectsStatedIn(persona), WEIGHT.persona, 'the persona says this user wants');
    const profile = tagBody(system, 'user_profile');
    if (profile) add(aspectsStatedIn(profile), WEIGHT.profile, 'their survey answers suggest they want');
    const memory = tagBody(system, 'user_memory');
    if (memory) add(aspectsStatedIn(memory), WEIGHT.memory, 'the remembered facts suggest they want');
    const examples = parseExamples(system);
    if (examples.length) {
      const ev = countEvidence(examples);
      const aspects = consistentAspects(ev);
      if (aspects.length) {
        const top = ev.pro[aspects[0]!];
        const w: AspectWeights = {};
        for (const t of aspects) w[t] = ev.pro[t] / top;
        add(
          w,
          WEIGHT.demos,
          'their past choices consistently favour',
          ` (${aspects.map((t) => `${ev.pro[t]} of ${ev.usable}`).join(', ')} examples)`,
        );
      }
    }
  }
  // A request in the conversation itself counts for any judge: it is part of the question.
  add(aspectsStatedIn(userTurns(pair.conversation).join('\n')), WEIGHT.request, 'in this conversation they ask for');

  const diffs = describeDifferences(a, b);
  const generic = genericScore(a) - genericScore(b);
  const hasKnowledge = ASPECTS.some((t) => weights[t]);
  let score = hasKnowledge ? PRIOR_WITH_KNOWLEDGE * generic : generic;
  for (const t of ASPECTS) if (weights[t]) score += weights[t]! * compareAspect(t, a, b);

  let preference: 'A' | 'B' = Math.abs(score) < NEAR_TIE ? 'A' : score > 0 ? 'A' : 'B';
  if (flip) preference = preference === 'A' ? 'B' : 'A';

  const parts: string[] = [...notes];
  if (bootstrap) {
    parts.push(
      hasKnowledge
        ? `Hypotheses about this user: ${known.map((k, i) => `(${i + 1}) ${k}`).join('; ')}.`
        : 'Hypotheses about this user: (1) they want a complete, well-explained answer they can rely on; (2) they appreciate clear structure; (3) a friendly register will not put them off.',
    );
  } else if (hasKnowledge) {
    parts.push(`What I know: ${known.join('; ')}.`);
  } else if (!personal) {
    parts.push(
      'The instructions ask which reply is better in general, so I judge as a typical reader would: the more thorough, organised and friendly reply usually wins.',
    );
  } else {
    parts.push(
      'Nothing specific is known about this user, so I judge as a typical reader would: the more thorough, organised and friendly reply usually wins.',
    );
  }
  parts.push(...diffs);
  parts.push(
    flip
      ? `It is a close call; I pick Response ${preference}.`
      : `Response ${preference} fits ${hasKnowledge ? 'this user' : 'a typical reader'} better.`,
  );
  return { reasoning: parts.join(' '), preference };
}

const PROPERTY: Record<Aspect, string> = {
  concise: 'was clearly the shorter one',
  steps: 'was laid out as a list',
  sources: 'said where its information came from',
  'no-emoji': 'had no emoji',
  formal: 'kept a formal register',
  code: 'included code',
};
const GENERIC_PERSONA =
  'The available choices do not show a consistent pattern. This user seems to judge replies case by case, as a thoughtful typical user would.';

function synthesizePersona(all: string): { reasoning: string; persona: string } {
  const examples = parseExamples(all);
  const ev = countEvidence(examples);
  if (!ev.usable) {
    return {
      reasoning: examples.length
        ? 'The examples do not include both replies with a preference, so there is nothing to generalise from.'
        : 'No examples were given.',
      persona: GENERIC_PERSONA,
    };
  }
  const aspects = consistentAspects(ev);
  const observed = ASPECTS.filter((t) => ev.pro[t] + ev.con[t] > 0).map(
    (t) => `the preferred reply ${PROPERTY[t]} in ${ev.pro[t]} example(s) and the other one did in ${ev.con[t]}`,
  );
  const reasoning =
    `Across ${ev.usable} example(s): ${observed.join('; ') || 'the two replies never differed in a recognisable way'}. ` +
    (aspects.length
      ? `Consistent: ${aspects.map((t) => WANTS[t]).join(', ')}.`
      : 'No difference points the same way consistently.');
  if (!aspects.length) return { reasoning, persona: GENERIC_PERSONA };
  // The wording is chosen by the examples, so different users get different paraphrases.
  const n = hashString(all);
  const [first, ...rest] = aspects;
  const paragraph = `This user seems to be ${pick(PORTRAITS[first!], n)}${rest.map((t, i) => `; they are also ${pick(PORTRAITS[t], n >>> (i + 3))}`).join('')}.`;
  const bullets = [
    ...aspects.map((t, i) => `- ${pick(PARAPHRASES[t], n >>> (2 * i + 1))}`),
    '- Otherwise judges replies on substance and clarity, like a typical user.',
  ];
  return { reasoning, persona: `${paragraph}\n\nPreferences about responses:\n${bullets.join('\n')}` };
}

const CRITERION: Record<Aspect, [string, string]> = {
  concise: ['brevity', 'thoroughness'],
  steps: ['step-by-step structure', 'flowing prose'],
  sources: ['named sources', 'no attributions'],
  'no-emoji': ['no emoji', 'emoji'],
  formal: ['formal register', 'casual register'],
  code: ['code examples', 'explanation without code'],
};

/**
 * The rubric methods: what the user wants (the persona given, else what the past choices and the request show)
 * becomes weighted criteria, and each reply is scored 1-10 on each by the brain's own detectors, plus a general
 * quality criterion (the generic prior: heavy when nothing is known, light otherwise). `flip` swaps the two replies'
 * scores: the simulated model's mistake on this prompt.
 */
function scoreByRubric(system: string, userMessage: string, flip: boolean): Record<string, unknown> {
  const pair = readPair(userMessage.replace(/<examples>[\s\S]*?<\/examples>/g, ''));
  const personal = PERSONAL.test(instructionsOf(system));
  const weights: AspectWeights = {};
  const add = (w: AspectWeights, strength: number) => {
    for (const t of ASPECTS) if (w[t]) weights[t] = (weights[t] ?? 0) + strength * w[t]!;
  };
  const given = personaOf(system).persona;
  if (personal && given) add(aspectsStatedIn(given), WEIGHT.persona);
  if (personal) {
    const ev = countEvidence(parseExamples(system));
    const aspects = consistentAspects(ev);
    for (const t of aspects) add({ [t]: ev.pro[t] / ev.pro[aspects[0]!] }, WEIGHT.demos);
  }
  add(aspectsStatedIn(userTurns(pair.conversation).join('\n')), WEIGHT.request);
  const known = ASPECTS.filter((t) => weights[t]);
  const criteria = known.map((t) => ({
    name: CRITERION[t][weights[t]! > 0 ? 0 : 1],
    weight: Math.max(1, Math.round(Math.abs(weights[t]!))),
  }));
  const scoresA: number[] = [];
  const scoresB: number[] = [];
  for (const t of known) {
    const d = Math.sign(weights[t]!) * compareAspect(t, pair.a, pair.b);
    scoresA.push(6 + 3 * d);
    scoresB.push(6 - 3 * d);
  }
  // The general quality of each reply, as a typical reader sees it: a near-tie scores equal.
  const g = genericScore(pair.a) - genericScore(pair.b);
  const gd = Math.abs(g) < NEAR_TIE ? 0 : Math.sign(g);
  criteria.push({ name: 'overall helpfulness', weight: known.length ? 1 : 3 });
  scoresA.push(7 + gd);
  scoresB.push(7 - gd);
  const scores = flip ? { A: scoresB, B: scoresA } : { A: scoresA, B: scoresB };
  if (given) return { criteria, scores };
  const persona = known.length
    ? `This user wants ${describeWeights(Object.fromEntries(known.map((t) => [t, Math.sign(weights[t]!)])))}.`
    : GENERIC_PERSONA;
  return { persona, criteria, scores };
}

/** A memory only records what the user said: their questions and their explicit requests. */
function extractMemory(userMessage: string): { facts: string[] } {
  const requests = new Map<Aspect, number>();
  const topics: string[] = [];
  for (const m of userMessage.matchAll(/<conversation number="\d+">\n?([\s\S]*?)\n?<\/conversation>/g)) {
    for (const turn of userTurns(m[1]!)) {
      const q = turn.indexOf('?');
      const first = (q >= 0 ? turn.slice(0, q + 1) : turn.split(/(?<=\.)\s/)[0]!).trim();
      if (first) topics.push(`Asked for help with: ${first}`);
      const stated = aspectsStatedIn(turn);
      for (const t of ASPECTS) if ((stated[t] ?? 0) > 0) requests.set(t, (requests.get(t) ?? 0) + 1);
    }
  }
  const facts = [...requests].map(([t, n]) => `${REQUEST_FACTS[t]}${n > 1 ? ` (in ${n} conversations)` : ''}.`);
  return { facts: [...facts, ...new Set(topics)] };
}

const REFUSAL =
  /\b(?:I can(?:no|')t help|I cannot assist|I am unable to|I'm unable to|I won't be able to|as an AI,? I)\b/i;

/**
 * The figures a reply states, leaving out attributions (years and section numbers of a source
 * line) and code. Two replies that each state figures the other lacks disagree on facts; a
 * terser version of the same answer only drops some.
 */
export function statedNumbers(text: string): Set<string> {
  const prose = text
    .replace(/```[^\n]*\n[\s\S]*?```/g, ' ')
    .split('\n')
    .filter((l) => !/^\s*(?:sources?|references?)\s*:/i.test(l))
    .map((l) => l.replace(/^\s*\d{1,2}[.)]\s+/, '')) // list markers are not figures
    .join('\n')
    .replace(/\baccording to\b[^.]*\./gi, ' ')
    .replace(/\bhttps?:\/\/\S+/gi, ' ');
  return new Set(prose.match(/\d+(?:[.,/]\d+)*/g) ?? []);
}

const ASPECT_NAME: Record<Aspect, string> = {
  concise: 'length',
  steps: 'structure',
  sources: 'attribution',
  'no-emoji': 'emoji',
  formal: 'tone',
  code: 'code examples',
};

function judgePersonalizable(userMessage: string): { reason: string; personalizable: boolean } {
  const { a, b } = readPair(userMessage);
  if (!a || !b)
    return {
      reason: 'At least one reply is missing or empty, so there is nothing to choose between on taste.',
      personalizable: false,
    };
  if (REFUSAL.test(a) !== REFUSAL.test(b))
    return {
      reason: 'One reply refuses without reason while the other answers, so nearly everyone would prefer the answer.',
      personalizable: false,
    };
  const na = statedNumbers(a);
  const nb = statedNumbers(b);
  const onlyA = [...na].filter((n) => !nb.has(n));
  const onlyB = [...nb].filter((n) => !na.has(n));
  if (onlyA.length && onlyB.length) {
    return {
      reason: `The replies disagree on the facts (A says ${onlyA.slice(0, 3).join(', ')}, B says ${onlyB.slice(0, 3).join(', ')}), so which is better is a matter of correctness rather than taste.`,
      personalizable: false,
    };
  }
  const differs = ASPECTS.filter((t) => compareAspect(t, a, b) !== 0);
  if (!differs.length)
    return {
      reason: 'The two replies are practically the same in substance and style, so there is nothing to prefer.',
      personalizable: false,
    };
  return {
    reason: `Both replies carry the same substance and differ mainly in ${differs.map((t) => ASPECT_NAME[t]).join(', ')}, on which reasonable people disagree.`,
    personalizable: true,
  };
}

function kindOf(request: BrainRequest): BrainKind {
  const name = request.schema?.name;
  if (name === 'judgment' || name === 'persona' || name === 'memory' || name === 'personalizable' || name === 'rubric')
    return name;
  // Without a schema (a server that rejected it, a plain-text fallback), the output
  // instructions in the system message say what is wanted.
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
  if (/"personalizable"/.test(system)) return 'personalizable';
  if (/"criteria"/.test(system) && /"scores"/.test(system)) return 'rubric';
  if (/"facts"/.test(system)) return 'memory';
  if (/"persona"/.test(system)) return 'persona';
  if (/"preference"/.test(system) || request.messages.some((m) => m.content.includes('<response_a>')))
    return 'judgment';
  return 'other';
}

export function simulatedBrain(options: SimulatedBrainOptions = {}): SimulatedBrain {
  const noise = options.noise ?? 0.08;
  const zero = (): BrainStats => ({
    calls: 0,
    byKind: { judgment: 0, persona: 0, memory: 0, personalizable: 0, rubric: 0, other: 0 },
    confused: { 'not-personal': 0, 'no-persona': 0, 'no-format': 0, 'no-labels': 0 },
  });
  let stats = zero();

  const brain = ((request: BrainRequest): string => {
    const kind = kindOf(request);
    stats.calls++;
    stats.byKind[kind]++;
    const all = request.messages.map((m) => m.content).join('\n\n');
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    switch (kind) {
      case 'judgment': {
        const system = request.messages
          .filter((m) => m.role === 'system')
          .map((m) => m.content)
          .join('\n\n');
        const prompt = request.messages.map((m) => `${m.role}\n${m.content}`).join('\n\u0000\n');
        // A hash of the whole prompt decides the flips: deterministic, and different prompts
        // (another persona, other demos, the other order) flip independently.
        const rng = createRng(hashString(prompt));
        const flip = rng() < noise;
        const coin = rng() < 0.5 ? 'A' : 'B';
        const seen = new Set<Confusion>();
        const confuse = (c: Confusion) => {
          if (!seen.has(c)) stats.confused[c]++;
          seen.add(c);
        };
        const formatted = statesFormat(request.messages, ['reasoning', 'preference']);
        if (!formatted) confuse('no-format');
        // Without a format and without a schema, nothing tells it to answer with a letter.
        if (!formatted && !request.schema) return RAMBLE;
        const verdict = judge({
          system,
          userMessage: lastUser,
          bootstrap: /hypothes/i.test(instructionsOf(system)),
          flip,
          coin,
          confuse,
        });
        // With a schema but no instructions it fills the fields without knowing what they mean.
        if (!formatted)
          return JSON.stringify({
            reasoning: 'I was not told what to put in these fields; picking one.',
            preference: coin,
          });
        return JSON.stringify(verdict);
      }
      case 'persona':
        return JSON.stringify(synthesizePersona(all));
      case 'memory':
        return JSON.stringify(extractMemory(lastUser));
      case 'personalizable':
        return JSON.stringify(judgePersonalizable(lastUser));
      case 'rubric': {
        const system = request.messages
          .filter((m) => m.role === 'system')
          .map((m) => m.content)
          .join('\n\n');
        const prompt = request.messages.map((m) => `${m.role}\n${m.content}`).join('\n\u0000\n');
        const flip = createRng(hashString(prompt))() < noise;
        return JSON.stringify(scoreByRubric(system, lastUser, flip));
      }
      default:
        return 'Hello from the simulated model.';
    }
  }) as SimulatedBrain;
  brain.stats = () => ({ calls: stats.calls, byKind: { ...stats.byKind }, confused: { ...stats.confused } });
  brain.resetStats = () => {
    stats = zero();
  };
  return brain;
}
