// A simulated "brain" for the loopback LLM servers: it answers the engine's calls like a
// competent model would, by READING THE REAL PROMPT the engine sent (TESTING.md section 2).
//
// It knows nothing about the simulated users' hidden traits. Everything it decides comes from
// the text in front of it: the persona, profile and memory sections, the demonstrations (which
// response the user preferred, and how the two differed), the conversation being judged, and
// the two responses. So a prompt-building bug (a persona left out, demos without their
// responses, a pair rendered empty) changes its answers, exactly as it would with a real model.
//
// What it simulates, per call kind (the schema name, or the output instructions when the
// server was asked without a schema):
//   judgment        judge and bootstrap calls: {"reasoning", "preference": "A"|"B"}
//   persona         persona synthesis from examples with true preferences: {"reasoning", "persona"}
//   memory          facts about the user from their conversations: {"facts": [...]}
//   personalizable  does the pair leave room for taste: {"reason", "personalizable"}
//
// With no personal information it judges by a GENERIC PRIOR like typical LLM judges: the longer,
// more detailed answer wins, lists and friendliness help a little, and near-ties go to A. A hash
// of the prompt flips a small share of answers (default 8%), so accuracy is high but not perfect,
// and the same prompt always gets the same answer.
//
// This simulates a competent model; it does not measure one. Accuracy on real data needs a
// real model.

import { createRng, hashString } from '../../src/core/random';
import { TRAITS, citesSources, hasCodeBlock, hasEmoji, hasNumberedSteps, isFormal, proseOf, traitPreference, wordCount, LENGTH_RATIO, type Trait } from './simulated-users';

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

export type BrainKind = 'judgment' | 'persona' | 'memory' | 'personalizable' | 'other';

export interface BrainStats {
  calls: number;
  byKind: Record<BrainKind, number>;
}

export interface SimulatedBrain extends Brain {
  /** Calls answered so far, by kind. */
  stats(): BrainStats;
  resetStats(): void;
}

export interface SimulatedBrainOptions {
  /** Share of answers flipped by a hash of the prompt (default 0.08). 0 gives a flawless reader. */
  noise?: number;
}

type Weights = Partial<Record<Trait, number>>;

// ---------------------------------------------------------------------------------------------
// Reading the prompt
// ---------------------------------------------------------------------------------------------

function tagBody(text: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return m?.[1];
}

interface Example {
  conversation: string;
  a: string;
  b: string;
  preference: 'A' | 'B' | null;
}

function parseExamples(text: string): Example[] {
  const out: Example[] = [];
  for (const m of text.matchAll(/<example number="\d+">([\s\S]*?)<\/example>/g)) {
    const body = m[1]!;
    const pref = /<preference>\s*([AB])\s*<\/preference>/.exec(body)?.[1];
    out.push({
      conversation: tagBody(body, 'conversation') ?? '',
      a: tagBody(body, 'response_a') ?? '',
      b: tagBody(body, 'response_b') ?? '',
      preference: pref === 'A' || pref === 'B' ? pref : null,
    });
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

// Words that name each trait in plain language. `pos` words name the wanted property
// ("concise"), `neg` words its opposite ("verbose", "emoji"): "dislikes emoji" and "no slang"
// are statements FOR the trait, so a negation in front flips a word's polarity.
const TRAIT_WORDS: Record<Trait, { pos?: RegExp; neg?: RegExp }> = {
  concise: { pos: /\b(?:concise(?:ness)?|brief|brevity|succinct|terse|short(?:er)?|to the point|few sentences)\b/gi, neg: /\b(?:verbose|verbosity|padded|padding|wordy|long-winded|rambling)\b/gi },
  steps: { pos: /\b(?:step[- ]by[- ]step|numbered|steps|checklists?|ordered lists?)\b/gi },
  sources: { pos: /\b(?:sources?|cit(?:e|es|ed|ing|ations?)|references?|evidence|links?|attributions?)\b/gi },
  'no-emoji': { neg: /\b(?:emojis?|emoticons?|smileys?)\b/gi },
  formal: { pos: /\b(?:formal(?:ity|ly)?|professional (?:tone|register|language))\b/gi, neg: /\b(?:slang|contractions?|exclamation(?: marks?)?|chatty|casual)\b/gi },
  code: { pos: /\b(?:code|snippets?)\b/gi },
};
const NEGATION = /\b(?:not|no|never|without|avoids?|avoiding|dislikes?|disliking|hates?|penali[sz](?:e|es|ed|ing)|nor|rather than|instead of|less|free of|against|neither)\b|n't\b/i;
const INDIFFERENCE = /\b(?:care|cares|mind|minds|matters?|indifferent|regardless)\b/i;

/**
 * Traits a piece of prose states, with their direction (+1 wants the property, -1 wants its
 * opposite). Read clause by clause; a negation among the few words before a trait word flips
 * it ("no emoji" is for `no-emoji`, "does not need code" is against `code`), and indifference
 * ("does not care about sources") cancels it.
 */
export function traitsStatedIn(text: string): Weights {
  const out: Weights = {};
  for (const clause of text.split(/[.;:!?\n()\u2014]+/)) {
    for (const trait of TRAITS) {
      let sum = 0;
      for (const [re, base] of [
        [TRAIT_WORDS[trait].pos, 1],
        [TRAIT_WORDS[trait].neg, -1],
      ] as const) {
        if (!re) continue;
        for (const m of clause.matchAll(re)) {
          const before = clause.slice(0, m.index).split(/\s+/).slice(-5).join(' ');
          if (INDIFFERENCE.test(before)) continue;
          sum += NEGATION.test(before) ? -base : base;
        }
      }
      if (sum) out[trait] = (out[trait] ?? 0) + Math.sign(sum);
    }
  }
  for (const t of TRAITS) if (out[t] !== undefined) out[t] = Math.sign(out[t]!);
  return out;
}

/** The traits a text states, for tests and reports: those stated in favour. */
export function traitsNamedIn(text: string): Trait[] {
  const w = traitsStatedIn(text);
  return TRAITS.filter((t) => (w[t] ?? 0) > 0);
}

interface Evidence {
  /** Examples that had both responses and a preference. */
  usable: number;
  /** For each trait: in how many examples the preferred response had it and the other lacked it (pro), or the reverse (con). */
  pro: Record<Trait, number>;
  con: Record<Trait, number>;
}

function countEvidence(examples: readonly Example[]): Evidence {
  const zero = () => Object.fromEntries(TRAITS.map((t) => [t, 0])) as Record<Trait, number>;
  const ev: Evidence = { usable: 0, pro: zero(), con: zero() };
  for (const ex of examples) {
    if (!ex.a.trim() || !ex.b.trim() || !ex.preference) continue;
    ev.usable++;
    for (const t of TRAITS) {
      const d = traitPreference(t, ex.a, ex.b) * (ex.preference === 'A' ? 1 : -1);
      if (d > 0) ev.pro[t]++;
      else if (d < 0) ev.con[t]++;
    }
  }
  return ev;
}

/**
 * Traits the examples support consistently, strongest first. A real preference is never (or
 * almost never) contradicted, while an accident of a few examples usually is: length differs in
 * most pairs, so a user indifferent to it shows "the shorter won" about as often as the reverse.
 * So: seen in at least two examples (and a fifth of them), contradicted at most once per eight.
 */
function consistentTraits(ev: Evidence): Trait[] {
  const need = ev.usable < 2 ? 1 : Math.max(2, Math.ceil(0.2 * ev.usable));
  return TRAITS.filter((t) => ev.pro[t] >= need && ev.con[t] * 8 <= ev.pro[t]).sort((x, y) => ev.pro[y] - ev.pro[x]);
}

// ---------------------------------------------------------------------------------------------
// Comparing two responses
// ---------------------------------------------------------------------------------------------

function isFriendly(text: string): boolean {
  const prose = proseOf(text);
  return prose.includes('!') || hasEmoji(prose) || /\b(?:great question|happy to help|hope (?:that|this) helps|good luck|you've got this|have fun)\b/i.test(prose);
}

/** What a typical LLM judge rewards when it knows nothing about the user. */
function genericScore(text: string): number {
  if (!text.trim()) return -10;
  return Math.log2(wordCount(text) + 1) + (hasNumberedSteps(text) ? 0.35 : 0) + (isFriendly(text) ? 0.25 : 0) + (hasCodeBlock(text) ? 0.2 : 0);
}

/** Concrete differences between A and B, in the words a model would use. */
function describeDifferences(a: string, b: string): string[] {
  const out: string[] = [];
  const wa = wordCount(a);
  const wb = wordCount(b);
  if (wa && wb && Math.max(wa, wb) >= LENGTH_RATIO * Math.min(wa, wb)) {
    const [s, l, ws, wl] = wa < wb ? ['A', 'B', wa, wb] : ['B', 'A', wb, wa];
    out.push(`Response ${s} is much shorter than Response ${l} (${ws} vs ${wl} words); Response ${l} adds background and detail.`);
  } else {
    out.push(`The two replies are of similar length (${wa} and ${wb} words).`);
  }
  const feature = (has: (t: string) => boolean, yes: string, no: string) => {
    const ha = has(a);
    const hb = has(b);
    if (ha !== hb) out.push(`Response ${ha ? 'A' : 'B'} ${yes}; Response ${ha ? 'B' : 'A'} ${no}.`);
  };
  feature(hasNumberedSteps, 'lays the answer out as a numbered list', 'is written as prose');
  feature(citesSources, 'names where its information comes from', 'gives no attribution');
  feature(hasEmoji, 'uses emoji', 'does not');
  feature(isFormal, 'keeps a formal register', 'is casual, with contractions or exclamation marks');
  feature(hasCodeBlock, 'includes a fenced code example', 'explains in words only');
  return out;
}

const WANTS: Record<Trait, string> = {
  concise: 'concise answers',
  steps: 'numbered step-by-step lists',
  sources: 'answers that name their sources',
  'no-emoji': 'replies without emoji',
  formal: 'a formal register',
  code: 'code examples',
};
const AVOIDS: Record<Trait, string> = {
  concise: 'long, detailed answers',
  steps: 'prose over lists',
  sources: 'answers without attributions',
  'no-emoji': 'replies with emoji',
  formal: 'a casual register',
  code: 'explanations without code',
};

function describeWeights(w: Weights): string {
  return TRAITS.filter((t) => w[t])
    .map((t) => (w[t]! > 0 ? WANTS[t] : AVOIDS[t]))
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// The calls
// ---------------------------------------------------------------------------------------------

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

function judge(all: string, userMessage: string, bootstrap: boolean, flip: boolean): Judgment {
  // The pair to judge is in the last user message; examples (wherever they are) are past pairs.
  const pairText = userMessage.replace(/<examples>[\s\S]*?<\/examples>/g, '');
  const conversation = tagBody(pairText, 'conversation') ?? '';
  const a = (tagBody(pairText, 'response_a') ?? '').trim();
  const b = (tagBody(pairText, 'response_b') ?? '').trim();
  if (!a && !b) {
    return { reasoning: 'The replies to compare are missing from the prompt, so there is no basis for a preference; answering A by default.', preference: 'A' };
  }

  // What the prompt says about the user, source by source.
  const weights: Weights = {};
  const known: string[] = [];
  const add = (w: Weights, strength: number, where: string, detail = '') => {
    const named = TRAITS.filter((t) => w[t]);
    if (!named.length) return;
    for (const t of named) weights[t] = (weights[t] ?? 0) + strength * w[t]!;
    known.push(`${where} ${describeWeights(w)}${detail}`);
  };
  const persona = tagBody(all, 'user_persona');
  if (persona) add(traitsStatedIn(persona), WEIGHT.persona, 'the persona says this user wants');
  const profile = tagBody(all, 'user_profile');
  if (profile) add(traitsStatedIn(profile), WEIGHT.profile, 'their survey answers suggest they want');
  const memory = tagBody(all, 'user_memory');
  if (memory) add(traitsStatedIn(memory), WEIGHT.memory, 'the remembered facts suggest they want');
  const examples = parseExamples(all);
  if (examples.length) {
    const ev = countEvidence(examples);
    const traits = consistentTraits(ev);
    if (traits.length) {
      const top = ev.pro[traits[0]!];
      const w: Weights = {};
      for (const t of traits) w[t] = ev.pro[t] / top;
      add(w, WEIGHT.demos, 'their past choices consistently favour', ` (${traits.map((t) => `${ev.pro[t]} of ${ev.usable}`).join(', ')} examples)`);
    }
  }
  const asked = traitsStatedIn(userTurns(conversation).join('\n'));
  add(asked, WEIGHT.request, 'in this conversation they ask for');

  const diffs = describeDifferences(a, b);
  const generic = genericScore(a) - genericScore(b);
  const hasKnowledge = TRAITS.some((t) => weights[t]);
  let score = hasKnowledge ? PRIOR_WITH_KNOWLEDGE * generic : generic;
  for (const t of TRAITS) if (weights[t]) score += weights[t]! * traitPreference(t, a, b);

  let preference: 'A' | 'B' = Math.abs(score) < NEAR_TIE ? 'A' : score > 0 ? 'A' : 'B';
  if (flip) preference = preference === 'A' ? 'B' : 'A';

  const parts: string[] = [];
  if (bootstrap) {
    parts.push(
      hasKnowledge
        ? `Hypotheses about this user: ${known.map((k, i) => `(${i + 1}) ${k}`).join('; ')}.`
        : 'Hypotheses about this user: (1) they want a complete, well-explained answer they can rely on; (2) they appreciate clear structure; (3) a friendly register will not put them off.',
    );
  } else if (hasKnowledge) {
    parts.push(`What I know: ${known.join('; ')}.`);
  } else {
    parts.push('Nothing specific is known about this user, so I judge as a typical reader would: the more thorough, organised and friendly reply usually wins.');
  }
  parts.push(...diffs);
  parts.push(flip ? `It is a close call; I pick Response ${preference}.` : `Response ${preference} fits ${hasKnowledge ? 'this user' : 'a typical reader'} better.`);
  return { reasoning: parts.join(' '), preference };
}

const PARAGRAPH: Record<Trait, string> = {
  concise: 'a busy reader who wants the answer quickly and to the point',
  steps: 'someone who likes to act on instructions one step at a time',
  sources: 'a careful reader who wants to know where information comes from and checks the source',
  'no-emoji': 'someone who dislikes emoji in written answers',
  formal: 'a reader who expects a formal, professional register',
  code: 'a technical user who learns best from working code',
};
const BULLET: Record<Trait, string> = {
  concise: 'Prefers concise answers of a few sentences; penalises long, padded replies.',
  steps: 'Wants instructions as numbered, step-by-step lists rather than paragraphs of prose.',
  sources: 'Values answers that cite their sources (a source line, a named authority or a link).',
  'no-emoji': 'Dislikes emoji; prefers plain text without them.',
  formal: 'Prefers a formal, professional tone with no contractions, slang or exclamation marks.',
  code: 'Likes a concrete code example (a fenced code snippet) whenever one fits the question.',
};
const PROPERTY: Record<Trait, string> = {
  concise: 'was clearly the shorter one',
  steps: 'used a numbered list',
  sources: 'named a source',
  'no-emoji': 'had no emoji',
  formal: 'kept a formal register',
  code: 'included a code block',
};
const GENERIC_PERSONA = 'The available choices do not show a consistent pattern. This user seems to judge replies case by case, as a thoughtful typical user would.';

function synthesizePersona(all: string): { reasoning: string; persona: string } {
  const examples = parseExamples(all);
  const ev = countEvidence(examples);
  if (!ev.usable) {
    return {
      reasoning: examples.length ? 'The examples do not include both replies with a preference, so there is nothing to generalise from.' : 'No examples were given.',
      persona: GENERIC_PERSONA,
    };
  }
  const traits = consistentTraits(ev);
  const observed = TRAITS.filter((t) => ev.pro[t] + ev.con[t] > 0).map((t) => `the preferred reply ${PROPERTY[t]} in ${ev.pro[t]} example(s) and the other one did in ${ev.con[t]}`);
  const reasoning =
    `Across ${ev.usable} example(s): ${observed.join('; ') || 'the two replies never differed in a recognisable way'}. ` +
    (traits.length ? `Consistent: ${traits.map((t) => WANTS[t]).join(', ')}.` : 'No difference points the same way consistently.');
  if (!traits.length) return { reasoning, persona: GENERIC_PERSONA };
  const [first, ...rest] = traits;
  const paragraph = `This user seems to be ${PARAGRAPH[first!]}${rest.map((t) => `; they are also ${PARAGRAPH[t]}`).join('')}.`;
  const bullets = [...traits.map((t) => `- ${BULLET[t]}`), '- Otherwise judges replies on substance and clarity, like a typical user.'];
  return { reasoning, persona: `${paragraph}\n\nPreferences about responses:\n${bullets.join('\n')}` };
}

const REQUEST_FACT: Record<Trait, string> = {
  concise: 'Has asked for short, to-the-point answers',
  steps: 'Has asked for instructions laid out step by step',
  sources: 'Has asked for sources to back up answers',
  'no-emoji': 'Has asked for answers without emojis',
  formal: 'Has asked for answers in a formal tone',
  code: 'Has asked to see code examples',
};

/** A memory only records what the user said: their questions and their explicit requests. */
function extractMemory(userMessage: string): { facts: string[] } {
  const requests = new Map<Trait, number>();
  const topics: string[] = [];
  for (const m of userMessage.matchAll(/<conversation number="\d+">\n?([\s\S]*?)\n?<\/conversation>/g)) {
    for (const turn of userTurns(m[1]!)) {
      const q = turn.indexOf('?');
      const first = (q >= 0 ? turn.slice(0, q + 1) : turn.split(/(?<=\.)\s/)[0]!).trim();
      if (first) topics.push(`Asked for help with: ${first}`);
      const stated = traitsStatedIn(turn);
      for (const t of TRAITS) if ((stated[t] ?? 0) > 0) requests.set(t, (requests.get(t) ?? 0) + 1);
    }
  }
  const facts = [...requests].map(([t, n]) => `${REQUEST_FACT[t]}${n > 1 ? ` (in ${n} conversations)` : ''}.`);
  return { facts: [...facts, ...new Set(topics)] };
}

const REFUSAL = /\b(?:I can(?:no|')t help|I cannot assist|I am unable to|I'm unable to|I won't be able to|as an AI,? I)\b/i;

/**
 * The figures a reply states, leaving out attributions (years and section numbers of a source
 * line) and code. Two replies that each state figures the other lacks disagree on facts; a
 * terser version of the same answer only drops some.
 */
export function statedNumbers(text: string): Set<string> {
  const prose = proseOf(text)
    .split('\n')
    .filter((l) => !/^\s*(?:sources?|references?)\s*:/i.test(l))
    .map((l) => l.replace(/^\s*\d{1,2}[.)]\s+/, '')) // list markers are not figures
    .join('\n')
    .replace(/\baccording to\b[^.]*\./gi, ' ')
    .replace(/\bhttps?:\/\/\S+/gi, ' ');
  return new Set(prose.match(/\d+(?:[.,/]\d+)*/g) ?? []);
}

function judgePersonalizable(userMessage: string): { reason: string; personalizable: boolean } {
  const a = (tagBody(userMessage, 'response_a') ?? '').trim();
  const b = (tagBody(userMessage, 'response_b') ?? '').trim();
  if (!a || !b) return { reason: 'At least one reply is missing or empty, so there is nothing to choose between on taste.', personalizable: false };
  if (REFUSAL.test(a) !== REFUSAL.test(b)) return { reason: 'One reply refuses without reason while the other answers, so nearly everyone would prefer the answer.', personalizable: false };
  const na = statedNumbers(a);
  const nb = statedNumbers(b);
  const onlyA = [...na].filter((n) => !nb.has(n));
  const onlyB = [...nb].filter((n) => !na.has(n));
  if (onlyA.length && onlyB.length) {
    return { reason: `The replies disagree on the facts (A says ${onlyA.slice(0, 3).join(', ')}, B says ${onlyB.slice(0, 3).join(', ')}), so which is better is a matter of correctness rather than taste.`, personalizable: false };
  }
  const differs = TRAITS.filter((t) => traitPreference(t, a, b) !== 0);
  if (!differs.length) return { reason: 'The two replies are practically the same in substance and style, so there is nothing to prefer.', personalizable: false };
  return { reason: `Both replies carry the same substance and differ mainly in ${differs.map((t) => ASPECT[t]).join(', ')}, on which reasonable people disagree.`, personalizable: true };
}

const ASPECT: Record<Trait, string> = { concise: 'length', steps: 'structure', sources: 'attribution', 'no-emoji': 'emoji', formal: 'tone', code: 'code examples' };

function kindOf(request: BrainRequest): BrainKind {
  const name = request.schema?.name;
  if (name === 'judgment' || name === 'persona' || name === 'memory' || name === 'personalizable') return name;
  // Without a schema (a server that rejected it, a plain-text fallback), the output
  // instructions in the system message say what is wanted.
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  if (/"personalizable"/.test(system)) return 'personalizable';
  if (/"facts"/.test(system)) return 'memory';
  if (/"persona"/.test(system)) return 'persona';
  if (/"preference"/.test(system) || request.messages.some((m) => m.content.includes('<response_a>'))) return 'judgment';
  return 'other';
}

export function simulatedBrain(options: SimulatedBrainOptions = {}): SimulatedBrain {
  const noise = options.noise ?? 0.08;
  const zero = (): BrainStats => ({ calls: 0, byKind: { judgment: 0, persona: 0, memory: 0, personalizable: 0, other: 0 } });
  let stats = zero();

  const brain = ((request: BrainRequest): string => {
    const kind = kindOf(request);
    stats.calls++;
    stats.byKind[kind]++;
    const all = request.messages.map((m) => m.content).join('\n\n');
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    switch (kind) {
      case 'judgment': {
        // The bootstrap prompt asks for hypotheses about the user; its reasoning says so.
        const instructions = request.messages
          .filter((m) => m.role === 'system')
          .map((m) => m.content.replace(/<(user_persona|user_profile|user_memory|examples)>[\s\S]*?<\/\1>/g, ''))
          .join('\n');
        const prompt = request.messages.map((m) => `${m.role}\n${m.content}`).join('\n\u0000\n');
        // A hash of the whole prompt decides the flips: deterministic, and different prompts
        // (another persona, other demos, the other order) flip independently.
        const flip = createRng(hashString(prompt))() < noise;
        return JSON.stringify(judge(all, lastUser, /hypothes/i.test(instructions), flip));
      }
      case 'persona':
        return JSON.stringify(synthesizePersona(all));
      case 'memory':
        return JSON.stringify(extractMemory(lastUser));
      case 'personalizable':
        return JSON.stringify(judgePersonalizable(lastUser));
      default:
        return 'Hello from the simulated model.';
    }
  }) as SimulatedBrain;
  brain.stats = () => ({ calls: stats.calls, byKind: { ...stats.byKind } });
  brain.resetStats = () => {
    stats = zero();
  };
  return brain;
}
