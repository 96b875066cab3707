// Every failure of the LLM layer becomes one LlmError with a kind, a retry decision and a
// message a researcher can act on without reading a stack trace. The scheduler decides on
// retries from `retryable` alone, so classification lives here and nowhere else.
import type { ProviderKind } from './types';

export type LlmErrorKind =
  | 'connection'
  | 'auth'
  | 'not-found'
  | 'rate-limit'
  /** Out of credit or quota (402, OpenAI's insufficient_quota): no later call can succeed. */
  | 'quota'
  | 'server'
  | 'context-length'
  | 'bad-request'
  | 'timeout'
  | 'aborted'
  | 'parse'
  /** The run's budget of requests is spent: the request was not sent (see RequestBudget). */
  | 'budget'
  /** The request was written to a batch file (--batch) instead of sent: its answer comes with the batch output. */
  | 'deferred';

/** Kinds worth another attempt: the same request may well succeed a moment later. */
const RETRYABLE: ReadonlySet<LlmErrorKind> = new Set(['connection', 'rate-limit', 'server', 'timeout', 'parse']);

export interface LlmErrorInit {
  provider?: ProviderKind;
  baseUrl?: string;
  model?: string;
  purpose?: string;
  status?: number;
  /** From Retry-After / retry-after-ms on a 429 or 503. */
  retryAfterMs?: number;
  /** The server refused the JSON schema (structured output); a plain-text retry may work. */
  schemaRejected?: boolean;
  /** A request parameter the server refused ('temperature', 'think', ...): the call may work without it. */
  refusedParam?: string;
  /** Ends the run whatever its kind: the same failure on every call so far (see the client's early stop). */
  stopsRun?: boolean;
  /** Overrides the retry decision implied by the kind. */
  retryable?: boolean;
  /** The raw message from the server or the network layer, kept for --debug and logs. */
  detail?: string;
  /** What the user can do, said by each front end in its own terms (see LlmAdvice). */
  advice?: LlmAdvice;
  /** Text that follows the advice in every phrasing (the server's own words). */
  afterAdvice?: string;
  cause?: unknown;
}

/**
 * What a user can do about a failure, without saying how: the CLI says "--base-url", the extension names
 * its setting or command. The CLI's phrasing is `cliAdvice` below (it makes `message`); the extension's
 * lives in src/extension/error-notice.ts. The summary (what went wrong) is shared by both.
 */
export type LlmAdvice =
  /** The server cannot be reached: start it, or point the tool at the right one. */
  | { kind: 'start-server'; provider: ProviderKind }
  /** The base URL answers, but not as this provider's API (no model list there). */
  | { kind: 'check-base-url'; provider: ProviderKind }
  /** No answer in time: a model that is loading can take minutes. */
  | { kind: 'slow-server' }
  /** An OpenAI-compatible server refused the key. */
  | { kind: 'api-key' }
  /** The environment variable said to hold the key is empty. */
  | { kind: 'api-key-env'; variable: string }
  /** The model is not on the server (an OpenAI-compatible one: pick from its list). */
  | { kind: 'choose-model' }
  /** No model is configured at all. */
  | { kind: 'set-model' }
  /** The server is rate limiting: fewer calls at once. */
  | { kind: 'lower-concurrency' }
  /** Ollama cut the prompt: a larger context. */
  | { kind: 'raise-num-ctx' }
  /** The reward model's server has no such endpoint (reward-wire.ts): serve it with vLLM's pooling runner, or the other endpoint. */
  | { kind: 'serve-reward-model'; endpoint: 'classify' | 'pooling' }
  /** The server embeds nothing with this model (embeddings.ts): name an embedding model, or start the server to embed. */
  | { kind: 'embeddings' };

/** The CLI's words for each advice (the text of `LlmError.message` after the summary). */
export function cliAdvice(a: LlmAdvice): string {
  switch (a.kind) {
    case 'start-server':
      return a.provider === 'ollama'
        ? 'Is Ollama running? Start it with `ollama serve`, or point OLLAMA_HOST / --base-url at the machine where it runs.'
        : 'Check --base-url / OPENAI_BASE_URL and that the server is running.';
    case 'check-base-url':
      return a.provider === 'ollama'
        ? 'Check --base-url / OLLAMA_HOST: it should name an Ollama server.'
        : 'Check --base-url / OPENAI_BASE_URL: the base URL of an OpenAI-compatible API usually ends in /v1.';
    case 'slow-server':
      return 'A model that is still loading can take minutes: raise --timeout if the server is slow.';
    case 'api-key':
      return (
        'Check the API key: the CLI reads OPENAI_API_KEY (or the variable named with --api-key-env); ' +
        'the extension uses the key stored in its secret storage.'
      );
    case 'api-key-env':
      return '(named by --api-key-env)';
    case 'choose-model':
      return "Check --model against the server's model list.";
    case 'set-model':
      return 'pass --model.';
    case 'lower-concurrency':
      return 'Lower --concurrency or wait.';
    case 'raise-num-ctx':
      return 'Raise --num-ctx (or synthesizeme.numCtx), or update Ollama:';
    case 'serve-reward-model':
      return (
        "Serve the reward model with vLLM's pooling runner (vllm serve MODEL --runner pooling; docs/reward-model.md), " +
        `or pass --reward-endpoint ${a.endpoint === 'classify' ? 'pooling' : 'classify'} if the model is served for that one.`
      );
    case 'embeddings':
      return (
        'Name an embedding model the server has with --embed-model (Ollama: `ollama pull nomic-embed-text`), or start ' +
        "llama.cpp's server with `--embeddings` (vLLM: serve an embedding model with `--runner pooling`)."
      );
  }
}

/** An error's text for one audience: the shared summary, that audience's advice, then what follows it. */
export function adviseText(
  err: Pick<LlmError, 'summary' | 'advice' | 'afterAdvice'>,
  phrase: (a: LlmAdvice) => string,
): string {
  return [err.summary, err.advice ? phrase(err.advice) : '', err.afterAdvice ?? ''].filter(Boolean).join(' ');
}

export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly kind: LlmErrorKind;
  readonly retryable: boolean;
  readonly provider?: ProviderKind;
  readonly baseUrl?: string;
  readonly model?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly schemaRejected: boolean;
  readonly refusedParam?: string;
  readonly stopsRun: boolean;
  readonly detail?: string;
  /** The words before the advice (all of the message when there is none): every front end says them alike. */
  readonly summary: string;
  readonly advice?: LlmAdvice;
  readonly afterAdvice?: string;
  /** Expected failures are reported by message alone; callers show a stack only with --debug. */
  readonly expected = true;
  /** Attempts made before giving up (set by the scheduler). */
  attempts = 1;

  /** `summary` is the whole message unless `init.advice` is given: then the CLI's advice (and `afterAdvice`) follow it. */
  constructor(kind: LlmErrorKind, summary: string, init: LlmErrorInit = {}) {
    super(
      adviseText({ summary, advice: init.advice, afterAdvice: init.afterAdvice }, cliAdvice),
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.summary = summary;
    this.advice = init.advice;
    this.afterAdvice = init.afterAdvice;
    this.kind = kind;
    this.retryable = init.retryable ?? RETRYABLE.has(kind);
    this.provider = init.provider;
    this.baseUrl = init.baseUrl;
    this.model = init.model;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.schemaRejected = init.schemaRejected ?? false;
    this.refusedParam = init.refusedParam;
    this.stopsRun = init.stopsRun ?? false;
    this.detail = init.detail;
  }
}

export function isLlmError(err: unknown): err is LlmError {
  return err instanceof LlmError;
}

/**
 * A request the run's budget has no room for: not sent, not retried, and the run stops (incomplete, not
 * wrong): what was answered is cached, so the same command resumes.
 */
export function budgetError(budget: number, ctx: Partial<ErrorContext>, after?: LlmError): LlmError {
  const why = after ? ` A retry after "${after.summary}" would have passed it.` : '';
  return new LlmError(
    'budget',
    `The run's budget of ${budget} request(s) to the server is spent (retries and timed-out requests count), so no more are sent.${why} ` +
      'The run is incomplete: run the same command again to resume (the answers so far are cached).',
    {
      provider: ctx.provider,
      baseUrl: ctx.baseUrl,
      model: ctx.model,
      retryable: false,
      stopsRun: true,
      ...(after ? { cause: after } : {}),
    },
  );
}

/** A wait in words: "0.3 s", "45 s", "12 min", "3.5 h". */
export function waitText(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * A server that asks (Retry-After) for a longer wait than a run waits: the call fails at once with the
 * server's wait, and the run stops resumable instead of sleeping in silence or retrying early.
 */
export function retryAfterTooLong(err: LlmError, capMs: number): LlmError {
  const where = err.baseUrl ? ` at ${redactUrl(err.baseUrl)}` : '';
  return new LlmError(
    err.kind === 'quota' ? 'quota' : 'rate-limit',
    `The server${where} asked to wait ${waitText(err.retryAfterMs ?? 0)} before the next request ` +
      `(Retry-After${err.status ? ` on a ${err.status}` : ''}), longer than the ${waitText(capMs)} a run waits. ` +
      'The run stops here: run the same command again after that to resume (the answers so far are cached).',
    {
      provider: err.provider,
      baseUrl: err.baseUrl,
      model: err.model,
      status: err.status,
      detail: err.detail,
      retryAfterMs: err.retryAfterMs,
      retryable: false,
      stopsRun: true,
      cause: err,
    },
  );
}

/** Strips user:password and the query's values from a URL so that it can appear in messages, logs and run files. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // A key may ride in the query string (`?key=...`, `?api-version=...&code=...`) as well as in userinfo:
    // neither is written anywhere. The query's names stay (they say how the server is addressed), not its values.
    const query = [...u.searchParams.keys()];
    if (!u.username && !u.password && !query.length) return url;
    u.username = '';
    u.password = '';
    u.search = query.length ? `?${query.map((k) => `${encodeURIComponent(k)}=***`).join('&')}` : '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url;
  }
}

/** What a message needs to name: which server, which model, which call. */
export interface ErrorContext {
  provider: ProviderKind;
  baseUrl: string;
  model: string;
  purpose?: string;
  /** Rough prompt size, for context-length messages. */
  promptChars?: number;
  promptTokens?: number;
  requestedSchema?: boolean;
}

function serverName(ctx: ErrorContext): string {
  return ctx.provider === 'ollama' ? `Ollama at ${redactUrl(ctx.baseUrl)}` : `the server at ${redactUrl(ctx.baseUrl)}`;
}

function callName(ctx: ErrorContext): string {
  return ctx.purpose ? `the ${ctx.purpose} call` : 'the call';
}

export function connectionError(ctx: ErrorContext, code: string | undefined, cause?: unknown): LlmError {
  const base = {
    provider: ctx.provider,
    baseUrl: ctx.baseUrl,
    model: ctx.model,
    purpose: ctx.purpose,
    cause,
    detail: code,
  };
  if (code === 'ECONNRESET' || code === 'reset') {
    return new LlmError('connection', `The connection to ${serverName(ctx)} was reset during ${callName(ctx)}.`, base);
  }
  const what =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'host not found'
      : code === 'ECONNREFUSED'
        ? 'connection refused'
        : (code ?? 'network error');
  const advice: LlmAdvice = { kind: 'start-server', provider: ctx.provider };
  if (ctx.provider === 'ollama')
    return new LlmError('connection', `Cannot reach Ollama at ${redactUrl(ctx.baseUrl)} (${what}).`, {
      ...base,
      advice,
    });
  return new LlmError(
    'connection',
    `Cannot reach the OpenAI-compatible server at ${redactUrl(ctx.baseUrl)} (${what}).`,
    { ...base, advice },
  );
}

export function timeoutError(ctx: ErrorContext, phase: 'first-byte' | 'idle', ms: number): LlmError {
  const seconds = Math.round(ms / 100) / 10;
  const message =
    phase === 'first-byte'
      ? `No response from ${serverName(ctx)} within ${seconds} s for ${callName(ctx)} (model ${ctx.model}).`
      : `The response from ${serverName(ctx)} stalled for ${seconds} s in the middle of ${callName(ctx)} (model ${ctx.model}).`;
  return new LlmError('timeout', message, {
    provider: ctx.provider,
    baseUrl: ctx.baseUrl,
    model: ctx.model,
    detail: phase,
    ...(phase === 'first-byte' ? { advice: { kind: 'slow-server' } } : {}),
  });
}

export function abortedError(ctx?: Partial<ErrorContext>): LlmError {
  return new LlmError('aborted', 'Cancelled.', { provider: ctx?.provider, baseUrl: ctx?.baseUrl, model: ctx?.model });
}

export function parseError(ctx: ErrorContext, detail: string, cause?: unknown): LlmError {
  return new LlmError(
    'parse',
    `${serverName(ctx)[0]!.toUpperCase()}${serverName(ctx).slice(1)} sent a response that could not be read ` +
      `(${detail}) for ${callName(ctx)}.`,
    { provider: ctx.provider, baseUrl: ctx.baseUrl, model: ctx.model, detail, cause },
  );
}

// Servers' own words: OpenAI and vLLM ("This model's maximum context length is N tokens"), Ollama with
// truncate:false ("the input length exceeds the context length"), llama-server ("request (N tokens) exceeds
// the available context size (M tokens)", type exceed_context_size_error, tools/server/server-common.cpp).
const CONTEXT_LENGTH_RE = new RegExp(
  'context[ _-]?length|context window|maximum context|too many tokens|prompt is too long|' +
    "exceeds the (?:model'?s? |available )?(?:context|maximum)|input length exceeds|exceed_context_size",
  'i',
);
const CONTEXT_CODES = new Set(['context_length_exceeded', 'exceed_context_size_error']);

/** The two sizes a context-length message names, when the server gave them. */
export interface ContextSizes {
  promptTokens?: number;
  contextTokens?: number;
}

/** Reads the prompt's and the context's sizes from a server's context-length message or error body. */
export function contextSizes(message: string, body?: { n_prompt_tokens?: unknown; n_ctx?: unknown }): ContextSizes {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: ContextSizes = {};
  const prompt =
    num(body?.n_prompt_tokens) ??
    Number(
      /request \((\d+) tokens\)|resulted in (\d+) tokens|(\d+) input tokens/i.exec(message)?.slice(1).find(Boolean) ??
        NaN,
    );
  const ctx =
    num(body?.n_ctx) ??
    Number(
      /context size \((\d+) tokens\)|maximum context length is (\d+)/i.exec(message)?.slice(1).find(Boolean) ?? NaN,
    );
  if (Number.isFinite(prompt)) out.promptTokens = prompt;
  if (Number.isFinite(ctx)) out.contextTokens = ctx;
  return out;
}
const SCHEMA_RE = /response_format|json_schema|schema|structured output|\bformat\b/i;

/**
 * Classifies an HTTP error response. `message` is the server's own text (Ollama's `error`,
 * OpenAI's `error.message`); `code` is OpenAI's `error.code` when there is one.
 */
export function httpError(ctx: ErrorContext, status: number, message: string, opts: HttpErrorOptions = {}): LlmError {
  const base: HttpErrorBase = {
    provider: ctx.provider,
    baseUrl: ctx.baseUrl,
    model: ctx.model,
    purpose: ctx.purpose,
    status,
    detail: message,
    retryAfterMs: opts.retryAfterMs,
  };
  if (
    CONTEXT_CODES.has(opts.code ?? '') ||
    CONTEXT_CODES.has(opts.type ?? '') ||
    ((status === 400 || status === 413 || status === 500) && CONTEXT_LENGTH_RE.test(message))
  )
    return contextLengthError(ctx, message, opts, base);
  return (
    refusedError(ctx, status, message, opts, base) ??
    busyOrFailedError(ctx, status, message, base) ??
    badRequestError(ctx, status, message, opts, base)
  );
}

interface HttpErrorOptions {
  code?: string | null;
  type?: string | null;
  param?: string | null;
  retryAfterMs?: number;
  body?: { n_prompt_tokens?: unknown; n_ctx?: unknown };
}

type HttpErrorBase = LlmErrorInit & { status: number; detail: string };

function contextLengthError(ctx: ErrorContext, message: string, opts: HttpErrorOptions, base: HttpErrorBase): LlmError {
  const sizes = contextSizes(message, opts.body);
  const n = (v: number) => v.toLocaleString('en-US');
  const against = sizes.contextTokens !== undefined ? ` against a context of ${n(sizes.contextTokens)}` : '';
  const size =
    sizes.promptTokens !== undefined
      ? ` (${n(sizes.promptTokens)} tokens${against})`
      : ctx.promptTokens !== undefined
        ? ` (about ${n(ctx.promptTokens)} tokens, ${n(ctx.promptChars ?? 0)} characters)`
        : '';
  const fix =
    ctx.provider === 'ollama'
      ? 'Shorten it (fewer demonstrations or context turns) or raise the context size (num_ctx).'
      : 'Shorten it (fewer demonstrations or context turns), or start the server with a longer context ' +
        '(llama-server --ctx-size, vLLM --max-model-len) or use a model with one.';
  return new LlmError(
    'context-length',
    `The prompt of ${callName(ctx)} is too long for ${ctx.model}${size}. ${fix} Server said: ${message}`,
    base,
  );
}

/** Not authorized, no such model (or no model list), out of credit. */
function refusedError(
  ctx: ErrorContext,
  status: number,
  message: string,
  opts: HttpErrorOptions,
  base: HttpErrorBase,
): LlmError | undefined {
  const server = cap(serverName(ctx));
  if (status === 401 || status === 403) {
    const refused = `${server} refused the request (${status}: not authorized).`;
    if (ctx.provider === 'openai') return new LlmError('auth', refused, { ...base, advice: { kind: 'api-key' } });
    const proxy = 'This Ollama sits behind a proxy that wants credentials: check the proxy settings.';
    return new LlmError('auth', `${refused} ${proxy}`, base);
  }
  if (status === 404 && !ctx.model) {
    // Listing the models (no model named): the URL answers, but this provider's API is not there.
    return new LlmError('not-found', `${server} has no model list (404: ${message}).`, {
      ...base,
      advice: { kind: 'check-base-url', provider: ctx.provider },
    });
  }
  if (status === 404 && ctx.provider === 'ollama') {
    const where = `Model "${ctx.model}" is not available on Ollama at ${redactUrl(ctx.baseUrl)}.`;
    return new LlmError('not-found', `${where} Pull it with \`ollama pull ${ctx.model}\`.`, base);
  }
  if (status === 404)
    return new LlmError('not-found', `${server} does not know model "${ctx.model}" (404: ${message}).`, {
      ...base,
      advice: { kind: 'choose-model' },
    });
  if (status === 402 || opts.code === 'insufficient_quota' || opts.type === 'insufficient_quota')
    return new LlmError(
      'quota',
      `${server} refused the request: the account is out of credit or over its quota (${status}). ` +
        `Add credit or raise the quota, then run the same command again to resume. Server said: ${message}`,
      { ...base, retryable: false },
    );
  return undefined;
}

/** Rate limited, busy, failed, timed out. */
function busyOrFailedError(
  ctx: ErrorContext,
  status: number,
  message: string,
  base: HttpErrorBase,
): LlmError | undefined {
  const server = cap(serverName(ctx));
  if (status === 429)
    return new LlmError('rate-limit', `${server} is rate limiting requests (429).`, {
      ...base,
      advice: { kind: 'lower-concurrency' },
      afterAdvice: `Server said: ${message}`,
    });
  if (status === 503)
    // Busy, not broken: Ollama past its queue ("server busy, please try again. maximum pending requests
    // exceeded", no Retry-After), vLLM or a proxy overloaded. Back off and send fewer at once, like a 429;
    // taking the server out of the pool would stop a run that has only this one.
    return new LlmError(
      'rate-limit',
      `${server} is busy (503). Sending fewer calls at once and waiting. Server said: ${message}`,
      base,
    );
  if (status >= 500) return new LlmError('server', `${server} failed with ${status}: ${message}`, base);
  if (status === 408) return new LlmError('timeout', `${server} timed out the request (408).`, base);
  return undefined;
}

/** Any other refusal: a parameter the call can go without, a response schema the server does not take, or plain. */
function badRequestError(
  ctx: ErrorContext,
  status: number,
  message: string,
  opts: HttpErrorOptions,
  base: HttpErrorBase,
): LlmError {
  const refusedParam = status === 400 || status === 422 ? refusedParameter(message, opts) : undefined;
  const schemaRejected =
    !refusedParam && ctx.requestedSchema === true && (status === 400 || status === 422) && SCHEMA_RE.test(message);
  return new LlmError('bad-request', `${cap(serverName(ctx))} rejected ${callName(ctx)} (${status}): ${message}`, {
    ...base,
    schemaRejected,
    ...(refusedParam ? { refusedParam } : {}),
  });
}

/** Parameters the tool may send but can do without, each with the servers' words for refusing it. */
const DROPPABLE = [
  'temperature',
  'think',
  'chat_template_kwargs',
  'reasoning_effort',
  'seed',
  'top_p',
  'max_tokens',
  // vLLM's own (vllm.ts): a proxy in front of it, or a vLLM that cannot take one (cache_salt on its V0 engine).
  'cache_salt',
  'structured_outputs',
  'guided_choice',
];
/** Parameters only vLLM takes: a 400 that names one, quoted, refuses it ("Parameter 'cache_salt' ..."). */
const VLLM_OWN = /'(cache_salt|structured_outputs|guided_choice)'/;

/**
 * The parameter a 400 refuses, when the call can go without it: OpenAI's reasoning models answer
 * unsupported_value / unsupported_parameter with `param` (e.g. temperature other than 1); OpenAI and others
 * say "Unrecognized request argument supplied: X"; Ollama says "\"m\" does not support thinking".
 */
function refusedParameter(message: string, opts: { code?: string | null; param?: string | null }): string | undefined {
  if (
    (opts.code === 'unsupported_value' || opts.code === 'unsupported_parameter') &&
    opts.param &&
    DROPPABLE.includes(opts.param)
  )
    return opts.param;
  const unrecognized = /unrecognized request argument supplied: (\w+)/i.exec(message)?.[1];
  if (unrecognized && DROPPABLE.includes(unrecognized)) return unrecognized;
  if (/does not support thinking/i.test(message)) return 'think';
  const unsupported = /unsupported (?:value|parameter): '(\w+)'/i.exec(message)?.[1];
  if (unsupported && DROPPABLE.includes(unsupported)) return unsupported;
  return VLLM_OWN.exec(message)?.[1] ?? (opts.param && VLLM_OWN.test(`'${opts.param}'`) ? opts.param : undefined);
}

function cap(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Parses Retry-After (seconds or an HTTP date) and the OpenAI-style retry-after-ms. */
export function retryAfterFromHeaders(get: (name: string) => string | null | undefined): number | undefined {
  const ms = get('retry-after-ms');
  if (ms) {
    const n = Number.parseFloat(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = get('retry-after');
  if (ra) {
    const s = Number.parseFloat(ra);
    if (Number.isFinite(s) && s >= 0) return s * 1000;
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  return undefined;
}

/** Network error codes that mean the peer went away mid-request. */
const RESET_RE = /ECONNRESET|EPIPE|socket hang up|other side closed|terminated|UND_ERR_SOCKET|premature close/i;

/** Finds the errno-style code in an error or its causes (undici nests them). */
export function networkCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$|^UND_ERR/.test(code)) {
      if (code.startsWith('UND_ERR_SOCKET')) return 'ECONNRESET';
      if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'ETIMEDOUT';
      return code;
    }
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) {
      const inner = networkCode(errors[0]);
      if (inner) return inner;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  const text = describeChain(err);
  if (RESET_RE.test(text)) return 'ECONNRESET';
  return undefined;
}

/** All messages in a cause chain, for pattern matching and debug logs. */
export function describeChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur; depth++) {
    if (cur instanceof Error) parts.push(`${cur.name}: ${cur.message}`);
    else parts.push(String(cur));
    cur = cur && typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined;
  }
  return parts.join(' <- ');
}

/** A one-line message for any error, for CLI output and the log (no stack). */
export function errorMessage(err: unknown): string {
  if (err instanceof LlmError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
