// VS Code's language-model API has user and assistant messages only: no system role. The system text goes at the
// head of the first user message, between tags that say what it is, so the model still reads it as instructions.
// Pure (no `vscode`): unit-tested.

import type { ChatMessage } from '../../core/llm';

export interface FoldedMessage {
  role: 'user' | 'assistant';
  content: string;
}

export const SYSTEM_OPEN = '<system_instructions>';
export const SYSTEM_CLOSE = '</system_instructions>';

/** The messages with every system message folded into the first user message (one of its own when there is none). */
export function foldSystem(messages: readonly ChatMessage[]): FoldedMessage[] {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const rest: FoldedMessage[] = messages
    .filter((m): m is ChatMessage & FoldedMessage => m.role !== 'system')
    .map((m) => ({ role: m.role, content: m.content }));
  if (system.length === 0) return rest;
  const head = `${SYSTEM_OPEN}\n${system.join('\n\n')}\n${SYSTEM_CLOSE}`;
  const first = rest.findIndex((m) => m.role === 'user');
  if (first < 0) return [{ role: 'user', content: head }, ...rest];
  rest[first] = { role: 'user', content: `${head}\n\n${rest[first]!.content}` };
  return rest;
}
