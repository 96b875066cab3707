// What the simulated brain notices in a response, by its own means.
//
// The simulated users' generator has exact detectors for its hidden traits (simulated-users.ts);
// they are the answer key, and the brain must not use them, or its accuracy would be the
// simulation reading itself. These are a model's impressions instead, measured differently and
// on a scale, so they overlap with the truth without matching it:
//   length      characters of the whole reply (code, lists and source lines included), where the
//               generator counts words of prose only;
//   structure   lines that look like list items (numbers, bullets, "Step 3:"), not only numbered ones;
//   attribution a source line or a link is plain to see; an "according to" or a (Publisher, 2004)
//               citation is only half as salient;
//   emoji       pictographs per 100 words: two emoji are obvious in a short reply and easy to miss
//               in a long one;
//   register    casual markers per 100 words: exclamation marks, any apostrophe form (possessives
//               too, which are not casual), chatty words and emoji;
//   code        lines inside fenced blocks, or lines indented like code.
// On top of these blind spots it overlooks a difference now and then (LAPSE of the time, by a
// hash of the two texts, the same in both orders: a blind spot for that pair, not a coin per
// call). So the brain is right about most pairs and wrong about some, as a real model would be;
// the tests measure how often it agrees with the generator's answer key.
//
// The aspects have the same names as the generator's traits so that tests can compare the two,
// but they are declared here: nothing in the brain imports the generator.

import { createRng, hashString } from '../../src/core/random';

export const ASPECTS = ['concise', 'steps', 'sources', 'no-emoji', 'formal', 'code'] as const;
export type Aspect = (typeof ASPECTS)[number];

export interface Reading {
  /** Characters, whitespace runs counted as one. */
  chars: number;
  /** Whitespace-separated tokens that hold a letter or a digit, code included. */
  words: number;
  /** Lines that start like list items. */
  listItems: number;
  /** 0 none, 1 a passing attribution, 2 a source line or a link. */
  attribution: number;
  /** Pictographs per 100 words. */
  emojiDensity: number;
  /** Casual markers per 100 words. */
  casualDensity: number;
  /** Lines of code. */
  codeLines: number;
}

/** Two lengths differ visibly when one has this many times the characters of the other. */
export const VISIBLY_LONGER = 1.4;
/** Pictographs per 100 words below which the brain does not notice them. */
export const EMOJI_NOTICED = 1.0;
/** Casual markers per 100 words: a difference smaller than this is not a difference in register. */
export const REGISTER_STEP = 1.2;

/** Share of real differences the brain overlooks. */
export const LAPSE = 0.1;

const FENCE = /```[^\n]*\n[\s\S]*?```/g;
const LIST_LINE = /^\s*(?:\d{1,2}[.)]|[-*•]|step \d+:?)\s+\S/gim;
const SOURCE_LINE = /^\s*(?:sources?|references?|see also|further reading)\s*:/im;
const LINK = /\bhttps?:\/\/\S+|\bwww\.\S+|\b[\w-]+\.(?:com|org|gov|edu|int|uk|io)\b(?:\/\S*)?/i;
const PASSING =
  /\b[Aa]ccording to\b|\([A-Z][\w.& -]+,\s*(?:19|20)\d\d\)|\b[Aa]s (?:reported|described|recommended) by\b/;
const CHATTY =
  /\b(?:hey|oh|ooh|wow|yeah|yep|nope|sure thing|super|awesome|totally|stuff|kinda|sorta|gonna|wanna|gotta|btw|lol|tbh|honestly|basically|tons|love)\b/gi;
const APOSTROPHE = /\b\w+['’](?:s|t|re|ll|ve|m|d)\b/gi;

/** Pictographs by code point: the emoji blocks and the older symbol blocks. */
function countEmoji(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x1f300 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) || (c >= 0x1f000 && c <= 0x1f2ff)) n++;
  }
  return n;
}

export function readResponse(text: string): Reading {
  const words = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  const per100 = (n: number) => (words ? (100 * n) / words : 0);
  const fencedLines = [...text.matchAll(FENCE)].reduce((n, m) => n + m[0].split('\n').length - 2, 0);
  const prose = text.replace(FENCE, ' ');
  const indented = prose.split('\n').filter((l) => /^(?: {4}|\t)\S/.test(l)).length;
  const emoji = countEmoji(prose);
  const casual =
    (prose.match(/!/g)?.length ?? 0) +
    (prose.match(APOSTROPHE)?.length ?? 0) +
    (prose.match(CHATTY)?.length ?? 0) +
    emoji;
  return {
    chars: text.replace(/\s+/g, ' ').trim().length,
    words,
    listItems: prose.match(LIST_LINE)?.length ?? 0,
    attribution: SOURCE_LINE.test(prose) || LINK.test(prose) ? 2 : PASSING.test(prose) ? 1 : 0,
    emojiDensity: per100(emoji),
    casualDensity: per100(casual),
    codeLines: fencedLines + (indented >= 2 ? indented : 0),
  };
}

/** Whether the brain takes a single reply to have the property. */
export function seemsTo(aspect: Aspect, r: Reading): boolean {
  switch (aspect) {
    case 'concise':
      return r.chars > 0 && r.chars <= 600;
    case 'steps':
      return r.listItems >= 2;
    case 'sources':
      return r.attribution >= 1;
    case 'no-emoji':
      return r.emojiDensity < EMOJI_NOTICED;
    case 'formal':
      return r.casualDensity < REGISTER_STEP;
    case 'code':
      return r.codeLines >= 1;
  }
}

/**
 * Which of two replies has more of an aspect, as the brain sees it: 1 for the first, -1 for the
 * second, 0 when it notices no difference.
 */
export function compareAspect(aspect: Aspect, a: string, b: string): -1 | 0 | 1 {
  const d = noticedDifference(aspect, readResponse(a), readResponse(b));
  if (d === 0) return 0;
  // The lapse depends on the pair, not on the order it is shown in.
  const key = a < b ? `${aspect}\u0000${a}\u0000${b}` : `${aspect}\u0000${b}\u0000${a}`;
  return createRng(hashString(key))() < LAPSE ? 0 : d;
}

/** The difference the measures show, before any lapse. */
export function noticedDifference(aspect: Aspect, ra: Reading, rb: Reading): -1 | 0 | 1 {
  const sign = (x: number): -1 | 0 | 1 => (x > 0 ? 1 : x < 0 ? -1 : 0);
  switch (aspect) {
    case 'concise':
      if (!ra.chars || !rb.chars) return 0;
      return rb.chars >= VISIBLY_LONGER * ra.chars ? 1 : ra.chars >= VISIBLY_LONGER * rb.chars ? -1 : 0;
    case 'steps':
      return sign(Number(ra.listItems >= 2) - Number(rb.listItems >= 2));
    case 'sources':
      return Math.abs(ra.attribution - rb.attribution) >= 1 ? sign(ra.attribution - rb.attribution) : 0;
    case 'no-emoji':
      // Only emoji it noticed count against a reply.
      return sign(Number(rb.emojiDensity >= EMOJI_NOTICED) - Number(ra.emojiDensity >= EMOJI_NOTICED));
    case 'formal':
      return Math.abs(ra.casualDensity - rb.casualDensity) >= REGISTER_STEP
        ? sign(rb.casualDensity - ra.casualDensity)
        : 0;
    case 'code':
      return sign(Number(ra.codeLines >= 1) - Number(rb.codeLines >= 1));
  }
}

/** What a typical LLM judge rewards when it knows nothing about the user: length, structure, warmth, code. */
export function genericScore(text: string): number {
  if (!text.trim()) return -10;
  const r = readResponse(text);
  return (
    Math.log2(r.chars / 6 + 1) +
    (r.listItems >= 2 ? 0.35 : 0) +
    (r.casualDensity >= REGISTER_STEP ? 0.25 : 0) +
    (r.codeLines >= 1 ? 0.2 : 0)
  );
}

/** Concrete differences between A and B, in the words a model would use. */
export function describeDifferences(a: string, b: string): string[] {
  const ra = readResponse(a);
  const rb = readResponse(b);
  const out: string[] = [];
  const c = compareAspect('concise', a, b);
  if (c !== 0) {
    const [s, l, ws, wl] = c > 0 ? ['A', 'B', ra.words, rb.words] : ['B', 'A', rb.words, ra.words];
    out.push(
      `Response ${s} is much shorter than Response ${l} (about ${ws} vs ${wl} words); Response ${l} adds background and detail.`,
    );
  } else {
    out.push(`The two replies are of similar length (about ${ra.words} and ${rb.words} words).`);
  }
  const said: Record<Aspect, [string, string]> = {
    concise: ['', ''],
    steps: ['lays the answer out as a list of steps', 'is written as prose'],
    sources: ['says where its information comes from', 'gives no attribution'],
    'no-emoji': ['is plain text', 'uses emoji'],
    formal: ['keeps a formal register', 'is casual, with exclamation marks, contractions or chatty words'],
    code: ['includes a code example', 'explains in words only'],
  };
  for (const aspect of ['steps', 'sources', 'no-emoji', 'formal', 'code'] as const) {
    const d = compareAspect(aspect, a, b);
    if (d !== 0)
      out.push(`Response ${d > 0 ? 'A' : 'B'} ${said[aspect][0]}; Response ${d > 0 ? 'B' : 'A'} ${said[aspect][1]}.`);
  }
  return out;
}
