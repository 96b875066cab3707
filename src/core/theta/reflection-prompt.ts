// What the reflection model reads and writes. It is given the Θ under study and, for a few users,
// the persona Θ produced and the judgments that persona led astray (the judge's reasoning and the
// user's real choice), and it writes a complete new Θ. A merge shows it two candidates and where
// each did better. The prompts are part of the tool (their hash goes into the lineage), not a
// workspace prompt: a search that edited its own reflection prompt would be a second search.
//
// The rules it is given are the guards' rules (guards.ts), so that a good answer passes them; the
// guards check them anyway. The output format is fixed here, in code, like every other prompt's.

import type { ChatMessage, ResponseSchema } from '../llm/types';
import type { Pair } from '../data/pair';
import { responsesInOrder, chosenLabel, escapeMarkup } from '../method/render';
import type { Episode } from './episode';
import { textHash } from '../text-hash';

export const REFLECTION_SCHEMA: ResponseSchema = {
  name: 'theta_rewrite',
  // A Θ of up to about 400 words and a short diagnosis.
  outputCap: 1536,
  schema: {
    type: 'object',
    properties: { diagnosis: { type: 'string' }, instructions: { type: 'string' } },
    required: ['diagnosis', 'instructions'],
    additionalProperties: false,
  },
};

/** The reflection model writes at some temperature: at 0, a step that sees the same failures twice would propose the same text twice. */
export const REFLECTION_TEMPERATURE = 0.7;

const ROLE = `You improve the instructions given to a persona writer.

The persona writer is a language model. It reads a few past choices of one user of an AI assistant
(each time two candidate replies, the one the user preferred, and an analysis of the choice) and
writes a persona: who the user seems to be and what they value in replies. A judge then reads only
that persona and predicts which of two new replies the same user would prefer. Good instructions
make the persona writer produce personas that let the judge predict well, for any user.`;

const RULES = `Rules for the new instructions:
- They must work for users you have not seen. Describe how to read the evidence and what to write,
  never facts about the users shown here: not their subjects, not their questions, not their wording.
  Do not quote anything from the examples.
- Write plain, direct guidance. No role-play, no invented stakes or rewards, no flattery.
- Say nothing about the output format or about fields to fill: the format is added separately.
- Keep them under 350 words.`;

const FORMAT =
  'Reply with a JSON object with two fields: "diagnosis", a string saying in a few sentences what went wrong ' +
  'and what you changed, and "instructions", a string holding the complete new instructions and nothing else.';

export const REFLECTION_SYSTEM = `${ROLE}

You are given the current instructions, and for some users the persona they produced, how often the
judge was right with it, and judgments that went wrong, with the judge's reasoning and the reply the
user really preferred.

First work out why these personas misled the judge or left it without what it needed: a preference
missed, stated too vaguely to apply, stated backwards, drowned among accidents of a few examples,
or a typical user's taste written down as if it were this user's. Then rewrite the instructions so
that the persona writer avoids these failures for every user. Keep what already works.

${RULES}

${FORMAT}`;

export const MERGE_SYSTEM = `${ROLE}

You are given two versions of the instructions, and how well the judge did with the personas each
produced, user by user. Each version did better for some users. Write one version that keeps what
makes each of them work, so that it serves the users of both.

${RULES}

${FORMAT}`;

/** The hash of the reflection prompts, recorded in the lineage. */
export const REFLECTION_PROMPT_HASH = textHash(`${REFLECTION_SYSTEM}\n\u0000\n${MERGE_SYSTEM}`);

/**
 * What the seed rewrites stress, one each: they are grounded in the current Θ's failures on the
 * reflection users, and each looks at them from another side.
 */
export const REWRITE_ANGLES: readonly string[] = [
  'Pay most attention to whether the personas gave the judge specific, checkable statements it could apply to a new pair of replies.',
  'Pay most attention to whether the personas separated what the user rewarded again and again ' +
    'from accidents of a few examples, and said what the user does not care about.',
  'Pay most attention to whether the personas said how this user differs from a typical user: ' +
    'the judge already knows what most people like.',
];

const CLIP = { persona: 1500, conversation: 500, response: 450, reasoning: 350 };
/** Misjudged pairs shown per user at most: enough to see a pattern. */
const MISJUDGED_SHOWN = 3;
/**
 * All the users' feedback together, in characters (about 3,000 tokens): with the instructions, the
 * current Θ and the answer, a reflection call stays within 6,000 tokens, so a small local model's
 * context (8,192 per slot) holds it.
 */
export const FEEDBACK_CHARS = 12_000;

/** Data or model text, escaped (it sits inside this prompt's tags) and clipped. */
function clip(text: string, max: number): string {
  const t = escapeMarkup(text.trim().replace(/\n{3,}/g, '\n\n'));
  return t.length <= max ? t : `${t.slice(0, max).trimEnd()} [...]`;
}

/**
 * One user's feedback: the persona, the accuracy, and the judgments that went wrong (both-orders
 * failures first), as many as fit in `maxChars` (at least one).
 */
export function renderFeedback(
  ep: Episode,
  pairs: ReadonlyMap<string, Pair>,
  n: number,
  maxChars = FEEDBACK_CHARS,
): string {
  const wrong = ep.verdicts
    .map((v) => ({ v, bad: v.orders.filter((o) => !o.correct) }))
    .filter((x) => x.bad.length > 0)
    .sort((a, b) => b.bad.length - a.bad.length);
  const persona = clip(
    ep.persona || '(the persona writer wrote nothing)',
    Math.min(CLIP.persona, Math.floor(maxChars / 3)),
  );
  const head = [
    `<user number="${n}">`,
    `The judge was right in ${ep.correct} of ${ep.samples} judgments with this persona.`,
    '<persona>',
    persona,
    '</persona>',
  ];
  const shown: string[][] = [];
  let size = head.join('\n').length;
  for (const { v, bad } of wrong) {
    if (shown.length >= MISJUDGED_SHOWN) break;
    const pair = pairs.get(v.pairId);
    if (!pair) continue;
    const o = bad[0]!;
    const { a, b } = responsesInOrder(pair, o.order);
    const conversation = pair.context.map((t) => `[${t.role}] ${t.content}`).join('\n');
    const block = [
      `<misjudged number="${shown.length + 1}">`,
      '<conversation>',
      clip(conversation, CLIP.conversation),
      '</conversation>',
      '<reply_a>',
      clip(a.content, CLIP.response),
      '</reply_a>',
      '<reply_b>',
      clip(b.content, CLIP.response),
      '</reply_b>',
      '<judge_reasoning>',
      clip(o.reasoning || '(none)', CLIP.reasoning),
      '</judge_reasoning>',
      `The judge picked ${o.preference ?? 'neither reply'}; the user preferred ${chosenLabel(o.order)}.`,
      `</misjudged>`,
    ];
    const add = block.join('\n').length + 1;
    if (shown.length > 0 && size + add > maxChars) break;
    shown.push(block);
    size += add;
  }
  const lines = [...head];
  if (!wrong.length) lines.push('No judgment went wrong for this user.');
  else lines.push(`Judgments that went wrong (${wrong.length} pair(s); ${shown.length} shown):`);
  for (const b of shown) lines.push(...b);
  lines.push('</user>');
  return lines.join('\n');
}

export function reflectionMessages(theta: string, feedback: readonly string[], angle?: string): ChatMessage[] {
  return [
    { role: 'system', content: REFLECTION_SYSTEM },
    {
      role: 'user',
      content: [
        '<current_instructions>',
        escapeMarkup(theta.trim()),
        '</current_instructions>',
        '',
        '<results>',
        ...feedback,
        '</results>',
        '',
        ...(angle ? [angle, ''] : []),
        'Write the improved instructions.',
      ].join('\n'),
    },
  ];
}

export function mergeMessages(
  a: { theta: string; perUser: string },
  b: { theta: string; perUser: string },
): ChatMessage[] {
  return [
    { role: 'system', content: MERGE_SYSTEM },
    {
      role: 'user',
      content: [
        '<version_1>',
        escapeMarkup(a.theta.trim()),
        '</version_1>',
        a.perUser,
        '',
        '<version_2>',
        escapeMarkup(b.theta.trim()),
        '</version_2>',
        b.perUser,
        '',
        'Write the combined instructions.',
      ].join('\n'),
    },
  ];
}

/** The new Θ in an answer: the `instructions` field, else the text, without fences or a label. */
export function readRewrite(
  obj: Record<string, unknown> | undefined,
  text: string,
): { instructions: string; diagnosis: string } {
  let instructions = typeof obj?.instructions === 'string' ? obj.instructions : obj ? '' : text;
  instructions = instructions
    .trim()
    .replace(/^```[^\n]*\n([\s\S]*?)\n?```$/, '$1')
    .replace(/^(?:new |improved |combined )?instructions\s*:\s*/i, '')
    .trim();
  return { instructions, diagnosis: typeof obj?.diagnosis === 'string' ? obj.diagnosis.trim() : '' };
}
