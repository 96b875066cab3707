// An answer cut at its output cap (Ollama done_reason "length", OpenAI finish_reason "length", the answer
// guard's 1 MiB cut, or a length far past what the cap can hold: pastCap) for a request whose answer
// becomes data (`wholeAnswer`: a persona, a memory, a bootstrap reasoning kept as a demonstration). Such
// an answer is a failed call: it is never returned, never cached, and its error carries the cap it was
// sent with, so that the caller can ask once more with room (see method/whole-answer.ts). A persona once
// stored as the raw text of a cut answer, looping until the cap, made every later judge call of that user
// unparseable.
import { LlmError } from './errors';
import type { Usage } from './types';

const n = (v: number) => v.toLocaleString('en-US');

/**
 * More characters than a token ever carries in prose or code (about 4 in English; long runs of spaces or
 * dashes reach 16 in some vocabularies). An answer longer than its cap times this was not stopped at the
 * cap, whatever the server's usage and finish reason say (a server that miscounts, or ignores the cap).
 */
export const MAX_CHARS_PER_TOKEN = 16;

/**
 * Whether `text` is far past what an output cap of `cap` tokens can hold: an answer the server did not stop
 * at its cap (a model looping on a server that ignores num_predict / max_tokens, reported as "stop" with a
 * small count). The one rule for every answer that becomes data and for collect's generations.
 */
export function pastCap(text: string, cap: number | undefined): boolean {
  return cap !== undefined && cap > 0 && text.length > cap * MAX_CHARS_PER_TOKEN;
}

export class CutAnswerError extends LlmError {
  constructor(
    /** The output cap the request was sent with (tokens). */
    readonly cap: number,
    purpose: string | undefined,
    context: { provider?: LlmError['provider']; model?: string } = {},
    /** The cap of an earlier call of the same request, cut too. */
    firstCap?: number,
    /** The answer's length in characters when it ran past its cap by length (pastCap), not by the finish reason. */
    readonly chars?: number,
  ) {
    const earlier = firstCap !== undefined ? `, after a first answer cut at ${n(firstCap)}` : '';
    const what =
      chars !== undefined
        ? `is ${n(chars)} characters, far past what its output cap of ${n(cap)} tokens can hold (the server did not stop it)`
        : `was cut at its output cap of ${n(cap)} tokens`;
    super('parse', `the ${purpose ?? 'chat'} answer ${what}${earlier}`, {
      ...context,
      purpose,
      // The same request at temperature 0 is cut the same way: the caller asks again with room, or gives up.
      retryable: false,
      detail:
        chars !== undefined
          ? `${chars} characters past a cap of ${cap} tokens`
          : `finish reason length at ${cap} tokens`,
    });
  }
}

/** Whether a cached answer filled its cap, or ran past it by length: cut, though cached before cut answers were refused. */
export function filledCap(text: string, usage: Usage, cap: number | undefined): boolean {
  return (cap !== undefined && usage.completionTokens >= cap) || pastCap(text, cap);
}
