/**
 * Shared machinery of the loopback LLM servers (see loopback-ollama.ts and loopback-openai.ts).
 *
 * A loopback server is a node:http server on 127.0.0.1 and a free port that speaks one LLM
 * protocol faithfully enough for the real `ollama` / `openai` npm clients, answers with a
 * pluggable "brain", and injects faults on demand:
 *
 *   const server = await startLoopbackOllama({ brain: (req) => '{"preference":"A"}' });
 *   server.inject({ type: 'rate-limit', retryAfterMs: 50 });   // the next chat request gets a 429
 *   ... point the code under test at server.url ...
 *   assert.equal(server.stats.chat, 2);
 *   await server.close();                                      // in `after`
 *
 * Faults are taken one per chat request from the queue filled by inject() (an entry may be an
 * array of faults applied together), else from `faultFor(request, index)`, else none.
 * Counters live in `stats`; every chat request is recorded in `chats` (body, headers, parsed).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackMessage {
  role: string;
  content: string;
}

/** What the brain sees: the request as the server understood it. */
export interface BrainRequest {
  protocol: 'ollama' | 'openai';
  model: string;
  messages: LoopbackMessage[];
  /** The JSON schema of structured output (Ollama `format`, OpenAI `response_format.json_schema.schema`). */
  schema?: Record<string, unknown>;
  temperature?: number;
  seed?: number;
  maxTokens?: number;
  /** Ollama: options.num_ctx, and the request's `truncate` flag. */
  numCtx?: number;
  truncate?: boolean;
  stream: boolean;
}

/** Produces the assistant's content for a request. May throw: the server then answers 500. */
export type Brain = (request: BrainRequest) => string | Promise<string>;

export type Fault =
  /** Wait before sending anything (the time a model takes to think). */
  | { type: 'latency'; ms: number }
  /** Wait before the first byte: a model being loaded. Same effect as latency, named for intent. */
  | { type: 'slow-first-byte'; ms: number }
  /** 429 with Retry-After (whole seconds, rounded up) and retry-after-ms when retryAfterMs is given. */
  | { type: 'rate-limit'; retryAfterMs?: number; retryAfterSeconds?: number }
  | { type: 'server-error'; status?: number; message?: string }
  /** Out of quota: OpenAI's 429 insufficient_quota; 402 from Ollama-fronting proxies. */
  | { type: 'quota' }
  /** Destroy the socket before any response. */
  | { type: 'reset-before-response' }
  /** Send the headers and `afterChunks` chunks (default 1), then destroy the socket. */
  | { type: 'reset-mid-stream'; afterChunks?: number }
  /** Send `afterChunks` chunks (default 1), then go silent until the client gives up. */
  | { type: 'stall-mid-stream'; afterChunks?: number }
  /**
   * A stream that never ends: a content chunk every `intervalMs` (default 20 ms, far inside any idle
   * timeout) until the client gives up. A model looping inside its answer on a server that ignores the
   * output cap does this. A request that is not streamed gets nothing: a server sends that answer whole,
   * when it is done generating, which is never.
   */
  | { type: 'endless-stream'; intervalMs?: number; text?: string }
  /** A streamed answer that fails after `afterChunks` chunks with an error event (Ollama: an `{"error"}` line). */
  | { type: 'error-mid-stream'; afterChunks?: number; message?: string }
  /** A 200 whose body (or one stream line) is not valid JSON. */
  | { type: 'malformed-json' }
  /**
   * A 200 that is valid JSON but not the protocol's answer: no message at all (Ollama: no `message`; OpenAI:
   * a choice without `message`, or stream deltas without content), or a message whose content is null. A
   * broken proxy, or another server on the port, sends such replies.
   */
  | { type: 'protocol-invalid'; shape: 'no-message' | 'null-content' }
  /** 400 if the request carries a JSON schema, as a server without structured output does. */
  | { type: 'schema-rejected' }
  | { type: 'unauthorized' }
  | { type: 'model-not-found' }
  | { type: 'context-length' };

export interface LoopbackOptions {
  brain?: Brain;
  /** Latency added to every chat request (before the first byte). */
  latencyMs?: number;
  /** Models the server has; requests for others get the protocol's 404. */
  models?: string[];
  /** Reject every request that carries a JSON schema (an old server). */
  rejectSchemas?: boolean;
  /** Prompts longer than this many tokens (chars/4) get the protocol's context-length error. */
  contextLength?: number;
  /**
   * Models that think: Ollama puts the thinking in message.thinking unless the request says think:false;
   * an OpenAI-compatible server (vLLM with a Qwen3 template) puts `<think>...</think>` before the content
   * unless chat_template_kwargs.enable_thinking is false.
   */
  thinkingModels?: string[];
  /** Ollama: a `think` field for a model that cannot think is a 400 "does not support thinking". */
  thinkStrict?: boolean;
  /** OpenAI: reasoning models refuse a temperature other than 1 (400 unsupported_value, param temperature). */
  reasoningModels?: string[];
  /** OpenAI's own API: an unknown top-level parameter is a 400 "Unrecognized request argument supplied". */
  strictParams?: boolean;
  /**
   * Requests processed at once (Ollama's OLLAMA_NUM_PARALLEL, 1 by default since 0.9.7). Others wait in a
   * queue, which counts against the client's timeout; past `maxQueue` waiting requests the server answers
   * 503 (Ollama: "server busy, please try again. maximum pending requests exceeded", no Retry-After).
   */
  slots?: number;
  maxQueue?: number;
  /** OpenAI: prompt tokens reported as served from the prompt cache (usage.prompt_tokens_details.cached_tokens). */
  cachedPromptTokens?: number;
  /** The first chat request waits this long with nothing sent: Ollama loading the model. */
  loadDelayMs?: number;
  /** Ollama: the digest /api/tags gives a model (what `ollama pull` changes); default one per name. */
  digests?: Record<string, string>;
  /** Ollama: the version /api/version reports (default LOOPBACK_OLLAMA_VERSION). */
  ollamaVersion?: string;
  /** Ollama: the context a request without options.num_ctx gets (default 4096, as from Ollama 0.6.7). */
  defaultNumCtx?: number;
  /** Characters per streamed chunk. Default 12. */
  chunkChars?: number;
  /** Delay between streamed chunks. Default 0. */
  chunkIntervalMs?: number;
  /** A fault for requests the queue does not cover. */
  faultFor?: (request: BrainRequest, index: number) => Fault | Fault[] | undefined;
  /** Listen on this port (a server coming back where one stopped); default any free port. */
  port?: number;
  /**
   * A server that ignores the output cap (num_predict / max_tokens) and miscounts: the brain's whole answer
   * is sent with finish "stop", and usage reports `reportedTokens` completion tokens whatever its length.
   */
  capIgnored?: { reportedTokens: number };
  /**
   * The embeddings endpoint (loopback-embed.ts): served by default; false leaves it out (a plain 404), 501 answers as
   * a server that embeds nothing.
   */
  embeddings?: false | 501;
}

export interface LoopbackStats {
  /** HTTP requests of any path. */
  requests: number;
  /** Chat requests. */
  chat: number;
  byPath: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  /** Chat requests whose connection the client closed before the answer was complete. */
  clientAborts: number;
  /** Chat requests answered completely (errors included). */
  completed: number;
  faultsApplied: number;
  /** 503s sent because the waiting line was full (options.maxQueue). */
  busyRefusals: number;
}

export interface RecordedChat {
  index: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body as received. */
  body: Record<string, unknown>;
  request: BrainRequest;
  receivedAt: number;
}

export interface LoopbackServer {
  /** Base URL to give the client: `http://127.0.0.1:PORT` (Ollama) or `.../v1` (OpenAI). */
  readonly url: string;
  readonly port: number;
  readonly stats: LoopbackStats;
  readonly chats: RecordedChat[];
  /** Options can be changed between requests (brain, latency, models, ...). */
  readonly options: LoopbackOptions;
  inject(...faults: Array<Fault | Fault[]>): void;
  /** Faults still queued. */
  readonly pendingFaults: number;
  /** Zero the counters, forget the recorded chats and the queued faults. */
  reset(): void;
  close(): Promise<void>;
}

/** A deterministic stand-in for a model: a schema-shaped JSON object, or an echo of the last message. */
export function defaultBrain(request: BrainRequest): string {
  const last = request.messages[request.messages.length - 1]?.content ?? '';
  if (request.schema) return JSON.stringify(exampleFor(request.schema, hash(JSON.stringify(request.messages))));
  return `echo: ${last.slice(0, 200)}`;
}

function exampleFor(schema: Record<string, unknown>, seed: number): unknown {
  const en = schema['enum'];
  if (Array.isArray(en) && en.length) return en[seed % en.length];
  switch (schema['type']) {
    case 'object': {
      const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = exampleFor(v, seed);
      return out;
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return true;
    default:
      return 'loopback reasoning';
  }
}

export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function estimatePromptTokens(messages: LoopbackMessage[]): number {
  let n = 3;
  for (const m of messages) n += 4 + Math.ceil(m.content.length / 4);
  return n;
}

/** One chat exchange, as the protocol module drives it. */
export interface ChatExchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The JSON body as received. */
  body: Record<string, unknown>;
  request: BrainRequest;
  faults: Fault[];
  /** True once the client has gone away. */
  readonly closed: boolean;
  /** Waits, returning false early if the client went away. */
  wait(ms: number): Promise<boolean>;
  /** Ends the exchange by destroying the socket, as a crashing server would. */
  reset(): void;
}

/** What a protocol module supplies to the shared server. */
export interface ProtocolHandler {
  protocol: 'ollama' | 'openai';
  /** Handles a non-chat path, or returns false for a 404. */
  route(
    path: string,
    method: string,
    body: Record<string, unknown> | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): boolean | Promise<boolean>;
  /** Recognises a chat request and parses it; undefined for other paths. */
  parseChat(path: string, method: string, body: Record<string, unknown>): BrainRequest | undefined;
  /** A check before faults and brain (auth); returns true when it answered. */
  precheck?(exchange: ChatExchange): boolean;
  answer(exchange: ChatExchange, options: LoopbackOptions): Promise<void>;
  /** An error in the protocol's own format. */
  sendError(
    res: ServerResponse,
    kind:
      'rate-limit' | 'quota' | 'server' | 'not-found' | 'unauthorized' | 'schema' | 'context-length' | 'bad-request',
    exchange: ChatExchange | undefined,
    extra?: { message?: string; status?: number; retryAfterMs?: number; retryAfterSeconds?: number },
  ): void;
}

export async function startLoopback(
  handler: ProtocolHandler,
  options: LoopbackOptions,
  urlSuffix: string,
): Promise<LoopbackServer> {
  const stats: LoopbackStats = {
    requests: 0,
    chat: 0,
    byPath: {},
    inFlight: 0,
    maxInFlight: 0,
    clientAborts: 0,
    completed: 0,
    faultsApplied: 0,
    busyRefusals: 0,
  };
  const chats: RecordedChat[] = [];
  let queue: Fault[][] = [];
  const sockets = new Set<Socket>();
  // Slots and their waiting line (options.slots); the model's load happens once, on the first chat request.
  let busy = 0;
  const waiting: (() => void)[] = [];
  let loaded: Promise<void> | undefined;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        handler.sendError(res, 'server', undefined, {
          message: `loopback brain failed: ${(err as Error)?.message ?? String(err)}`,
        });
      } else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    stats.requests++;
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        handler.sendError(res, 'bad-request', undefined, { message: 'invalid JSON body' });
        return;
      }
    }
    const request = body ? handler.parseChat(path, method, body) : undefined;
    if (!request || !body) {
      if (!(await handler.route(path, method, body, req, res))) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
      }
      return;
    }

    const index = stats.chat++;
    chats.push({ index, path, headers: req.headers, body, request, receivedAt: Date.now() });
    if (chats.length > 20_000) chats.splice(0, chats.length - 20_000);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let closed = false;
    const timers = new Set<{ timer: NodeJS.Timeout; resolve: (v: boolean) => void }>();
    res.on('close', () => {
      stats.inFlight--;
      if (!res.writableFinished) stats.clientAborts++;
      else stats.completed++;
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve(false);
      }
      timers.clear();
    });
    const fromQueue = queue.shift();
    const chosen = fromQueue ?? options.faultFor?.(request, index);
    const faults = chosen === undefined ? [] : Array.isArray(chosen) ? chosen : [chosen];
    stats.faultsApplied += faults.length;
    const exchange: ChatExchange = {
      req,
      res,
      body,
      request,
      faults,
      get closed() {
        return closed;
      },
      wait(ms: number): Promise<boolean> {
        if (closed) return Promise.resolve(false);
        if (ms <= 0) return Promise.resolve(true);
        return new Promise((resolve) => {
          const entry = {
            resolve,
            timer: setTimeout(() => {
              timers.delete(entry);
              resolve(true);
            }, ms),
          };
          timers.add(entry);
        });
      },
      reset(): void {
        req.socket.destroy();
      },
    };
    if (handler.precheck?.(exchange)) return;
    const slots = options.slots;
    if (slots !== undefined) {
      if (busy >= slots) {
        if (options.maxQueue !== undefined && waiting.length >= options.maxQueue) {
          stats.busyRefusals++;
          handler.sendError(res, 'server', exchange, {
            status: 503,
            message: 'server busy, please try again.  maximum pending requests exceeded',
          });
          return;
        }
        await new Promise<void>((r) => waiting.push(r));
      }
      busy++;
    }
    try {
      if (options.loadDelayMs) {
        loaded ??= new Promise((r) => setTimeout(r, options.loadDelayMs));
        await loaded;
      }
      const endless = faultOf(faults, 'endless-stream');
      if (!closed)
        await (endless ? streamForever(exchange, handler.protocol, endless) : handler.answer(exchange, options));
    } finally {
      if (slots !== undefined) {
        busy--;
        waiting.shift()?.();
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Like Ollama's and vLLM's servers: keep connections open and send no `Keep-Alive: timeout`
  // (with Node's short default the client would reconnect for every call). close() ends them.
  server.keepAliveTimeout = 0;

  return {
    url: `http://127.0.0.1:${port}${urlSuffix}`,
    port,
    stats,
    chats,
    options,
    inject(...faults) {
      for (const f of faults) queue.push(Array.isArray(f) ? f : [f]);
    },
    get pendingFaults() {
      return queue.length;
    },
    reset() {
      queue = [];
      chats.length = 0;
      Object.assign(stats, {
        requests: 0,
        chat: 0,
        byPath: {},
        maxInFlight: stats.inFlight,
        clientAborts: 0,
        completed: 0,
        faultsApplied: 0,
        busyRefusals: 0,
      });
    },
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await closing;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The endless stream, in either protocol's chunk format (the same lines the protocol modules send while
 * an answer is under way), so that the real clients take every chunk as progress.
 */
async function streamForever(
  ex: ChatExchange,
  protocol: ProtocolHandler['protocol'],
  fault: Extract<Fault, { type: 'endless-stream' }>,
): Promise<void> {
  if (!ex.request.stream) {
    await ex.wait(3_600_000);
    return;
  }
  const content = fault.text ?? 'and so on, ';
  const model = ex.request.model;
  const line =
    protocol === 'ollama'
      ? `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: false })}\n`
      : `data: ${JSON.stringify({ id: 'chatcmpl-endless', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, system_fingerprint: 'fp_loopback', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] })}\n\n`;
  ex.res.writeHead(
    200,
    protocol === 'ollama'
      ? { 'Content-Type': 'application/x-ndjson' }
      : { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive' },
  );
  // ex.wait answers false once the client has closed the connection.
  for (;;) {
    ex.res.write(line);
    if (!(await ex.wait(fault.intervalMs ?? 20))) return;
  }
}

/** The fault of a given type among those applied to an exchange. */
export function faultOf<T extends Fault['type']>(faults: Fault[], type: T): Extract<Fault, { type: T }> | undefined {
  return faults.find((f) => f.type === type) as Extract<Fault, { type: T }> | undefined;
}

/** Splits content into stream pieces; an empty answer still yields one (empty) piece. */
export function pieces(content: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < content.length; i += size) out.push(content.slice(i, i + size));
  return out.length ? out : [''];
}

/**
 * The common path of a chat answer: latency faults, error faults, the brain, max_tokens
 * truncation. Returns undefined when a fault already answered (or the client left).
 */
export async function prepareAnswer(
  ex: ChatExchange,
  options: LoopbackOptions,
  handler: ProtocolHandler,
): Promise<{ content: string; promptTokens: number; completionTokens: number; finish: 'stop' | 'length' } | undefined> {
  const delay =
    (options.latencyMs ?? 0) +
    (faultOf(ex.faults, 'latency')?.ms ?? 0) +
    (faultOf(ex.faults, 'slow-first-byte')?.ms ?? 0);
  if (delay > 0 && !(await ex.wait(delay))) return undefined;
  if (faultOf(ex.faults, 'reset-before-response')) {
    ex.reset();
    return undefined;
  }
  const rl = faultOf(ex.faults, 'rate-limit');
  if (rl) {
    handler.sendError(ex.res, 'rate-limit', ex, {
      retryAfterMs: rl.retryAfterMs,
      retryAfterSeconds: rl.retryAfterSeconds,
    });
    return undefined;
  }
  if (faultOf(ex.faults, 'quota')) {
    handler.sendError(ex.res, 'quota', ex);
    return undefined;
  }
  const se = faultOf(ex.faults, 'server-error');
  if (se) {
    handler.sendError(ex.res, 'server', ex, { status: se.status, message: se.message });
    return undefined;
  }
  if (faultOf(ex.faults, 'unauthorized')) {
    handler.sendError(ex.res, 'unauthorized', ex);
    return undefined;
  }
  const known = options.models;
  if (faultOf(ex.faults, 'model-not-found') || (known && !known.includes(ex.request.model))) {
    handler.sendError(ex.res, 'not-found', ex);
    return undefined;
  }
  if (ex.request.schema && (options.rejectSchemas || faultOf(ex.faults, 'schema-rejected'))) {
    handler.sendError(ex.res, 'schema', ex);
    return undefined;
  }
  const promptTokens = estimatePromptTokens(ex.request.messages);
  if (
    faultOf(ex.faults, 'context-length') ||
    (options.contextLength !== undefined && promptTokens > options.contextLength)
  ) {
    handler.sendError(ex.res, 'context-length', ex, { message: String(promptTokens) });
    return undefined;
  }
  let content = await (options.brain ?? defaultBrain)(ex.request);
  let finish: 'stop' | 'length' = 'stop';
  if (options.capIgnored) return { content, promptTokens, completionTokens: options.capIgnored.reportedTokens, finish };
  if (ex.request.maxTokens !== undefined && Math.ceil(content.length / 4) > ex.request.maxTokens) {
    content = content.slice(0, ex.request.maxTokens * 4);
    finish = 'length';
  }
  return { content, promptTokens, completionTokens: Math.ceil(content.length / 4), finish };
}

/**
 * Makes a streamed response's chunks leave in one write, as a busy real server's do. Used
 * instead of `res.cork()`: on Node 24 (the extension host of the VS Code tests), a corked
 * chunked response that is then ended delivers only its first chunk.
 */
export function coalesceWrites(res: ServerResponse): void {
  let pending = '';
  const end = res.end.bind(res) as (chunk?: string) => unknown;
  res.write = ((chunk: string | Uint8Array) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: string) => {
    end(pending + (typeof chunk === 'string' ? chunk : ''));
    return res;
  }) as typeof res.end;
}
