// One line of an OpenAI batch file, both ways: the input line a call becomes (`custom_id`, `method`, `url`, `body`,
// the body being what the same call would send live), and what an output line (`id`, `custom_id`,
// `response: {status_code, body}`, `error`) says of it: an answer, or a failed call. `vllm run-batch`, OpenAI's
// Batch API and the OpenAI-compatible batch services read and write the same format.

import { createHash } from 'node:crypto';
import { LlmError } from './errors';
import { chatRequestBody } from './openai-provider';
import type { ProviderCall, ProviderReply } from './provider';

export const BATCH_ENDPOINT = '/v1/chat/completions';

/** A piece of a custom_id: readable, and never a character a shell, a file name or a JSON viewer trips on. */
function idPart(s: string | undefined, max: number): string {
  const clean = (s ?? '-').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, max);
  return clean || '-';
}

/**
 * The custom_id of a call: job, user, purpose, pair and order, so a person reading an output line knows what it
 * answers, then a hash of the body, so the same request always has the same id (a re-run finds its answer) and two
 * requests never share one. Ids (data) are cut and cleaned; the hash keeps them apart.
 */
export function batchLineId(job: string, call: ProviderCall, body: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 20);
  return [idPart(job, 12), idPart(call.affinity, 40), idPart(call.purpose, 24), idPart(call.label, 48), hash].join(':');
}

/** The body of a call's batch line: the live request's body (openai-provider.ts), never streamed. */
export function batchLineBody(call: ProviderCall, baseUrl: string): Record<string, unknown> {
  const body: Record<string, unknown> = { ...chatRequestBody(call, baseUrl) };
  delete body.stream;
  return body;
}

/** One input line. */
export function batchInputLine(customId: string, body: unknown): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: BATCH_ENDPOINT, body });
}

/** The custom_id and the parsed line of an output line; undefined for a blank or torn line (its request stays unanswered). */
export function readBatchOutputLine(line: string): { id: string; value: unknown } | undefined {
  if (!line.trim()) return undefined;
  try {
    const v = JSON.parse(line) as { custom_id?: unknown };
    return typeof v.custom_id === 'string' ? { id: v.custom_id, value: v } : undefined;
  } catch {
    return undefined;
  }
}

/** Every answered line of an output text, by custom_id (a later line for the same id wins). */
export function parseBatchOutput(text: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of text.split('\n')) {
    const l = readBatchOutputLine(line);
    if (l) out.set(l.id, l.value);
  }
  return out;
}

interface OutputLine {
  response?: {
    status_code?: number;
    body?: {
      choices?: { message?: { content?: string | null }; finish_reason?: string }[];
      usage?: {
        prompt_tokens?: number;
        completion_tokens?: number;
        prompt_tokens_details?: { cached_tokens?: number };
      };
      error?: { message?: string };
    };
  } | null;
  error?: { code?: string; message?: string } | null;
}

/**
 * What an output line says: the answer, or the failure it records (a line-level `error`, a status other than 200,
 * a body without an answer). A failure is a failed call, never an answer.
 */
export function batchLineReply(line: unknown, ctx: { model: string; baseUrl?: string }): ProviderReply | LlmError {
  const l = line as OutputLine;
  const status = l.response?.status_code;
  const choice = l.response?.body?.choices?.[0];
  const content = choice?.message?.content;
  if (l.error || (status !== undefined && status !== 200) || typeof content !== 'string') {
    const msg =
      l.error?.message ??
      l.response?.body?.error?.message ??
      (typeof content !== 'string' && status === 200 ? 'the line has no answer' : `status ${status ?? 'unknown'}`);
    const code = l.error?.code ? ` (${l.error.code})` : '';
    return new LlmError(status === 404 ? 'not-found' : 'server', `batch request failed: ${msg}${code}`, {
      provider: 'openai',
      model: ctx.model,
      ...(ctx.baseUrl ? { baseUrl: ctx.baseUrl } : {}),
      ...(status ? { status } : {}),
      retryable: false,
    });
  }
  const u = l.response?.body?.usage;
  const cached = u?.prompt_tokens_details?.cached_tokens;
  return {
    text: content,
    usage: {
      promptTokens: u?.prompt_tokens ?? 0,
      completionTokens: u?.completion_tokens ?? 0,
      ...(cached !== undefined ? { cachedPromptTokens: cached } : {}),
    },
    ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
  };
}
