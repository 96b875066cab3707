// How pairs, conversations and demonstrations are written into prompts. One renderer serves
// fitting, judging and export, so a pair reads the same at training and at prediction time
// (the reference formatted them differently; see METHOD.md section 3).
//
// Sections are delimited by tags such as <conversation> and <response_a>: unambiguous for a
// model, and robust to responses that themselves contain markdown headings. Text from the data or
// from a model (pairs, personas, reasonings, facts) goes through escapeMarkup first, so that it can
// neither close a section nor open one of its own (a pair that ends </response_a><response_b>...).

import type { Pair, Turn } from '../data/pair';

export type Order = 'AB' | 'BA';

/** The two responses as shown: in order AB, A is `chosen`; in BA, A is `rejected`. */
export function responsesInOrder(pair: Pair, order: Order): { a: Turn; b: Turn } {
  return order === 'AB' ? { a: pair.chosen, b: pair.rejected } : { a: pair.rejected, b: pair.chosen };
}

/** The label ('A' or 'B') of the chosen response in a given order. */
export function chosenLabel(order: Order): 'A' | 'B' {
  return order === 'AB' ? 'A' : 'B';
}

/**
 * Every tag the tool's prompts and files use as a delimiter (here, in messages.ts, similar-users.ts, worked-examples.ts, export.ts
 * and theta/reflection-prompt.ts). Keep it in step with them: a tag missing here can be forged by the data.
 */
const OWN_TAGS = [
  'conversation',
  'response_a',
  'response_b',
  'example',
  'examples',
  'reasoning',
  'preference',
  'user_persona',
  'user_profile',
  'user_memory',
  'similar_users',
  'similar_user',
  'worked_example',
  'input',
  'persona',
  'user',
  'misjudged',
  'reply_a',
  'reply_b',
  'judge_reasoning',
  'current_instructions',
  'results',
  'version_1',
  'version_2',
  'choice',
  'preferred_reply',
  'other_reply',
  'why',
];
const OWN_TAG_RE = new RegExp(`<(/?)(${OWN_TAGS.join('|')})(?=[\\s>/]|$)`, 'gi');
/** A line that renderConversation would read as the start of a turn. */
const TURN_MARKER_RE = /^([ \t]*)\[(user|assistant|system)\]([ \t]*)$/gim;

/**
 * Text from the data or a model, made safe to put inside the tool's delimiters: the tool's own tags
 * lose their `<` (written `&lt;`, which a model reads as the character) and a turn marker on a line of
 * its own is escaped. Everything else, code with its own `<div>` included, is left as it was.
 */
export function escapeMarkup(text: string): string {
  return text.replace(OWN_TAG_RE, '&lt;$1$2').replace(TURN_MARKER_RE, '$1\\[$2]$3');
}

/** The first of the tool's own tags that a text holds ("<worked_example", "</persona"), if any. */
export function ownMarkupIn(text: string): string | undefined {
  const m = new RegExp(OWN_TAG_RE.source, 'i').exec(text);
  return m ? `<${m[1]}${m[2]}` : undefined;
}

export function renderConversation(turns: readonly Turn[]): string {
  return turns.map((t) => `[${t.role}]\n${escapeMarkup(t.content.trim())}`).join('\n\n');
}

export function renderPair(pair: Pair, order: Order): string {
  const { a, b } = responsesInOrder(pair, order);
  return [
    '<conversation>',
    renderConversation(pair.context),
    '</conversation>',
    '',
    '<response_a>',
    escapeMarkup(a.content.trim()),
    '</response_a>',
    '',
    '<response_b>',
    escapeMarkup(b.content.trim()),
    '</response_b>',
  ].join('\n');
}

/**
 * A demonstration: a past pair, the user's real preference and, for a verified demonstration, the
 * reasoning that predicted it. An empty reasoning makes a labelled demonstration: the raw pair and
 * its label (the reference's "labeled demos", used to top candidate sets up to the demo count).
 */
export interface Demo {
  pairId: string;
  order: Order;
  /** The verified reasoning; empty for a labelled demonstration. */
  reasoning: string;
  /** The label of the response the user chose, in `order`. */
  preference: 'A' | 'B';
}

export function isLabelled(demo: Demo): boolean {
  return !demo.reasoning.trim();
}

/**
 * A labelled demonstration is shown with its label and no reasoning section. The reference dropped
 * such demonstrations from its judge prompts without a word (METHOD.md section 3); here the judge sees
 * every demonstration the selection scored, so what was validated is what is used.
 */
export function renderDemo(pair: Pair, demo: Demo, n: number): string {
  const reasoning = isLabelled(demo) ? [] : ['<reasoning>', escapeMarkup(demo.reasoning.trim()), '</reasoning>'];
  return [
    `<example number="${n}">`,
    renderPair(pair, demo.order),
    '',
    ...reasoning,
    `<preference>${demo.preference}</preference>`,
    '</example>',
  ].join('\n');
}

export function tagged(tag: string, body: string): string {
  return `<${tag}>\n${body.trim()}\n</${tag}>`;
}
