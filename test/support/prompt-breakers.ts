// Prompt-building bugs, on demand: a wrapper between a loopback server and its brain that takes
// one part out of every prompt the engine sends, as a regression in the rendering code would.
// The end-to-end tests run the whole method through it to show that their checks can fail: a
// judge prompt without the persona, without the output format or without the A/B labels must
// not pass as a working personal reward model.

import { OUTPUT_INSTRUCTIONS } from '../../src/core/method/default-prompts';

export type PromptBreak =
  /** The persona's text is lost; its header ("What is known about this user:") stays. */
  | 'persona-section'
  /** The output instruction of the judge and bootstrap prompts (JSON with "reasoning" and "preference") is lost. */
  | 'output-format'
  /** The replies are no longer labelled A and B (the <response_a>/<response_b> tags become plain <response> tags). */
  | 'ab-labels';

export const PROMPT_BREAKS: readonly PromptBreak[] = ['persona-section', 'output-format', 'ab-labels'];

interface Message {
  role: string;
  content: string;
}

export function breakMessages(kind: PromptBreak, messages: readonly Message[]): Message[] {
  return messages.map((m) => {
    let content = m.content;
    if (kind === 'persona-section' && m.role === 'system')
      content = content.replace(/<user_persona>[\s\S]*?<\/user_persona>\n?/g, '');
    if (kind === 'output-format' && m.role === 'system') {
      for (const instruction of [OUTPUT_INSTRUCTIONS.judge, OUTPUT_INSTRUCTIONS.bootstrap])
        content = content.split(instruction).join('');
    }
    if (kind === 'ab-labels') content = content.replace(/<(\/?)response_[ab]>/g, '<$1response>');
    return { ...m, content };
  });
}

/** A brain that sees every prompt with one part broken. */
export function withBrokenPrompt<R extends { messages: Message[] }>(
  kind: PromptBreak,
  brain: (request: R) => string,
): (request: R) => string {
  return (request) => brain({ ...request, messages: breakMessages(kind, request.messages) });
}
