// Before a long run the researcher sees how many calls and tokens it will take (the extension
// asks before starting, the CLI prints it with --dry-run). Token counts are estimates: about
// four characters per token for English text, plus a few tokens of chat framing per message.
import type { ChatMessage } from './types';
import type { PriceTable } from './usage';
import { costUsd } from './usage';

const CHARS_PER_TOKEN = 4;
/** Role markers and separators that chat templates wrap around each message. */
const TOKENS_PER_MESSAGE = 4;
/** The assistant-turn header a template appends after the last message. */
const TOKENS_PER_REPLY = 3;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimateTokens(messages: readonly ChatMessage[]): number {
  let tokens = TOKENS_PER_REPLY;
  for (const m of messages) tokens += TOKENS_PER_MESSAGE + estimateTextTokens(m.content);
  return tokens;
}

/**
 * How far over a context the client's estimate must put a prompt before it is refused unsent. The estimate
 * is within about a third of real counts, so a prompt estimated at 1.5 times the context is over it even if
 * the estimate ran a third high; one nearer the line is sent, and the server refuses it (or, an Ollama
 * before 0.12.6, cuts it, which the reply's prompt_eval_count shows).
 */
export const CLEAR_OVERFLOW = 1.5;

/** Whether a prompt of `estimated` tokens is clearly too long for a context of `contextTokens`. */
export function clearlyOverContext(estimated: number, contextTokens: number | undefined): boolean {
  return contextTokens !== undefined && contextTokens > 0 && estimated > contextTokens * CLEAR_OVERFLOW;
}

export interface PlannedCall {
  messages: readonly ChatMessage[];
  /** Upper bound on the answer; used when no expected length is given. */
  maxTokens?: number;
  /** Expected answer length in tokens, when the caller knows better than maxTokens. */
  expectedCompletionTokens?: number;
  /** Already answered by the cache: costs nothing. */
  cached?: boolean;
}

export interface RunEstimate {
  /** Calls that will reach a server. */
  calls: number;
  /** Calls the cache will answer. */
  cachedCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** Undefined when the model has no price (a local model is free; an unknown one is unknown). */
  costUsd: number | undefined;
}

export interface EstimateOptions {
  model: string;
  prices?: PriceTable;
  /** Answer length assumed when a call gives neither expectedCompletionTokens nor maxTokens. */
  defaultCompletionTokens?: number;
}

/** Sums calls and tokens of a planned run; cached calls are counted apart and cost nothing. */
export function estimateRun(planned: readonly PlannedCall[], options: EstimateOptions): RunEstimate {
  const fallback = options.defaultCompletionTokens ?? 256;
  let calls = 0;
  let cachedCalls = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  for (const p of planned) {
    if (p.cached) {
      cachedCalls++;
      continue;
    }
    calls++;
    promptTokens += estimateTokens(p.messages);
    completionTokens += p.expectedCompletionTokens ?? p.maxTokens ?? fallback;
  }
  return {
    calls,
    cachedCalls,
    promptTokens,
    completionTokens,
    costUsd: costUsd(options.prices, options.model, { promptTokens, completionTokens }),
  };
}
