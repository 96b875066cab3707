/**
 * A loopback Ollama server for tests: `/api/chat` (NDJSON stream when `stream` is true, one
 * JSON object otherwise, with `prompt_eval_count`, `eval_count`, `done_reason`), `/api/tags`,
 * `/api/show`, `/api/version`, and Ollama's error bodies (`{"error": "..."}`), e.g. a 404
 * `model "x" not found, try pulling it first`. Faults and the brain: see loopback-llm.ts.
 *
 *   const ollama = await startLoopbackOllama({ models: ['llama3.1:8b'] });
 *   createLlm({ provider: 'ollama', baseUrls: [ollama.url], model: 'llama3.1:8b' }, ...)
 *   after(() => ollama.close());
 */
import type { ServerResponse } from 'node:http';
import {
  type BrainRequest,
  type ChatExchange,
  coalesceWrites,
  estimatePromptTokens,
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

export type { Brain, BrainRequest, Fault, LoopbackOptions, LoopbackServer } from './loopback-llm';

export const LOOPBACK_OLLAMA_VERSION = '0.12.6';
/** Ollama's default context from 0.6.7 (2048 before; from 0.15.5 it depends on GPU memory). */
export const OLLAMA_DEFAULT_NUM_CTX = 4096;

/** Dotted versions compared numerically; kept apart from the product's own comparison on purpose. */
function atLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** What the model sees of an overlong prompt: the last `limit` tokens' worth of it (chars/4), front first lost. */
function cutFromFront(messages: LoopbackMessage[], limit: number): LoopbackMessage[] {
  let budget = limit * 4;
  const kept: LoopbackMessage[] = [];
  for (let i = messages.length - 1; i >= 0 && budget > 0; i--) {
    const m = messages[i]!;
    kept.unshift(m.content.length <= budget ? m : { ...m, content: m.content.slice(m.content.length - budget) });
    budget -= m.content.length;
  }
  return kept;
}
const DEFAULT_MODELS = ['llama3.1:8b', 'qwen3:30b-a3b'];
/** model_info context length reported by /api/show. */
const TRAINED_CONTEXT = 131072;

export function startLoopbackOllama(options: LoopbackOptions = {}): Promise<LoopbackServer> {
  const opts: LoopbackOptions = { models: DEFAULT_MODELS, ...options };
  return startLoopback(ollamaHandler(opts), opts, '');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

function ollamaHandler(options: LoopbackOptions): ProtocolHandler {
  const models = () => options.models ?? DEFAULT_MODELS;
  const handler: ProtocolHandler = {
    protocol: 'ollama',

    parseChat(path, method, body): BrainRequest | undefined {
      if (path !== '/api/chat' || method !== 'POST') return undefined;
      const opts = (body['options'] ?? {}) as Record<string, unknown>;
      const format = body['format'];
      return {
        protocol: 'ollama',
        model: String(body['model'] ?? ''),
        messages: (Array.isArray(body['messages']) ? body['messages'] : []) as LoopbackMessage[],
        schema: format && typeof format === 'object' ? (format as Record<string, unknown>) : undefined,
        temperature: typeof opts['temperature'] === 'number' ? opts['temperature'] : undefined,
        seed: typeof opts['seed'] === 'number' ? opts['seed'] : undefined,
        maxTokens: typeof opts['num_predict'] === 'number' ? opts['num_predict'] : undefined,
        numCtx: typeof opts['num_ctx'] === 'number' ? opts['num_ctx'] : undefined,
        truncate: typeof body['truncate'] === 'boolean' ? body['truncate'] : undefined,
        // Ollama streams unless told otherwise.
        stream: body['stream'] !== false,
      };
    },

    route(path, method, body, _req, res): boolean {
      if (embedRoute('ollama', options, { path, method, body }, res)) return true;
      if (path === '/api/version' && method === 'GET') {
        json(res, 200, { version: options.ollamaVersion ?? LOOPBACK_OLLAMA_VERSION });
        return true;
      }
      if (path === '/api/tags' && method === 'GET') {
        json(res, 200, {
          models: models().map((name) => ({
            name,
            model: name,
            modified_at: '2025-06-01T10:00:00.000000000Z',
            size: 4_920_753_328,
            digest: options.digests?.[name] ?? `sha256:${name.length.toString(16).padStart(64, '0')}`,
            details: {
              parent_model: '',
              format: 'gguf',
              family: 'llama',
              families: ['llama'],
              parameter_size: '8.0B',
              quantization_level: 'Q4_K_M',
            },
          })),
        });
        return true;
      }
      if (path === '/api/show' && method === 'POST') {
        const name = String(body?.['model'] ?? body?.['name'] ?? '');
        if (!models().includes(name)) {
          json(res, 404, { error: `model '${name}' not found` });
          return true;
        }
        json(res, 200, {
          license: 'LLAMA 3.1 COMMUNITY LICENSE AGREEMENT',
          modelfile: `FROM ${name}`,
          parameters: 'num_ctx                        8192\nstop                           "<|eot_id|>"',
          template: '{{ .Prompt }}',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'llama',
            families: ['llama'],
            parameter_size: '8.0B',
            quantization_level: 'Q4_K_M',
          },
          model_info: {
            'general.architecture': 'llama',
            'general.parameter_count': 8030261248,
            'llama.context_length': TRAINED_CONTEXT,
          },
          capabilities: ['completion', 'tools'],
          modified_at: '2025-06-01T10:00:00.000000000Z',
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
          if (extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(extra.retryAfterSeconds);
          else if (extra.retryAfterMs !== undefined)
            headers['Retry-After'] = String(Math.ceil(extra.retryAfterMs / 1000));
          if (extra.retryAfterMs !== undefined) headers['retry-after-ms'] = String(extra.retryAfterMs);
          json(res, 429, { error: 'server busy, please try again. maximum pending requests exceeded' }, headers);
          return;
        }
        case 'quota':
          // Ollama itself has no quota; a paid gateway in front of it answers 402.
          json(res, 402, { error: 'payment required: credit exhausted' });
          return;
        case 'server':
          json(res, extra.status ?? 500, {
            error: extra.message ?? 'llama runner process has terminated: exit status 2',
          });
          return;
        case 'not-found':
          json(res, 404, { error: `model "${model}" not found, try pulling it first` });
          return;
        case 'unauthorized':
          json(res, 401, { error: 'unauthorized' });
          return;
        case 'schema':
          // What Ollama before 0.5 said when `format` was an object rather than "json".
          json(res, 400, {
            error: 'json: cannot unmarshal object into Go struct field ChatRequest.format of type string',
          });
          return;
        case 'context-length':
          json(res, 400, { error: 'the input length exceeds the context length' });
          return;
        case 'bad-request':
          json(res, 400, { error: extra.message ?? 'bad request' });
          return;
      }
    },

    async answer(ex: ChatExchange, opts: LoopbackOptions): Promise<void> {
      // Thinking (server/routes.go ChatHandler): a model without the capability refuses `think` on newer
      // Ollama; a thinking model thinks unless think is false, and the thinking comes in message.thinking.
      const thinks = opts.thinkingModels?.includes(ex.request.model) ?? false;
      const think = ex.body['think'];
      if (!thinks && think !== undefined && (opts.thinkStrict || (think !== false && think !== 'false'))) {
        json(ex.res, 400, { error: `"${ex.request.model}" does not support thinking` });
        return;
      }
      const thinking = thinks && think !== false ? 'Let me weigh both replies against what this user wants.' : '';
      // Ollama's runner (runner/ollamarunner NewSequence): a prompt longer than num_ctx (the server's default
      // when the request sets none) is cut from the front, keeping a few tokens at the start, and answered with
      // 200; prompt_eval_count is the length after the cut. From 0.12.6, truncate:false makes it a 400.
      const limit = ex.request.numCtx ?? opts.defaultNumCtx ?? OLLAMA_DEFAULT_NUM_CTX;
      const tokens = estimatePromptTokens(ex.request.messages);
      let cutTo: number | undefined;
      if (tokens > limit) {
        if (ex.request.truncate === false && atLeast(opts.ollamaVersion ?? LOOPBACK_OLLAMA_VERSION, '0.12.6')) {
          handler.sendError(ex.res, 'context-length', ex);
          return;
        }
        ex.request.messages = cutFromFront(ex.request.messages, limit);
        cutTo = limit;
      }
      const prepared = await prepareAnswer(ex, opts, handler);
      if (!prepared) return;
      const { content, completionTokens, finish } = prepared;
      const promptTokens = cutTo ?? prepared.promptTokens;
      const createdAt = new Date().toISOString();
      const final = {
        model: ex.request.model,
        created_at: createdAt,
        message: {
          role: 'assistant',
          content: ex.request.stream ? '' : content,
          ...(thinking && !ex.request.stream ? { thinking } : {}),
        },
        done_reason: finish,
        done: true,
        total_duration: 1_000_000,
        load_duration: 100_000,
        prompt_eval_count: promptTokens,
        prompt_eval_duration: 200_000,
        eval_count: completionTokens,
        eval_duration: 700_000,
      };
      const invalid = faultOf(ex.faults, 'protocol-invalid');
      if (invalid) {
        sendInvalid(ex, final, invalid.shape, pieces(content, opts.chunkChars ?? 12));
        return;
      }
      const malformed = faultOf(ex.faults, 'malformed-json');
      const resetAt = faultOf(ex.faults, 'reset-mid-stream');
      const stallAt = faultOf(ex.faults, 'stall-mid-stream');
      const errorAt = faultOf(ex.faults, 'error-mid-stream');

      if (!ex.request.stream) {
        ex.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        if (malformed) {
          ex.res.end(JSON.stringify(final).slice(0, 40));
          return;
        }
        if (resetAt) {
          ex.res.write(JSON.stringify(final).slice(0, 40));
          ex.reset();
          return;
        }
        if (stallAt) {
          ex.res.write(JSON.stringify(final).slice(0, 40));
          await ex.wait(3_600_000);
          return;
        }
        ex.res.end(JSON.stringify(final));
        return;
      }

      ex.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      // Chunks produced in one tick leave in one write (as they would from a busy real server);
      // chunks spread in time, or cut short by a fault, go out one by one.
      if (!opts.chunkIntervalMs && !malformed && !resetAt && !stallAt && !errorAt) coalesceWrites(ex.res);
      const parts = pieces(content, opts.chunkChars ?? 12);
      // Ollama streams the thinking first, in message.thinking, with empty content.
      if (thinking)
        ex.res.write(
          `${JSON.stringify({ model: ex.request.model, created_at: createdAt, message: { role: 'assistant', content: '', thinking }, done: false })}\n`,
        );
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
          ex.res.end(
            `${JSON.stringify({ error: errorAt.message ?? 'an error was encountered while running the model: unexpected EOF' })}\n`,
          );
          return;
        }
        if (malformed && i === Math.min(1, parts.length - 1)) {
          ex.res.write('{"model":"' + ex.request.model + '","message":{"role":"assistant","content":\n');
          continue;
        }
        ex.res.write(
          `${JSON.stringify({ model: ex.request.model, created_at: createdAt, message: { role: 'assistant', content: parts[i] }, done: false })}\n`,
        );
        if (opts.chunkIntervalMs && !(await ex.wait(opts.chunkIntervalMs))) return;
      }
      if (resetAt || stallAt) {
        // The fault asked for more chunks than the answer has: apply it before the final line.
        if (resetAt) ex.reset();
        else await ex.wait(3_600_000);
        return;
      }
      ex.res.end(`${JSON.stringify(final)}\n`);
    },
  };
  return handler;
}

/** A reply that is JSON but not Ollama's: every line (or the one object) without `message`, or with `content: null`. */
function sendInvalid(
  ex: ChatExchange,
  final: Record<string, unknown>,
  shape: 'no-message' | 'null-content',
  parts: string[],
): void {
  const bend = (line: Record<string, unknown>): Record<string, unknown> => {
    const { message, ...rest } = line;
    return shape === 'no-message' ? rest : { ...rest, message: { ...(message as object), content: null } };
  };
  if (!ex.request.stream) {
    json(ex.res, 200, bend(final));
    return;
  }
  ex.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  for (const part of parts)
    ex.res.write(
      `${JSON.stringify(bend({ model: ex.request.model, created_at: final['created_at'], message: { role: 'assistant', content: part }, done: false }))}\n`,
    );
  ex.res.end(`${JSON.stringify(bend(final))}\n`);
}
