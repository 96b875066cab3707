// Chat messages for every kind of call. Everything that stays the same across the calls of
// one user (instructions, persona, profile, memory, demonstrations) goes in the system
// message, and the pair comes last, so servers that cache prompt prefixes (Ollama, vLLM)
// reuse the shared part across pairs.

import type { ChatMessage } from '../llm/types';
import type { Pair } from '../data/pair';
import { OUTPUT_INSTRUCTIONS, RUBRIC_GIVEN_PERSONA_OUTPUT } from './default-prompts';
import {
  escapeMarkup,
  isLabelled,
  renderConversation,
  renderDemo,
  renderPair,
  tagged,
  type Demo,
  type Order,
} from './render';
import { parseTheta, workedExampleTurns } from './worked-examples';
import { similarSection, type SimilarUser } from './similar-users';

/** Everything personal a judge may be given. Each method of the paper's table uses a subset. */
export interface JudgeProfile {
  persona?: string;
  demographics?: Record<string, unknown>;
  memory?: string[];
  demos?: { pair: Pair; demo: Demo }[];
  /** `--similar-users m`: the nearest other users' personas and demonstrations (similar-users.ts), after the user's own. */
  similar?: SimilarUser[];
}

export function renderDemographics(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

function personalSections(profile: JudgeProfile): string[] {
  const parts: string[] = [];
  if (profile.persona?.trim())
    parts.push('What is known about this user:\n' + tagged('user_persona', escapeMarkup(profile.persona)));
  if (profile.demographics && Object.keys(profile.demographics).length)
    parts.push(
      'The user described themselves in a survey:\n' +
        tagged('user_profile', escapeMarkup(renderDemographics(profile.demographics))),
    );
  if (profile.memory?.length)
    parts.push(
      'Facts remembered about this user from earlier conversations:\n' +
        tagged('user_memory', profile.memory.map((f) => `- ${escapeMarkup(f)}`).join('\n')),
    );
  if (profile.demos?.length) {
    // Labelled demonstrations (no reasoning) change the heading only when present, so prompts without them stay as they were.
    const heading = profile.demos.some((d) => isLabelled(d.demo))
      ? 'Past choices of this user, with an analysis of each where one was verified:\n'
      : 'Past choices of this user, with an analysis of each:\n';
    parts.push(
      heading + tagged('examples', profile.demos.map((d, i) => renderDemo(d.pair, d.demo, i + 1)).join('\n\n')),
    );
  }
  if (profile.similar?.length) parts.push(similarSection(profile.similar));
  return parts;
}

/** The output format of a verdict that is the letter alone (CallOptions.letterOnly): no reasoning is asked for. */
export const LETTER_ONLY_OUTPUT = 'Reply with only the letter "A" or the letter "B", and nothing else.';

export function judgeSystem(
  instructions: string,
  profile: JudgeProfile,
  kind: 'judge' | 'bootstrap' | 'letter' = 'judge',
): string {
  const output = kind === 'letter' ? LETTER_ONLY_OUTPUT : OUTPUT_INSTRUCTIONS[kind];
  return [instructions.trim(), ...personalSections(profile), output].join('\n\n');
}

export function pairQuestion(pair: Pair, order: Order): string {
  return `${renderPair(pair, order)}\n\nWhich reply would this user prefer, A or B?`;
}

/** A judge call; `system` comes from judgeSystem() so it is built once per profile, not per pair. */
export function judgeMessages(system: string, pair: Pair, order: Order): ChatMessage[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: pairQuestion(pair, order) },
  ];
}

/**
 * A rubric call's system message (`rubric`, `rubric+persona`): the rubric instructions, the persona when one is given
 * (then the answer holds no persona of its own), the user's context pairs with their real choices, the format.
 */
export function rubricSystem(
  instructions: string,
  context: readonly { pair: Pair; demo: Demo }[],
  persona?: string,
  similar?: readonly SimilarUser[],
): string {
  const parts = [instructions.trim()];
  if (persona !== undefined)
    parts.push('What is known about this user:\n' + tagged('user_persona', escapeMarkup(persona)));
  if (context.length)
    parts.push(
      'Past choices of this user:\n' +
        tagged('examples', context.map((d, i) => renderDemo(d.pair, d.demo, i + 1)).join('\n\n')),
    );
  if (similar?.length) parts.push(similarSection(similar));
  parts.push(persona !== undefined ? RUBRIC_GIVEN_PERSONA_OUTPUT : OUTPUT_INSTRUCTIONS.rubric);
  return parts.join('\n\n');
}

/** A rubric call: the system message of rubricSystem(), then the pair in one order. */
export function rubricMessages(system: string, pair: Pair, order: Order, personaGiven: boolean): ChatMessage[] {
  const ask = personaGiven
    ? 'Write the criteria for this user and score both replies.'
    : 'Describe this user, write the criteria for them and score both replies.';
  return [
    { role: 'system', content: system },
    { role: 'user', content: `${renderPair(pair, order)}\n\n${ask}` },
  ];
}

const WRITE_PERSONA = 'Write the persona.';

/** The examples block of a persona-synthesis call: the user turn after Θ's worked examples. */
export function synthesisInput(examples: readonly { pair: Pair; demo: Demo }[]): string {
  return tagged('examples', examples.map((e, i) => renderDemo(e.pair, e.demo, i + 1)).join('\n\n'));
}

/** Θ's instructions and the output format as the system message, Θ's worked examples as earlier turns, then this user's examples. */
export function personaSynthesisMessages(
  theta: string,
  examples: readonly { pair: Pair; demo: Demo }[],
): ChatMessage[] {
  const { instructions, examples: worked } = parseTheta(theta);
  return [
    { role: 'system', content: `${instructions.trim()}\n\n${OUTPUT_INSTRUCTIONS['persona-synthesis']}` },
    ...workedExampleTurns(worked, WRITE_PERSONA),
    { role: 'user', content: `${synthesisInput(examples)}\n\n${WRITE_PERSONA}` },
  ];
}

export function memoryMessages(instructions: string, pairs: readonly Pair[]): ChatMessage[] {
  const convs = pairs.map(
    (p, i) => `<conversation number="${i + 1}">\n${renderConversation([...p.context, p.chosen])}\n</conversation>`,
  );
  return [
    { role: 'system', content: `${instructions.trim()}\n\n${OUTPUT_INSTRUCTIONS.memory}` },
    { role: 'user', content: convs.join('\n\n') + '\n\nList the facts.' },
  ];
}

export function personalizableMessages(instructions: string, pair: Pair): ChatMessage[] {
  return [
    { role: 'system', content: `${instructions.trim()}\n\n${OUTPUT_INSTRUCTIONS.personalizable}` },
    { role: 'user', content: `${renderPair(pair, 'AB')}\n\nIs this pair personalizable?` },
  ];
}
