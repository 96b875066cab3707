// An answer cut at its output cap (Ollama done_reason "length", OpenAI finish_reason "length", or the
// answer guard's 1 MiB cut) for a request whose answer becomes data (`wholeAnswer`: a persona, a memory, a
// bootstrap reasoning kept as a demonstration). Such an answer is a failed call: it is never returned,
// never cached, and its error carries the cap it was sent with, so that the caller can ask once more with
// room (see method/whole-answer.ts). A persona once stored as the raw text of a cut answer, looping until
// the cap, made every later judge call of that user unparseable.
import { LlmError } from './errors';
import type { Usage } from './types';

const n = (v: number) => v.toLocaleString('en-US');

export class CutAnswerError extends LlmError {
  constructor(
    /** The output cap the request was sent with (tokens). */
    readonly cap: number,
    purpose: string | undefined,
    context: { provider?: LlmError['provider']; model?: string } = {},
    /** The cap of an earlier call of the same request, cut too. */
    firstCap?: number,
  ) {
    const earlier = firstCap !== undefined ? `, after a first answer cut at ${n(firstCap)}` : '';
    super('parse', `the ${purpose ?? 'chat'} answer was cut at its output cap of ${n(cap)} tokens${earlier}`, {
      ...context,
      purpose,
      // The same request at temperature 0 is cut the same way: the caller asks again with room, or gives up.
      retryable: false,
      detail: `finish reason length at ${cap} tokens`,
    });
  }
}

/** Whether a cached answer filled its cap: cut, though cached before cut answers were refused. */
export function filledCap(usage: Usage, cap: number | undefined): boolean {
  return cap !== undefined && usage.completionTokens >= cap;
}
