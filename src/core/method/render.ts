// How pairs, conversations and demonstrations are written into prompts. One renderer serves
// fitting, judging and export, so a pair reads the same at training and at prediction time
// (the reference formatted them differently; see METHOD.md section 3).
//
// Sections are delimited by tags such as <conversation> and <response_a>: unambiguous for a
// model, and robust to responses that themselves contain markdown headings.

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

export function renderConversation(turns: readonly Turn[]): string {
  return turns.map((t) => `[${t.role}]\n${t.content.trim()}`).join('\n\n');
}

export function renderPair(pair: Pair, order: Order): string {
  const { a, b } = responsesInOrder(pair, order);
  return [
    '<conversation>',
    renderConversation(pair.context),
    '</conversation>',
    '',
    '<response_a>',
    a.content.trim(),
    '</response_a>',
    '',
    '<response_b>',
    b.content.trim(),
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
  const reasoning = isLabelled(demo) ? [] : ['<reasoning>', demo.reasoning.trim(), '</reasoning>'];
  return [`<example number="${n}">`, renderPair(pair, demo.order), '', ...reasoning, `<preference>${demo.preference}</preference>`, '</example>'].join('\n');
}

export function tagged(tag: string, body: string): string {
  return `<${tag}>\n${body.trim()}\n</${tag}>`;
}
