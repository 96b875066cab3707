/**
 * A loopback OpenAI-compatible server for tests: `/v1/chat/completions` (SSE `data: {...}` chunks
 * ending with `data: [DONE]` when `stream` is true, one `chat.completion` object otherwise, with
 * `usage`, `response_format` json_schema, `stream_options.include_usage`), `/v1/models`, and
 * OpenAI's error bodies `{"error":{"message","type","param","code"}}`, 429 with Retry-After.
 * With `apiKey` set, requests without `Authorization: Bearer <key>` get OpenAI's 401.
 * Faults and the brain: see loopback-llm.ts.
 *
 *   const api = await startLoopbackOpenAI({ apiKey: 'sk-test' });
 *   createLlm({ provider: 'openai', baseUrls: [api.url], model: 'gpt-4o-mini' }, { apiKey: 'sk-test' })
 *   after(() => api.close());
 */
import type { ServerResponse } from 'node:http';
import {
  type BrainRequest,
  type ChatExchange,
  coalesceWrites,
  faultOf,
  type LoopbackMessage,
  type LoopbackOptions,
  type LoopbackServer,
  pieces,
  prepareAnswer,
  type ProtocolHandler,
  startLoopback,
} from './loopback-llm';
import { embedRoute } from './loopback-embed';
import {
  constrainToChoice,
  readVllmRequest,
  type VllmMode,
  vllmError,
  vllmModelEntry,
  VllmPrefixCache,
  vllmVersionRoute,
} from './loopback-vllm';
import { isRewardPath, type RewardCall, type VllmRewardModel, vllmRewardRoute } from './loopback-reward';

export type { Brain, BrainRequest, Fault, LoopbackOptions, LoopbackServer } from './loopback-llm';

export interface LoopbackOpenAIOptions extends LoopbackOptions {
  /** Require this bearer key. */
  apiKey?: string;
  /**
   * Whose error body a context overflow gets: OpenAI's and vLLM's ("This model's maximum context length is N
   * tokens ...", code context_length_exceeded), or llama-server's (400, type exceed_context_size_error, with
   * n_prompt_tokens and n_ctx: tools/server/server-common.cpp, format_error_response). Default openai.
   */
  flavor?: 'openai' | 'llama-server';
  /** llama.cpp's `meta` of a listed model (file size, parameters...), by model id: listed with `owned_by: "llamacpp"`. */
  meta?: Record<string, Record<string, number>>;
  /** Behave as vLLM of this version (loopback-vllm.ts): its listing, `/version`, its own fields, its prefix cache. */
  vllm?: VllmMode;
  /** vLLM mode: the served model is a pooling model that scores (loopback-reward.ts: `/classify`, `/pooling`). */
  reward?: VllmRewardModel;
}

/** What a vLLM-mode server saw: the fields it ignored (its warning log) and its prefix cache. */
export interface VllmState {
  ignoredFields: string[];
  prefixCache: VllmPrefixCache;
  /** The pooling model (options.reward): change it between requests (a fault, another task). */
  reward?: VllmRewardModel;
  /** The scoring requests received (`/classify`, `/pooling`). */
  scored: RewardCall[];
}

/** The loopback OpenAI server in vLLM's mode (loopback-vllm.ts), with what it saw. */
export async function startLoopbackVllm(
  options: LoopbackOpenAIOptions & { vllm: VllmMode },
): Promise<LoopbackServer & { vllm: VllmState }> {
  const state: VllmState = {
    ignoredFields: [],
    prefixCache: new VllmPrefixCache(),
    scored: [],
    ...(options.reward ? { reward: options.reward } : {}),
  };
  const server = await startLoopback(openaiHandler({ models: DEFAULT_MODELS, ...options }, state), options, '/v1');
  return Object.assign(server, { vllm: state });
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'llama3.1:8b'];

export function startLoopbackOpenAI(options: LoopbackOpenAIOptions = {}): Promise<LoopbackServer> {
  const opts: LoopbackOpenAIOptions = { models: DEFAULT_MODELS, ...options };
  return startLoopback(openaiHandler(opts), opts, '/v1');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function apiError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
  headers: Record<string, string> = {},
): void {
  json(res, status, { error: { message, type, param, code } }, headers);
}

/** OpenAI's way of echoing a wrong key: a prefix and the last four characters. */
function maskKey(key: string): string {
  return key.length <= 8
    ? '*'.repeat(key.length)
    : `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`;
}

let nextId = 1;

function openaiHandler(
  options: LoopbackOpenAIOptions,
  vllm: VllmState = { ignoredFields: [], prefixCache: new VllmPrefixCache(), scored: [] },
): ProtocolHandler {
  const models = () => options.models ?? DEFAULT_MODELS;
  const handler: ProtocolHandler = {
    protocol: 'openai',

    parseChat(path, method, body): BrainRequest | undefined {
      if (path !== '/v1/chat/completions' || method !== 'POST') return undefined;
      const rf = body['response_format'] as
        { type?: string; json_schema?: { schema?: Record<string, unknown> } } | undefined;
      const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
      return {
        protocol: 'openai',
        model: String(body['model'] ?? ''),
        messages: (Array.isArray(body['messages']) ? body['messages'] : []) as LoopbackMessage[],
        schema: rf?.type === 'json_schema' ? (rf.json_schema?.schema ?? {}) : undefined,
        temperature: typeof body['temperature'] === 'number' ? body['temperature'] : undefined,
        seed: typeof body['seed'] === 'number' ? body['seed'] : undefined,
        maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
        stream: body['stream'] === true,
      };
    },

    precheck(ex: ChatExchange): boolean {
      if (!options.apiKey) return false;
      const auth = ex.req.headers.authorization;
      if (auth === `Bearer ${options.apiKey}`) return false;
      handler.sendError(ex.res, 'unauthorized', ex, { message: auth?.startsWith('Bearer ') ? auth.slice(7) : '' });
      return true;
    },

    route(path, method, body, req, res): boolean {
      if (embedRoute('openai', options, { path, method, body }, res)) return true;
      if (options.vllm && path === '/version' && method === 'GET') {
        vllmVersionRoute(options.vllm, res);
        return true;
      }
      if (options.vllm && isRewardPath(path, method)) {
        vllmRewardRoute(vllm.reward, { path, body, served: models() }, vllm.scored, res);
        return true;
      }
      if (options.vllm && path === '/v1/models' && method === 'GET') {
        json(res, 200, { object: 'list', data: models().map(vllmModelEntry) });
        return true;
      }
      if (path === '/v1/models' && method === 'GET') {
        if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
          apiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
          return true;
        }
        json(res, 200, {
          object: 'list',
          data: models().map((id) => {
            const meta = options.meta?.[id];
            return {
              id,
              object: 'model',
              created: 1_715_367_049,
              owned_by: meta ? 'llamacpp' : 'loopback',
              ...(meta ? { meta } : {}),
            };
          }),
        });
        return true;
      }
      return false;
    },

    sendError(res, kind, ex, extra = {}): void {
      const model = ex?.request.model ?? '';
      switch (kind) {
        case 'rate-limit': {
          const headers: Record<string, string> = {};
          const seconds =
            extra.retryAfterSeconds ??
            (extra.retryAfterMs !== undefined ? Math.ceil(extra.retryAfterMs / 1000) : undefined);
          if (seconds !== undefined) headers['retry-after'] = String(seconds);
          if (extra.retryAfterMs !== undefined) headers['retry-after-ms'] = String(extra.retryAfterMs);
          apiError(
            res,
            429,
            `Rate limit reached for ${model} on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in ${seconds ?? 1}s.`,
            'requests',
            'rate_limit_exceeded',
            null,
            headers,
          );
          return;
        }
        case 'quota':
          // OpenAI's answer when the account has no credit: a 429 that waiting does not cure.
          apiError(
            res,
            429,
            'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
            'insufficient_quota',
            'insufficient_quota',
          );
          return;
        case 'server':
          apiError(
            res,
            extra.status ?? 500,
            extra.message ?? 'The server had an error while processing your request. Sorry about that!',
            'server_error',
            null,
          );
          return;
        case 'not-found':
          apiError(
            res,
            404,
            `The model \`${model}\` does not exist or you do not have access to it.`,
            'invalid_request_error',
            'model_not_found',
          );
          return;
        case 'unauthorized':
          apiError(
            res,
            401,
            extra.message
              ? `Incorrect API key provided: ${maskKey(extra.message)}. You can find your API key at https://platform.openai.com/account/api-keys.`
              : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            'invalid_request_error',
            extra.message ? 'invalid_api_key' : null,
          );
          return;
        case 'schema':
          apiError(
            res,
            400,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
            'invalid_request_error',
            null,
            'response_format',
          );
          return;
        case 'context-length':
          if (options.flavor === 'llama-server') {
            const n = Number(extra.message ?? 0);
            const ctx = options.contextLength ?? 4096;
            json(res, 400, {
              error: {
                code: 400,
                message: `request (${n} tokens) exceeds the available context size (${ctx} tokens), try increasing it`,
                type: 'exceed_context_size_error',
                n_prompt_tokens: n,
                n_ctx: ctx,
              },
            });
            return;
          }
          apiError(
            res,
            400,
            `This model's maximum context length is ${options.contextLength ?? 8192} tokens. However, your messages resulted in ${extra.message ?? 'more'} tokens. Please reduce the length of the messages.`,
            'invalid_request_error',
            'context_length_exceeded',
            'messages',
          );
          return;
        case 'bad-request':
          apiError(res, 400, extra.message ?? 'Bad request', 'invalid_request_error', null);
          return;
      }
    },

    async answer(ex: ChatExchange, opts: LoopbackOptions): Promise<void> {
      if (opts.reasoningModels?.includes(ex.request.model) && ex.body['max_tokens'] !== undefined) {
        apiError(
          ex.res,
          400,
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          'invalid_request_error',
          'unsupported_parameter',
          'max_tokens',
        );
        return;
      }
      if (
        opts.reasoningModels?.includes(ex.request.model) &&
        ex.body['temperature'] !== undefined &&
        ex.body['temperature'] !== 1
      ) {
        apiError(
          ex.res,
          400,
          `Unsupported value: 'temperature' does not support ${String(ex.body['temperature'])} with this model. Only the default (1) value is supported.`,
          'invalid_request_error',
          'unsupported_value',
          'temperature',
        );
        return;
      }
      if (opts.strictParams) {
        const known = new Set([
          'model',
          'messages',
          'temperature',
          'seed',
          'max_tokens',
          'max_completion_tokens',
          'response_format',
          'stream',
          'stream_options',
          'reasoning_effort',
          'top_p',
          'n',
          'stop',
        ]);
        const unknown = Object.keys(ex.body).find((k) => !known.has(k));
        if (unknown) {
          apiError(ex.res, 400, `Unrecognized request argument supplied: ${unknown}`, 'invalid_request_error', null);
          return;
        }
      }
      const asked = options.vllm ? readVllmRequest(options.vllm, ex.body) : undefined;
      if (asked?.refusal) {
        vllmError(ex.res, asked.refusal.message, asked.refusal.param);
        return;
      }
      vllm.ignoredFields.push(...(asked?.ignored ?? []));
      const prepared = await prepareAnswer(ex, opts, handler);
      if (!prepared) return;
      if (asked?.choice) {
        // A choice-constrained decoder writes one of the choices and stops.
        prepared.content = constrainToChoice(prepared.content, asked.choice);
        prepared.completionTokens = 1;
        prepared.finish = 'stop';
      }
      const kwargs = (ex.body['chat_template_kwargs'] ?? {}) as Record<string, unknown>;
      // vLLM with a Qwen3 template: the thinking comes first in the content unless enable_thinking is false.
      if (opts.thinkingModels?.includes(ex.request.model) && kwargs['enable_thinking'] !== false)
        prepared.content = `<think>\nLet me weigh both replies.\n</think>\n\n${prepared.content}`;
      const { content, promptTokens, completionTokens, finish } = prepared;
      const id = `chatcmpl-loopback${nextId++}`;
      const created = Math.floor(Date.now() / 1000);
      // Like OpenAI and llama-server: the part of the prompt served from the server's prompt cache.
      const cachedTokens = asked
        ? Math.min(vllm.prefixCache.serve(ex.request.messages, asked.salt), promptTokens)
        : Math.min(opts.cachedPromptTokens ?? 0, promptTokens);
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: cachedTokens },
      };
      const invalid = faultOf(ex.faults, 'protocol-invalid');
      const malformed = faultOf(ex.faults, 'malformed-json');
      const resetAt = faultOf(ex.faults, 'reset-mid-stream');
      const stallAt = faultOf(ex.faults, 'stall-mid-stream');
      const errorAt = faultOf(ex.faults, 'error-mid-stream');

      if (!ex.request.stream) {
        const body = JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: ex.request.model,
          choices: [
            invalid?.shape === 'no-message'
              ? { index: 0, logprobs: null, finish_reason: finish }
              : {
                  index: 0,
                  message: { role: 'assistant', content: invalid ? null : content, refusal: null, annotations: [] },
                  logprobs: null,
                  finish_reason: finish,
                },
          ],
          usage,
          service_tier: 'default',
          system_fingerprint: 'fp_loopback',
        });
        ex.res.writeHead(200, { 'Content-Type': 'application/json' });
        if (malformed) {
          ex.res.end(body.slice(0, 40));
          return;
        }
        if (resetAt) {
          ex.res.write(body.slice(0, 40));
          ex.reset();
          return;
        }
        if (stallAt) {
          ex.res.write(body.slice(0, 40));
          await ex.wait(3_600_000);
          return;
        }
        ex.res.end(body);
        return;
      }

      const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: ex.request.model,
          system_fingerprint: 'fp_loopback',
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        })}\n\n`;
      ex.res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
      });
      // Chunks produced in one tick leave in one write (as they would from a busy real server);
      // chunks spread in time, or cut short by a fault, go out one by one.
      if (!opts.chunkIntervalMs && !malformed && !resetAt && !stallAt && !errorAt) coalesceWrites(ex.res);
      if (invalid) {
        // Deltas that carry nothing (no-message), or content null throughout, then a finish reason.
        const empty = invalid.shape === 'no-message' ? {} : { content: null };
        for (let i = 0; i < 3; i++) ex.res.write(chunk(empty, null));
        ex.res.write(chunk(empty, finish));
        ex.res.end('data: [DONE]\n\n');
        return;
      }
      ex.res.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
      const parts = pieces(content, opts.chunkChars ?? 12);
      for (let i = 0; i < parts.length; i++) {
        if (ex.closed) return;
        if (resetAt && i === (resetAt.afterChunks ?? 1)) {
          ex.reset();
          return;
        }
        if (stallAt && i === (stallAt.afterChunks ?? 1)) {
          await ex.wait(3_600_000);
          return;
        }
        if (errorAt && i === (errorAt.afterChunks ?? 1)) {
          // vLLM's and OpenAI's way of failing inside a 200 stream: an error object as an event.
          const message = errorAt.message ?? 'The server had an error while processing your request.';
          ex.res.end(
            `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`,
          );
          return;
        }
        if (malformed && i === Math.min(1, parts.length - 1)) {
          ex.res.write(`data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"delta":\n\n`);
          continue;
        }
        ex.res.write(chunk({ content: parts[i] }, null));
        if (opts.chunkIntervalMs && !(await ex.wait(opts.chunkIntervalMs))) return;
      }
      if (resetAt) {
        ex.reset();
        return;
      }
      if (stallAt) {
        await ex.wait(3_600_000);
        return;
      }
      ex.res.write(chunk({}, finish));
      // Usage comes in a last chunk with no choices, and only when the client asked for it.
      const streamOptions = ex.body['stream_options'] as { include_usage?: boolean } | undefined;
      if (streamOptions?.include_usage) {
        ex.res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: ex.request.model, system_fingerprint: 'fp_loopback', choices: [], usage })}\n\n`,
        );
      }
      ex.res.end('data: [DONE]\n\n');
    },
  };
  return handler;
}
