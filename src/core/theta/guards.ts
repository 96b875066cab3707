// Guards against a Θ that fits its training users instead of describing how to read any user. The
// Θs shipped with the reference show the failure: they name topics of the users they were optimized
// on and carry an optimizer's role-play tip. A candidate is rejected, before any call is spent on it,
// when it
//   - copies five or more consecutive words from the users' data (their conversations and the
//     responses they chose between), counting only runs with at least two content words, so that
//     "one of the most" shared with some answer does not count, and never a run the current Θ or
//     the shipped default already holds;
//   - names the users' topics: the most frequent content words of their conversations (words of
//     four letters or more that are not function words, not everyday words of any question, not
//     the vocabulary of writing about preferences, and not in the current Θ or the shipped
//     default), seen in at least two pairs;
//   - is longer than the cap, or too short to be instructions;
//   - states an output format (JSON, field names, code fences): Θ is instructions only, and the
//     format is appended by code;
//   - stages a role-play or promises stakes or rewards;
//   - holds the tool's own markup (a <worked_example> block, an <input> or <persona> section, any tag the
//     prompts use as a delimiter): Θ's worked examples are added by code from verified fits, and a
//     candidate that brings its own would carry invented examples into every persona-synthesis call (or,
//     malformed, stop every episode of it with a parse error).

import type { Pair } from '../data/pair';
import { COPY_RUN, FUNCTION_WORDS, isContentfulRun, runHash, words } from '../method/copied-runs';
import { DEFAULT_PROMPTS } from '../method/default-prompts';
import { ownMarkupIn } from '../method/render';

// The copy rule's words and runs have one home (method/copied-runs.ts); the guards' callers still find them here.
export { COPY_RUN, words };

export type GuardName = 'copy' | 'topic' | 'length' | 'format' | 'role-play' | 'empty' | 'markup';

export type GuardVerdict = { ok: true } | { ok: false; guard: GuardName; reason: string };

/** The longest Θ a search may produce (characters; about 400 words), unless the current Θ is longer. */
export const MAX_THETA_CHARS = 2500;
/** Shorter than this is no set of instructions. */
export const MIN_THETA_CHARS = 80;
/** How many of the most frequent content words of the users' conversations count as their topics. */
export const TOPIC_WORDS = 60;

export interface GuardContext {
  /** Hashes of the data's five-word runs (with two content words or more). */
  runs: Set<number>;
  /** Runs that the allowed texts hold: a candidate may keep them. */
  allowedRuns: Set<number>;
  /** Stem -> the word as it appeared, for the topic words. */
  topics: Map<string, string>;
  maxChars: number;
}

/** A crude stem, so that "recipes" and "recipe" are one topic. */
export function stem(word: string): string {
  let w = word.replace(/['’]s$/, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(?:ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is'))
    w = w.slice(0, -1);
  return w;
}

/**
 * Words of writing about preferences and replies, and of asking for help: a Θ may use them whatever
 * the users talked about, so they are never topics.
 */
const PREFERENCE_VOCABULARY = new Set(
  `able accurate accuracy action actions actual actually add added adding advice again agree aims allow
  alternative analysis analyse analyze answer answers apparent apply appreciate approach appropriate
  aspect aspects assistant assume attention audience avoid avoids background balance based basic
  behaviour behavior believe best better bias bullet bullets calm candidate care careful cares case
  cases casual caveat caveats certain change changes character check choice choices choose chooses chose
  chosen claim claims clarity clear clearly close code common compare compared comparison complete
  completeness concise concrete confident consider considered consistent consistently content context
  contradict contrast conversation conversations correct cover covers create creative decide decided
  decides deciding decision define dense density depth describe described description detail detailed
  details different differ differs difference differences direct directly dislike dislikes distinct
  distinguish draft each easy effect effort emoji emojis emotional emphasis empathy engaging enough
  evidence exact example examples expect expects experience explain explained explaining explanation
  explanations explicit express extra fact facts favour favours favor favors feel feeling find first
  focus follow following form formal formality format formatting friendly full general generally good
  great guess guidance headings help helpful helps high highly humour humor hypotheses hypothesis idea
  ideas important include includes including information insight instead instruction instructions intent
  interest interested judge judged judges judgment keep key kind know knowledge known label labelled
  language last later length level likely list lists little long longer look looking low main matter
  matters mean meaning mention method might mind minimal mistake mistakes model moderate need neutral
  new next note notice number numbered observe observed obvious offer offers often opinion opinions
  order organised organized original outline overall pair pairs paragraph paragraphs part past pattern
  patterns penalise penalising penalize penalizing person persona personal personality personas pick
  picked picks plain point points polite position possible practical precise predict predicts prefer
  preference preferences preferred prefers present previous priority probably problem prompt prose
  provide provided qualities quality question questions quick quickly rank ranked rather read reader
  readers reading real reason reasoning reasons receive recognise recognize recurring relevant reliable
  rely reply replies repeated request requests require required response responses result results reward
  rewarded rewarding rewards right rule rules same say says second section sections see seem seems
  sentence sentences separate set short show shows signal signals simple single situation situations
  skip small source sources specific start state stated statement statements step steps strong strongly
  structure structured style styles summary support sure take task tell tend tends term terms testable
  text than think third thorough though thought time tone topic topics true trust try turn type typical
  understand understood unless unlike useful user users usually vague value valued values view voice
  want wanted wants warm warmth well whole word wording words work write writes writing written wrong`.split(/\s+/),
);

/** Everyday verbs, adjectives and nouns of any question: frequent in conversations, and no topic of them. */
const EVERYDAY_WORDS = new Set(
  `ago already anybody anywhere ask asked asking bad begin best better big bring brings build built call
  called came come comes coming count counts day days early easier easiest easy end ends everyday fast
  faster fastest feel fine finish finished full happen happens hard harder hardest hear high higher
  highest hold keep kept large larger largest late later learn left life live long longer look made
  makes making mean means minute minutes month months move much name named next nice night often okay
  old open part people place plan plans play pretty put quick rate right run running seen send small
  smaller smallest soon space spend start started stop sure take taken takes taking talk tell thanks
  today tomorrow tonight tried tries trying turn understand update used uses using wait week weeks went
  work works world worth year years yesterday`.split(/\s+/),
);

function addRuns(into: Set<number>, text: string, onlyContentful: boolean): void {
  const ws = words(text);
  for (let i = 0; i + COPY_RUN <= ws.length; i++) {
    const run = ws.slice(i, i + COPY_RUN);
    if (onlyContentful && !isContentfulRun(run)) continue;
    into.add(runHash(run));
  }
}

/** The text of a pair that belongs to the user's data: the conversation and both responses. */
function pairTexts(p: Pair): string[] {
  return [...p.context.map((t) => t.content), p.chosen.content, p.rejected.content];
}

/**
 * @param pairs every pair of the users in the search (their data, all splits)
 * @param allowed texts a candidate may echo: the current Θ (the shipped default is always allowed)
 */
export function buildGuardContext(
  pairs: readonly Pair[],
  allowed: readonly string[],
  opts: { maxChars?: number } = {},
): GuardContext {
  const runs = new Set<number>();
  for (const p of pairs) for (const t of pairTexts(p)) addRuns(runs, t, true);
  const allowedTexts = [DEFAULT_PROMPTS['persona-synthesis'], ...allowed];
  const allowedRuns = new Set<number>();
  for (const t of allowedTexts) addRuns(allowedRuns, t, false);
  const allowedStems = new Set(allowedTexts.flatMap(words).map(stem));

  // Topics: document frequency over the pairs' conversations (one document per pair).
  const df = new Map<string, { n: number; word: string }>();
  for (const p of pairs) {
    const seen = new Set<string>();
    for (const t of p.context) {
      for (const w of words(t.content)) {
        if (
          w.length < 4 ||
          !/^\p{L}+$/u.test(w) ||
          FUNCTION_WORDS.has(w) ||
          PREFERENCE_VOCABULARY.has(w) ||
          EVERYDAY_WORDS.has(w)
        )
          continue;
        const s = stem(w);
        if (PREFERENCE_VOCABULARY.has(s) || EVERYDAY_WORDS.has(s) || allowedStems.has(s) || seen.has(s)) continue;
        seen.add(s);
        const e = df.get(s);
        if (e) e.n++;
        else df.set(s, { n: 1, word: w });
      }
    }
  }
  const ranked = [...df]
    .filter(([, e]) => e.n >= 2)
    .sort(([a, x], [b, y]) => y.n - x.n || (a < b ? -1 : a > b ? 1 : 0));
  const topics = new Map(ranked.slice(0, TOPIC_WORDS).map(([s, e]) => [s, e.word] as const));
  const longestAllowed = Math.max(0, ...allowed.map((t) => t.trim().length));
  return { runs, allowedRuns, topics, maxChars: opts.maxChars ?? Math.max(MAX_THETA_CHARS, longestAllowed) };
}

const FORMAT = [
  /\bjson\b/i,
  /```/,
  /"(?:persona|reasoning|preference|diagnosis|instructions)"/i,
  /\boutput format\b/i,
  /\bformat (?:your|the) (?:output|answer|reply) as\b/i,
  /\b(?:reply|respond|answer) with (?:a|an|one) (?:object|dictionary|field)/i,
];

const ROLE_PLAY = [
  /\b(?:imagine|pretend)\b/i,
  /\brole[- ]?play/i,
  /\bhigh[- ]stakes\b/i,
  /\b(?:life|job|career|reputation|livelihood)s? (?:depends?|is at stake|are at stake|is on the line)\b/i,
  /\byou will (?:be )?(?:rewarded|tipped|paid|penali[sz]ed|punished|fired)\b/i,
  /\b(?:a |an )?(?:tip|bonus|reward) of\b/i,
  /\$\s?\d/,
  /\bworld[- ]class\b/i,
];

/** Whether a candidate Θ may enter the search, and why not. */
export function checkCandidate(text: string, ctx: GuardContext): GuardVerdict {
  const t = text.trim();
  if (t.length < MIN_THETA_CHARS)
    return {
      ok: false,
      guard: 'empty',
      reason: t ? `only ${t.length} characters: too short to be instructions` : 'no instructions in the answer',
    };
  if (t.length > ctx.maxChars)
    return { ok: false, guard: 'length', reason: `${t.length} characters, more than the cap of ${ctx.maxChars}` };
  const tag = ownMarkupIn(t);
  if (tag) {
    return {
      ok: false,
      guard: 'markup',
      reason: `holds the tool's own markup ("${tag}"): worked examples and sections are added by code`,
    };
  }
  const format = FORMAT.find((re) => re.test(t));
  if (format)
    return {
      ok: false,
      guard: 'format',
      reason: `states an output format ("${t.match(format)![0]}"): Θ holds instructions only, and the format is added by code`,
    };
  const staged = ROLE_PLAY.find((re) => re.test(t));
  if (staged)
    return {
      ok: false,
      guard: 'role-play',
      reason: `stages a role-play or promises stakes ("${t.match(staged)![0]}")`,
    };
  const ws = words(t);
  for (let i = 0; i + COPY_RUN <= ws.length; i++) {
    const run = ws.slice(i, i + COPY_RUN);
    const h = runHash(run);
    if (ctx.runs.has(h) && !ctx.allowedRuns.has(h)) {
      // The longest copied run from here, for the reason.
      let j = i + COPY_RUN;
      while (j < ws.length && ctx.runs.has(runHash(ws.slice(j - COPY_RUN + 1, j + 1)))) j++;
      return {
        ok: false,
        guard: 'copy',
        reason: `copies ${j - i} consecutive words from the users' data ("${ws.slice(i, j).join(' ')}")`,
      };
    }
  }
  const named = [...new Set(ws.map(stem))].filter((s) => ctx.topics.has(s)).map((s) => ctx.topics.get(s)!);
  if (named.length)
    return {
      ok: false,
      guard: 'topic',
      reason: `names topics of the users' conversations (${named.slice(0, 5).join(', ')})`,
    };
  return { ok: true };
}

/** The topic words, most frequent first (for the report). */
export function topicWords(ctx: GuardContext): string[] {
  return [...ctx.topics.values()];
}
