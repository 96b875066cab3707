// OpenAI-compatible servers (OpenAI, vLLM, LM Studio, llama.cpp, Together, Groq, Ollama's /v1)
// through the `openai` npm client. Its own retries are off: the scheduler retries, with one
// policy for every provider. The API key lives only inside the client object: it is never
// logged (the client's logger is off), never part of a cache key, never written anywhere.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import {
  abortedError,
  connectionError,
  type ErrorContext,
  httpError,
  LlmError,
  networkCode,
  parseError,
  retryAfterFromHeaders,
  timeoutError,
} from './errors';
import { withThinking } from './thinking';
import { AnswerGuard, endOfAnswer } from './answer-guard';
import { estimateTokens } from './estimate';
import { httpFetch } from './http-fetch';
import type { CallTimeouts, EndpointCheck, EndpointClient, ModelInfo, ProviderCall, ProviderReply } from './provider';
import { callContext, shapeError, unexpectedError, watchdogError, wireMessages } from './provider';
import { Watchdog } from './watchdog';
import { choiceFields, PLAIN_SERVER, type ServerFeatures, vllmFeatures } from './vllm';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** A chat request as sent: OpenAI's fields and the servers' own that the tool may add. */
type RequestBody = ChatCompletionCreateParamsBase & {
  chat_template_kwargs?: Record<string, unknown>;
  cache_salt?: string;
};

export interface OpenAIProviderOptions {
  timeouts: CallTimeouts;
  /** Passed in by the caller (SecretStorage, an environment variable); absent for local servers. */
  apiKey?: string;
  /** Stream the answer (SSE): enables the idle timeout. Default true. */
  stream?: boolean;
  /**
   * Ask for token usage on streamed answers (`stream_options.include_usage`). Default true;
   * turn off for an old server that rejects the field.
   */
  streamUsage?: boolean;
}

export class OpenAIProvider implements EndpointClient {
  readonly kind = 'openai' as const;
  private readonly client: OpenAI;

  constructor(
    readonly baseUrl: string,
    private readonly options: OpenAIProviderOptions,
  ) {
    const key = options.apiKey ?? '';
    this.client = new OpenAI({
      baseURL: baseUrl,
      // Always explicit: the client would otherwise read OPENAI_API_KEY by itself.
      apiKey: key,
      // Local servers need no key: send no Authorization header rather than an empty one.
      ...(key ? {} : { defaultHeaders: { Authorization: null } }),
      maxRetries: 0,
      fetch: httpFetch,
      // Our watchdog times the call; the client's timeout is only a backstop behind it.
      timeout: options.timeouts.firstByteMs * 2 + 1000,
      logLevel: 'off',
    });
  }

  async chat(call: ProviderCall, signal: AbortSignal | undefined): Promise<ProviderReply> {
    const ctx = this.context(call);
    const wd = new Watchdog(signal, this.options.timeouts);
    const body = chatRequestBody(call, this.baseUrl);
    try {
      if (this.options.stream ?? true) {
        const stream = await this.client.chat.completions.create(
          {
            ...body,
            stream: true,
            ...((this.options.streamUsage ?? true) ? { stream_options: { include_usage: true } } : {}),
          },
          { signal: wd.signal },
        );
        let text = '';
        let thinking = '';
        let finishReason: string | undefined;
        let usage: ProviderReply['usage'] | undefined;
        const guard = new AnswerGuard(call.schema !== undefined);
        let saidSomething = false;
        for await (const chunk of stream) {
          wd.tick();
          const choice = chunk.choices[0];
          // A stream says something in a delta's content (an empty string counts) or its thinking; a refusal or
          // deltas without content say nothing (checked at the end).
          if (typeof choice?.delta?.content === 'string' || reasoningOf(choice?.delta)) saidSomething = true;
          const piece = choice?.delta?.content ?? '';
          text += piece;
          thinking += reasoningOf(choice?.delta);
          if (piece || reasoningOf(choice?.delta)) call.onText?.(piece + reasoningOf(choice?.delta));
          // Leaving the loop ends the stream (the client aborts its request), and the answer so far is kept.
          const end = piece ? endOfAnswer(guard.check(text, piece), text) : undefined;
          if (end) {
            text = end.text;
            finishReason = end.finish;
            break;
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) usage = usageOf(chunk.usage, timingsOf(chunk));
          else if (usage && timingsOf(chunk)) usage = usageOf(usageBack(usage), timingsOf(chunk));
        }
        // The client ends the iteration quietly when its signal aborts: check ourselves.
        if (wd.signal.aborted) throw wd.signal.reason;
        // A stream that stops without a finish reason was cut off (a proxy or a dying server).
        if (finishReason === undefined) throw connectionError(ctx, 'reset');
        if (!saidSomething) throw parseError(ctx, 'a stream whose messages hold no content');
        return { text: withThinking(thinking, text), usage: usage ?? this.estimateUsage(call, text), finishReason };
      }
      const completion = await this.client.chat.completions.create({ ...body, stream: false }, { signal: wd.signal });
      if (wd.signal.aborted) throw wd.signal.reason;
      const choice = completion.choices?.[0];
      const text = contentOfCompletion(choice, ctx);
      const usage = completion.usage
        ? usageOf(completion.usage, timingsOf(completion))
        : this.estimateUsage(call, text);
      return { text: withThinking(reasoningOf(choice?.message), text), usage, finishReason: choice?.finish_reason };
    } catch (err) {
      throw this.classify(err, wd, ctx);
    } finally {
      wd.dispose();
    }
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const ctx: ErrorContext = { provider: 'openai', baseUrl: this.baseUrl, model: '' };
    const wd = new Watchdog(signal, this.options.timeouts);
    try {
      const models: ModelInfo[] = [];
      for await (const m of this.client.models.list({ signal: wd.signal })) {
        const identity = listedIdentity(m as unknown as Record<string, unknown>);
        const ownedBy = typeof m.owned_by === 'string' && m.owned_by ? m.owned_by : undefined;
        models.push({ name: m.id, ...(identity ? { identity } : {}), ...(ownedBy ? { ownedBy } : {}) });
      }
      if (wd.signal.aborted) throw wd.signal.reason;
      return models;
    } catch (err) {
      throw this.classify(err, wd, ctx);
    } finally {
      wd.dispose();
    }
  }

  async check(signal?: AbortSignal): Promise<EndpointCheck> {
    return { models: await this.listModels(signal) };
  }

  /** vLLM (its listing says `owned_by: "vllm"`) by its version; any other server takes nothing more. */
  async features(models: readonly ModelInfo[], signal: AbortSignal): Promise<ServerFeatures> {
    if (!models.some((m) => m.ownedBy === 'vllm')) return PLAIN_SERVER;
    return vllmFeatures(await this.serverVersion(signal));
  }

  /**
   * vLLM's `GET /version` at the server's root (beside `/v1`, not under it), or undefined when nothing answers
   * it. Asked without the API key: vLLM guards only the `/v1` routes with it.
   */
  private async serverVersion(signal: AbortSignal): Promise<string | undefined> {
    try {
      const url = new URL(this.baseUrl);
      url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}/version`;
      url.username = '';
      url.password = '';
      const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.options.timeouts.firstByteMs)]);
      const res = await httpFetch(url, { signal: timeout, headers: { Accept: 'application/json' } });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { version?: unknown };
      return typeof body?.version === 'string' && body.version ? body.version : undefined;
    } catch {
      return undefined;
    }
  }

  /** Servers that do not report usage still get counted, from the same estimate as --dry-run. */
  private estimateUsage(call: ProviderCall, text: string): ProviderReply['usage'] {
    return { promptTokens: estimateTokens(call.messages), completionTokens: Math.ceil(text.length / 4) };
  }

  private context(call: ProviderCall): ErrorContext {
    return callContext('openai', this.baseUrl, call);
  }

  private classify(err: unknown, wd: Watchdog, ctx: ErrorContext): LlmError {
    const known = watchdogError(err, wd, ctx, this.options.timeouts);
    if (known) return known;
    if (err instanceof APIConnectionTimeoutError)
      return timeoutError(ctx, 'first-byte', this.options.timeouts.firstByteMs * 2);
    if (err instanceof APIUserAbortError) return abortedError(ctx);
    if (err instanceof APIConnectionError) return connectionError(ctx, networkCode(err.cause) ?? networkCode(err), err);
    if (err instanceof APIError) {
      const inner = err.error as
        { message?: unknown; type?: unknown; n_prompt_tokens?: unknown; n_ctx?: unknown } | undefined;
      const message = typeof inner?.message === 'string' ? inner.message : err.message;
      // An `error` event inside a 200 stream has no status: the server failed mid-answer.
      if (err.status === undefined) return httpError(ctx, 500, message);
      return httpError(ctx, err.status, message, {
        code: typeof err.code === 'string' ? err.code : null,
        type: typeof inner?.type === 'string' ? inner.type : (err.type ?? null),
        ...(inner ? { body: inner } : {}),
        param: err.param,
        retryAfterMs: retryAfterFromHeaders((name) => err.headers?.get(name)),
      });
    }
    return shapeError(err, ctx) ?? unexpectedError(ctx, ctx.baseUrl, err);
  }
}

/**
 * The content of a completion's first choice. No choice, no message, or `content: null` (a refusal, a tool
 * call, a broken proxy) is no answer: a failed call, never an empty answer to score.
 */
function contentOfCompletion(
  choice: { message?: { content?: string | null; refusal?: string | null } | null } | undefined,
  ctx: ErrorContext,
): string {
  if (!choice) throw parseError(ctx, 'a reply without a choice');
  const message = choice.message;
  if (!message || typeof message !== 'object') throw parseError(ctx, 'a reply without a message');
  if (typeof message.content === 'string') return message.content;
  const refusal =
    typeof message.refusal === 'string' && message.refusal
      ? `; the model refused: ${message.refusal.slice(0, 200)}`
      : '';
  throw parseError(
    ctx,
    `a message whose content is ${message.content === null ? 'null' : typeof message.content}${refusal}`,
  );
}

/**
 * The thinking an OpenAI-compatible server sends apart from the content: `reasoning_content` (vLLM,
 * llama-server with --reasoning-format deepseek, DeepSeek's API) or `reasoning` (some newer servers).
 */
function reasoningOf(part: unknown): string {
  const p = part as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
  const r = p?.reasoning_content ?? p?.reasoning;
  return typeof r === 'string' ? r : '';
}

/**
 * The request body of a call: OpenAI's fields, and what the endpoint's features take beyond them. Also a batch
 * file's line body (batch-lines.ts): a line asks what the same call would have asked live.
 */
export function chatRequestBody(call: ProviderCall, baseUrl: string): RequestBody {
  const sends = (param: string) => !call.omit?.has(param);
  const body: RequestBody = { model: call.model, messages: wireMessages(call.messages) };
  // OpenAI's reasoning models refuse any temperature but 1 (400 unsupported_value): the client drops it then.
  if (sends('temperature')) body.temperature = call.temperature;
  if (call.seed !== undefined && sends('seed')) body.seed = call.seed;
  if (call.think !== undefined) {
    // Qwen3-style templates think unless told not to: vLLM and llama-server take chat_template_kwargs.
    // OpenAI's own API knows no such parameter, and its reasoning models take reasoning_effort instead.
    const openaiItself = /(^|\.)openai\.com$/i.test(safeHost(baseUrl));
    if (!openaiItself && sends('chat_template_kwargs') && (call.think === 'off' || call.think === 'on'))
      body.chat_template_kwargs = { enable_thinking: call.think === 'on' };
    if ((call.think === 'low' || call.think === 'high') && sends('reasoning_effort'))
      body.reasoning_effort = call.think;
  }
  // OpenAI's reasoning models refuse max_tokens ("use max_completion_tokens instead"); others know only max_tokens.
  if (call.maxTokens !== undefined) {
    if (sends('max_tokens')) body.max_tokens = call.maxTokens;
    else body.max_completion_tokens = call.maxTokens;
  }
  if (call.schema) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: call.schema.name, schema: call.schema.schema, strict: call.schema.strict ?? false },
    };
  }
  const features = call.features;
  // vLLM's own fields, only to a server whose version takes them: it ignores a field it does not know (HTTP 200),
  // so sending one blindly would look like it worked.
  if (call.cacheSalt && features?.cacheSalt && sends('cache_salt')) body.cache_salt = call.cacheSalt;
  if (call.choice && features?.choice && sends(features.choice))
    Object.assign(body, choiceFields(features, call.choice));
  return body;
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

interface ServerUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** llama-server's own timings beside the OpenAI fields: cache_n is the prompt tokens it took from its cache. */
function timingsOf(body: object): { cache_n?: unknown } | undefined {
  const t = (body as { timings?: unknown }).timings;
  return t && typeof t === 'object' ? (t as { cache_n?: unknown }) : undefined;
}

function usageBack(u: ProviderReply['usage']): ServerUsage {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens };
}

/**
 * The server's counts; cached_tokens (OpenAI, llama-server) are the prompt tokens it did not compute again,
 * and llama-server's `timings.cache_n` says the same where usage does not.
 */
function usageOf(u: ServerUsage, timings?: { cache_n?: unknown }): ProviderReply['usage'] {
  const cached =
    u.prompt_tokens_details?.cached_tokens ?? (typeof timings?.cache_n === 'number' ? timings.cache_n : undefined);
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    ...(typeof cached === 'number' && cached > 0 ? { cachedPromptTokens: cached } : {}),
  };
}

/**
 * What identifies the loaded weights, when the server says, so that the cache keys answers by the model rather than by
 * the address (a server on a new port serves the same file). llama.cpp's server lists its one model with `meta`
 * (the file's size in bytes, parameters, vocabulary, trained context: tools/server, `owned_by: "llamacpp"`); vLLM
 * names the weights it loaded in `root`. Other servers name no identity: their answers stay keyed by address.
 */
export function listedIdentity(entry: Record<string, unknown>): string | undefined {
  const meta = entry['meta'];
  if (meta && typeof meta === 'object') {
    const m = meta as Record<string, unknown>;
    const parts = ['size', 'n_params', 'n_vocab', 'n_embd', 'n_ctx_train', 'vocab_type', 'ftype'].map((k) =>
      typeof m[k] === 'number' || typeof m[k] === 'string' ? `${k}=${String(m[k])}` : '',
    );
    // Size and parameter count together tell one GGUF file from another; without them, nothing is known.
    if (parts[0] && parts[1]) return `llamacpp:${parts.filter(Boolean).join(',')}`;
  }
  if (entry['owned_by'] === 'vllm' && typeof entry['root'] === 'string' && entry['root'])
    return `vllm:${entry['root']}`;
  return undefined;
}
