// What the scheduler needs from one endpoint of one provider. Each provider file turns its
// npm client into this shape and maps every failure to an LlmError; nothing above this line
// knows whether it talks to Ollama or to an OpenAI-compatible server.
import {
  abortedError,
  connectionError,
  describeChain,
  type ErrorContext,
  LlmError,
  networkCode,
  parseError,
  timeoutError,
} from './errors';
import { estimateTokens } from './estimate';
import type { ChatMessage, ProviderKind, ResponseSchema, ThinkMode, Usage } from './types';
import type { Watchdog } from './watchdog';
import type { ServerFeatures } from './vllm';

/** One attempt of one request, as sent to one endpoint. */
export interface ProviderCall {
  model: string;
  messages: ChatMessage[];
  /** Absent when the endpoint is known to reject schemas. */
  schema?: ResponseSchema;
  temperature: number;
  seed?: number;
  maxTokens?: number;
  purpose?: string;
  /** Ollama's num_ctx for this call: the one value the client sized for the whole run. */
  numCtx?: number;
  think?: ThinkMode;
  /** Parameters this endpoint refused before (e.g. 'think', 'temperature'): not sent again. */
  omit?: ReadonlySet<string>;
  /** The request's onText: each streamed piece as it arrives. */
  onText?: (piece: string) => void;
  /** The user's prefix-cache salt (vllm.ts cacheSaltOf), for an endpoint whose features take one. */
  cacheSalt?: string;
  /** The request's choice (ChatRequest.choice), for an endpoint whose features can constrain to it. */
  choice?: readonly string[];
  /** What the endpoint takes beyond its protocol (vllm.ts); absent: nothing. */
  features?: ServerFeatures;
  /** The request's affinity (its user) and label (its pair and order): a batch line's custom_id names them. */
  affinity?: string;
  label?: string;
}

export interface ProviderReply {
  text: string;
  usage: Usage;
  /** 'stop', 'length', ...: kept for logs; a 'length' answer may be cut short. */
  finishReason?: string;
}

export interface ModelInfo {
  name: string;
  /** Context length the model was trained for, when the server says (Ollama /api/show). */
  contextLength?: number;
  sizeBytes?: number;
  /** What the model is, not what it is called (Ollama's digest): changes when the model is pulled again. */
  digest?: string;
  /** What identifies the loaded weights on an OpenAI-compatible server (llama.cpp's file metadata, vLLM's root). */
  identity?: string;
  /** Who an OpenAI-compatible server says serves the model (`owned_by`: "vllm", "llamacpp", "openai", ...). */
  ownedBy?: string;
}

export interface EndpointCheck {
  /** Server version when the protocol has one (Ollama /api/version). */
  version?: string;
  models: ModelInfo[];
}

export interface CallTimeouts {
  firstByteMs: number;
  idleMs: number;
}

export interface EndpointClient {
  readonly kind: ProviderKind;
  readonly baseUrl: string;
  /** False: the API has no structured output (VS Code's models), so calls state the schema in the prompt from the start. */
  readonly takesSchemas?: boolean;
  chat(call: ProviderCall, signal: AbortSignal | undefined): Promise<ProviderReply>;
  /** A call this endpoint refuses before sending it (a prompt clearly over the context it would get), or undefined. */
  refuse?(call: ProviderCall): LlmError | undefined;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  check(signal?: AbortSignal): Promise<EndpointCheck>;
  /** What the server takes beyond its protocol, from its model listing (and what else it must ask). */
  features?(models: readonly ModelInfo[], signal: AbortSignal): Promise<ServerFeatures>;
}

/** Messages as the wire wants them: only role and content, nothing the caller added. */
export function wireMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) => ({ role: m.role, content: m.content }));
}

export function promptChars(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) n += m.content.length;
  return n;
}

/** What every provider's errors say about one call: the endpoint, the model, the purpose and the prompt's size. */
export function callContext(provider: ProviderKind, baseUrl: string, call: ProviderCall): ErrorContext {
  return {
    provider,
    baseUrl,
    model: call.model,
    purpose: call.purpose,
    promptChars: promptChars(call.messages),
    promptTokens: estimateTokens(call.messages),
    requestedSchema: call.schema !== undefined,
  };
}

/**
 * The failures every provider classifies alike before its client's own: our cancel and our watchdog's timeout
 * (whatever the client made of the abort), and an LlmError already classified. Undefined for anything else.
 */
export function watchdogError(
  err: unknown,
  wd: Watchdog,
  ctx: ErrorContext,
  timeouts: CallTimeouts,
): LlmError | undefined {
  if (wd.cancelled) return abortedError(ctx);
  if (wd.timedOut) {
    const ms = wd.timedOut === 'first-byte' ? timeouts.firstByteMs : timeouts.idleMs;
    return timeoutError(ctx, wd.timedOut, ms);
  }
  if (err instanceof LlmError) return err;
  return undefined;
}

/** A failure no client named, known by its shape: bad JSON, or a network code somewhere in its causes. */
export function shapeError(err: unknown, ctx: ErrorContext): LlmError | undefined {
  if (err instanceof SyntaxError) return parseError(ctx, 'malformed JSON', err);
  const code = networkCode(err);
  if (code) return connectionError(ctx, code, err);
  return undefined;
}

/** The last resort of every provider's classification: a failure nobody knows, said whole and not retried. */
export function unexpectedError(ctx: ErrorContext, where: string, err: unknown): LlmError {
  return new LlmError('server', `Unexpected failure talking to ${where}: ${describeChain(err)}`, {
    provider: ctx.provider,
    baseUrl: ctx.baseUrl,
    model: ctx.model,
    cause: err,
    retryable: false,
  });
}
