// Worked examples inside Θ: demonstrations of persona synthesis itself. The reference's shipped Θ
// is a DSPy program whose persona-synthesis step carries such demonstrations next to its
// instructions; here they are plain text at the end of the Θ file, which a researcher can read, edit
// or delete, and which is versioned and re-validated with Θ as one artifact.
//
// In the file, after the instructions:
//
//   <worked_example user_id="ada" note="fit 2026-12-01, validation 83%">
//   <input>
//   ...the examples the persona-synthesis call saw...
//   </input>
//   <reasoning>
//   ...what the choices have in common...
//   </reasoning>
//   <persona>
//   ...the persona...
//   </persona>
//   </worked_example>
//
// In the request each becomes one user turn (its input) and one assistant turn (its reasoning and
// persona, in the output format that code fixes), before the user's own examples: a few-shot chat.
// The sections are read from the end of each block (persona, then reasoning), because only the input
// holds text from the data, which may itself contain anything.

import type { ChatMessage } from '../llm/types';
import { UserError } from '../user-error';
import { escapeMarkup } from './render';

export interface WorkedExample {
  /** The user whose fit it was written from: that user's data is in Θ, so Θ's checks leave them out. */
  userId: string;
  /** Free text: where the example came from. */
  note?: string;
  /** The persona-synthesis input: the examples block, as the call saw it. */
  input: string;
  reasoning: string;
  persona: string;
}

export interface ThetaParts {
  /** The instructions: what a Θ search rewrites and its guards check. */
  instructions: string;
  examples: WorkedExample[];
}

const OPEN = /^<worked_example((?:\s+[a-z_]+="(?:[^"\\]|\\.)*")*)\s*>[ \t]*$/gm;
const CLOSE = '\n</worked_example>';

/** Splits a Θ into its instructions and its worked examples; a malformed example is an error that says where. */
export function parseTheta(text: string, where = 'the persona-synthesis prompt'): ThetaParts {
  const opens = [...text.matchAll(OPEN)];
  if (!opens.length) return { instructions: text, examples: [] };
  const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
  const fail = (offset: number, n: number, what: string): never => {
    throw new UserError(`${where}:${lineOf(offset)}: worked example ${n}: ${what}`, 2);
  };
  const examples = opens.map((m, i) => {
    const n = i + 1;
    const start = m.index! + m[0].length;
    const end = i + 1 < opens.length ? opens[i + 1]!.index! : text.length;
    const block = text.slice(start, end);
    const close = block.lastIndexOf(CLOSE);
    if (close < 0 || block.slice(close + CLOSE.length).trim())
      fail(m.index!, n, 'expected </worked_example> on a line of its own at its end');
    const body = block.slice(0, close);
    const persona = lastSection(body, 'persona');
    if (!persona) return fail(m.index!, n, 'expected a <persona> section (on its own line) before </worked_example>');
    if (!persona.text.trim()) fail(m.index!, n, 'the <persona> section is empty');
    const reasoning = lastSection(body.slice(0, persona.at), 'reasoning');
    const rest = body.slice(0, reasoning ? reasoning.at : persona.at);
    const input = /^\n?<input>\n([\s\S]*)\n<\/input>\s*$/.exec(rest);
    if (!input) return fail(m.index!, n, 'expected an <input> section first');
    if (!input[1]!.trim()) fail(m.index!, n, 'the <input> section is empty');
    const attrs = attributes(m[1] ?? '');
    if (!attrs.user_id) fail(m.index!, n, 'the user_id="..." attribute is missing');
    return {
      userId: attrs.user_id!,
      ...(attrs.note ? { note: attrs.note } : {}),
      input: input[1]!,
      reasoning: reasoning?.text.trim() ?? '',
      persona: persona.text.trim(),
    };
  });
  return { instructions: text.slice(0, opens[0]!.index!).trimEnd(), examples };
}

/** The last `<tag>`...`</tag>` section that ends the text, each tag on a line of its own. */
function lastSection(body: string, tag: string): { at: number; text: string } | undefined {
  const trimmed = body.trimEnd();
  const closing = `\n</${tag}>`;
  if (!trimmed.endsWith(closing)) return undefined;
  const end = trimmed.length - closing.length;
  const opening = `\n<${tag}>\n`;
  // An empty section's opening ends with the closing's own line break.
  const at = trimmed.lastIndexOf(opening, end);
  if (at < 0) return undefined;
  return { at, text: at + opening.length > end ? '' : trimmed.slice(at + opening.length, end) };
}

function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-z_]+)=("(?:[^"\\]|\\.)*")/g)) out[m[1]!] = JSON.parse(m[2]!) as string;
  return out;
}

/**
 * A worked example as it is written into Θ. Its reasoning and persona are a model's (or a hand edit's) and
 * are escaped (escapeMarkup), so that a persona holding "</persona>" or "<worked_example ...>" cannot end its
 * section or forge another example. Its input is the tool's own rendering (synthesisInput), whose data is
 * escaped already and whose tags are meant.
 */
export function renderWorkedExample(e: WorkedExample): string {
  const note = e.note ? ` note=${JSON.stringify(e.note)}` : '';
  const reasoning = e.reasoning.trim() ? ['<reasoning>', escapeMarkup(e.reasoning.trim()), '</reasoning>'] : [];
  return [
    `<worked_example user_id=${JSON.stringify(e.userId)}${note}>`,
    '<input>',
    e.input.trim(),
    '</input>',
    ...reasoning,
    '<persona>',
    escapeMarkup(e.persona.trim()),
    '</persona>',
    '</worked_example>',
  ].join('\n');
}

/** A Θ file's text from its parts; parseTheta(composeTheta(p)) gives p back. */
export function composeTheta(instructions: string, examples: readonly WorkedExample[]): string {
  if (!examples.length) return instructions;
  const text = [instructions.trimEnd(), ...examples.map(renderWorkedExample)].join('\n\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The few-shot turns of the worked examples: the input as the user turn, the answer in the fixed output format. */
export function workedExampleTurns(examples: readonly WorkedExample[], ask: string): ChatMessage[] {
  return examples.flatMap((e): ChatMessage[] => [
    { role: 'user', content: `${e.input.trim()}\n\n${ask}` },
    { role: 'assistant', content: JSON.stringify({ reasoning: e.reasoning.trim(), persona: e.persona.trim() }) },
  ]);
}

/** The users whose data a Θ holds. */
export function exampleUsers(theta: string): Set<string> {
  return new Set(parseTheta(theta).examples.map((e) => e.userId));
}
