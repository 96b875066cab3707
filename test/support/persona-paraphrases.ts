// How the simulated brain writes and reads what a persona says about a user's taste.
//
// Writing: persona synthesis states each preference it found in one of several paraphrases
// (PARAPHRASES), chosen per user, so no two personas need share a wording and no test can pass
// by matching one fixed sentence.
//
// Reading: a persona (synthesized, or written by hand in other words), a survey answer, a memory
// or a request in the conversation is read for the concepts the paraphrases express (CUES), not
// for any one wording: "brief", "to the point", "no patience for long replies" and "walls of text
// put them off" all say the same thing. A negation flips a cue ("no emoji" is for plain text,
// "does not need code" is against code); indifference cancels it ("does not care about sources").
//
// Nothing here comes from the simulated users' generator: its hint phrases and the personas the
// tests write are read with these cues like any other text.

import type { Aspect } from './brain-detectors';
import { ASPECTS } from './brain-detectors';

/** Sentences persona synthesis writes for a preference, in the third person. */
export const PARAPHRASES: Record<Aspect, readonly string[]> = {
  concise: [
    'Wants the answer in a few sentences, without background or padding.',
    'Rewards brevity: of two correct replies, the shorter one wins.',
    'Has little patience for long, detailed replies and prefers a quick, to-the-point answer.',
    'Prefers succinct replies that get straight to the point.',
  ],
  steps: [
    'Wants instructions as a numbered list, one action per step.',
    'Prefers step-by-step answers rather than paragraphs of prose.',
    'Follows along best when a reply is broken into ordered steps.',
    'Likes answers laid out as a checklist they can work through.',
  ],
  sources: [
    'Values answers that cite their sources.',
    'Wants to know where the information comes from: a reference, a named authority or a link.',
    'Trusts a reply more when it backs up its claims with a citation.',
    'Prefers replies that end with a source line.',
  ],
  'no-emoji': [
    'Dislikes emoji in written answers.',
    'Prefers plain text without emoji or other pictographs.',
    'Finds emoji distracting and favours replies without them.',
    'Wants replies free of emoji.',
  ],
  formal: [
    'Prefers a formal, professional register.',
    'Wants replies without slang, contractions or exclamation marks.',
    'Responds best to a polished, businesslike tone.',
    'Favours formal wording rather than a chatty, casual style.',
  ],
  code: [
    'Likes a concrete code example whenever one fits the question.',
    'Learns best from working code in a fenced block.',
    'Prefers replies that show a snippet, not only a description.',
    'Wants a runnable example, not just an explanation in words.',
  ],
};

/** Who the user seems to be, for the persona's opening paragraph. */
export const PORTRAITS: Record<Aspect, readonly string[]> = {
  concise: [
    'a busy reader who wants the answer quickly',
    'someone who values their time and skims for the point',
    'a pragmatic person who likes short answers',
  ],
  steps: [
    'someone who acts on instructions one step at a time',
    'a hands-on person who follows along while reading',
    'a methodical reader who likes a clear sequence',
  ],
  sources: [
    'a careful reader who checks where claims come from',
    'someone who likes to verify what they are told',
    'a sceptical reader who wants evidence',
  ],
  'no-emoji': [
    'someone who prefers plain, unadorned text',
    'a reader who finds decorative symbols distracting',
    'someone with a taste for sober writing',
  ],
  formal: [
    'a reader who expects a professional register',
    'someone who values a measured, formal tone',
    'a person who writes and reads in a businesslike way',
  ],
  code: [
    'a technical user who learns from working code',
    'a programmer who wants to see it in code',
    'a developer who reads code more readily than explanations',
  ],
};

/** What a memory records when a user asked for something outright. */
export const REQUEST_FACTS: Record<Aspect, string> = {
  concise: 'Has asked for short, to-the-point answers',
  steps: 'Has asked for instructions laid out step by step',
  sources: 'Has asked for sources to back up answers',
  'no-emoji': 'Has asked for answers without emojis',
  formal: 'Has asked for answers in a formal tone',
  code: 'Has asked to see code examples',
};

// A noun that makes "long" or "detailed" about answers, not about a flight or a list of chores.
const REPLY = String.raw`(?:answers?|repl(?:y|ies)|responses?|explanations?|texts?|paragraphs|essays|messages|prose|write-?ups?)`;

/**
 * Cues per aspect: `pos` says the user wants the property ("brief"), `neg` names its opposite
 * ("verbose", "emoji"), which a negation turns into a statement for it ("no emoji").
 */
export const CUES: Record<Aspect, { pos?: RegExp; neg?: RegExp }> = {
  concise: {
    pos: new RegExp(
      String.raw`\b(?:concise(?:ness)?|brief(?:er|ly)?|brevity|succinct(?:ly)?|terse|short(?:er)?(?: version)?|to[- ]the[- ]point|straight to the point|(?:a )?few sentences|(?:under|at most|no more than) \w+ (?:sentences|lines|words)|quick answers?|compact|tl;?dr|bottom line)\b`,
      'gi',
    ),
    neg: new RegExp(
      String.raw`\b(?:verbose|verbosity|padded|padding|wordy|long[- ]winded|rambling|walls? of text|thorough(?:ness)?|(?:long|lengthy|detailed|exhaustive|in-depth)(?=(?:,?\s+[\w-]+){0,2}\s+${REPLY}\b))`,
      'gi',
    ),
  },
  steps: {
    pos: /\b(?:step[- ]by[- ]step|numbered|(?:ordered|bulleted|bullet) lists?|bullet points?|steps|checklists?|one action per|clear sequence)\b/gi,
    neg: /\b(?:prose|paragraphs of text|flowing text)\b/gi,
  },
  sources: {
    pos: /\b(?:sources?|cit(?:e|es|ed|ing|ations?)|references?|evidence|links?|attributions?|attribute[sd]?|back(?:s|ed)? up|authorit(?:y|ies|ative)|where (?:the |its |their |that |this )?(?:information|facts?|claims?|it|that|this|data) (?:comes?|came) from|where (?:does|do|did) (?:the |its |their )?(?:information|facts?|claims?|it|that|this|data) come from)\b/gi,
  },
  'no-emoji': {
    pos: /\b(?:emoji|emoticon)[- ]free\b/gi,
    neg: /\b(?:emojis?|emoticons?|smileys?|pictographs?)\b(?![- ]free)/gi,
  },
  formal: {
    pos: /\b(?:formal(?:ity|ly)?|professional (?:tone|register|language|style)|polished|businesslike|measured tone|proper (?:tone|language))\b/gi,
    neg: /\b(?:slang|contractions?|exclamation(?: marks?| points?)?|chatty|casual|colloquial|breezy|jokey)\b/gi,
  },
  code: {
    pos: /\b(?:code(?: blocks?| examples?| samples?)?|snippets?|runnable examples?|working examples?|scripts?)\b/gi,
  },
};

/** A negation before a cue flips it. */
const NEGATION =
  /\b(?:not|no|never|without|avoids?|avoiding|dislikes?|disliking|hates?|penali[sz](?:e|es|ed|ing)|nor|rather than|instead of|less|free of|against|neither|little patience for|no patience for|impatient with|tired of|put off by|spare them|minus)\b|n't\b/i;
/** A judgement after a cue that disfavours it ("emoji are distracting", "walls of text put them off"). */
const DISFAVOUR_AFTER =
  /^\W*(?:\w+\W+){0,3}?(?:distract(?:s|ing)|annoy(?:s|ing)|grat(?:es|ing)|off-putting|irritat(?:es|ing)|unwelcome|unprofessional|puts? (?:them|him|her) off|bother(?:s|ing)?|turn-offs?)\b/i;
const INDIFFERENCE = /\b(?:care|cares|mind|minds|matters?|indifferent|regardless|whether or not)\b/i;

export type AspectWeights = Partial<Record<Aspect, number>>;

/**
 * The aspects a piece of prose states, with their direction (+1 wants the property, -1 wants its
 * opposite). Read clause by clause; a negation among the few words before a cue (or a
 * disfavouring word just after it) flips the cue, indifference cancels it.
 */
export function aspectsStatedIn(text: string): AspectWeights {
  const out: AspectWeights = {};
  for (const clause of text.split(/[.;:!?\n()\u2014]+/)) {
    for (const aspect of ASPECTS) {
      let sum = 0;
      for (const [re, base] of [
        [CUES[aspect].pos, 1],
        [CUES[aspect].neg, -1],
      ] as const) {
        if (!re) continue;
        for (const m of clause.matchAll(re)) {
          const before = clause.slice(0, m.index).split(/\s+/).slice(-5).join(' ');
          if (INDIFFERENCE.test(before)) continue;
          const flipped = NEGATION.test(before) || DISFAVOUR_AFTER.test(clause.slice(m.index + m[0].length));
          sum += flipped ? -base : base;
        }
      }
      if (sum) out[aspect] = (out[aspect] ?? 0) + Math.sign(sum);
    }
  }
  for (const a of ASPECTS) if (out[a] !== undefined) out[a] = Math.sign(out[a]!);
  return out;
}

/** The aspects a text states in favour, in ASPECTS order. */
export function aspectsNamedIn(text: string): Aspect[] {
  const w = aspectsStatedIn(text);
  return ASPECTS.filter((a) => (w[a] ?? 0) > 0);
}

/** A paraphrase (or portrait) for an aspect, chosen by a number derived from the evidence. */
export function pick<T>(options: readonly T[], n: number): T {
  return options[n % options.length]!;
}
