// Ollama through the `ollama` npm client. The client only passes an AbortSignal to streamed
// requests and loses status codes and headers on errors (and prints to the console), so every
// request gets its own client whose `fetch` carries our signal, turns HTTP errors into
// LlmErrors with Retry-After intact, and watches the NDJSON stream for timeouts and bad lines.
import { StringDecoder } from 'node:string_decoder';
import { Ollama } from 'ollama';
import type { ChatResponse, Options as OllamaOptions } from 'ollama';
import {
  connectionError,
  describeChain,
  type ErrorContext,
  httpError,
  LlmError,
  parseError,
  redactUrl,
  retryAfterFromHeaders,
} from './errors';
import { clearlyOverContext, estimateTokens } from './estimate';
import { withThinking } from './thinking';
import { AnswerGuard, endOfAnswer } from './answer-guard';
import { type BodyWatcher, createHttpFetch } from './http-fetch';
import type { CallTimeouts, EndpointCheck, EndpointClient, ModelInfo, ProviderCall, ProviderReply } from './provider';
import { callContext, shapeError, unexpectedError, watchdogError, wireMessages } from './provider';
import { Watchdog } from './watchdog';

export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';
/** The first Ollama whose /api/chat takes `truncate: false` and then refuses an overlong prompt with a 400. */
export const TRUNCATE_FLAG_SINCE = '0.12.6';

/** Compares dotted versions numerically ("0.12.10" > "0.12.6"); a pre-release suffix is ignored. */
export function versionAtLeast(version: string | undefined, min: string): boolean {
  if (!version) return false;
  const parse = (v: string) =>
    v
      .replace(/^v/, '')
      .split(/[-+]/)[0]!
      .split('.')
      .map((x) => Number.parseInt(x, 10) || 0);
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

const n = (v: number) => v.toLocaleString('en-US');

/** A context-length failure on Ollama: the same fields and advice whether the server cut the prompt or the client refused it. */
function contextLengthError(ctx: ErrorContext, message: string, detail: string, afterAdvice: string): LlmError {
  return new LlmError('context-length', message, {
    provider: 'ollama',
    baseUrl: ctx.baseUrl,
    model: ctx.model,
    purpose: ctx.purpose,
    detail,
    advice: { kind: 'raise-num-ctx' },
    afterAdvice,
  });
}

/** A prompt Ollama cut from the front without saying so: a failure, never an answer to score. */
export function truncatedPromptError(
  ctx: ErrorContext,
  evaluated: number,
  estimated: number,
  numCtx: number | undefined,
): LlmError {
  return contextLengthError(
    ctx,
    `Ollama at ${redactUrl(ctx.baseUrl)} cut the prompt of the ${ctx.purpose ?? 'chat'} call from the front: ` +
      `it read ${n(evaluated)} of about ${n(estimated)} tokens ` +
      `(num_ctx ${numCtx !== undefined ? n(numCtx) : "the server's default"}), so the instructions and the persona were lost.`,
    `prompt_eval_count ${evaluated}, estimate ${estimated}`,
    `from ${TRUNCATE_FLAG_SINCE} it refuses such a prompt instead of cutting it.`,
  );
}

/** A prompt the client's own estimate puts well over the context it would be sent with: never sent. */
export function overlongPromptError(ctx: ErrorContext, estimated: number, numCtx: number): LlmError {
  return contextLengthError(
    ctx,
    `The prompt of the ${ctx.purpose ?? 'chat'} call is about ${n(estimated)} tokens, ` +
      `well over the context of ${n(numCtx)} (num_ctx) it would be sent with, ` +
      `so it was not sent: Ollama would refuse it or cut it from the front. Shorten it (fewer demonstrations or context turns).`,
    `estimate ${estimated}, num_ctx ${numCtx}`,
    `from ${TRUNCATE_FLAG_SINCE} it refuses an overlong prompt instead of cutting it.`,
  );
}

export interface OllamaProviderOptions {
  timeouts: CallTimeouts;
  /** Stream the answer (NDJSON): enables the idle timeout. Default true. */
  stream?: boolean;
  /** How long Ollama keeps the model loaded after a call (`keep_alive`), e.g. '30m' or seconds. */
  keepAlive?: string | number;
}

export interface OllamaModelDetails {
  name: string;
  /** Context length the model was trained for (model_info `*.context_length`). */
  contextLength?: number;
  /** `num_ctx` set in the model's Modelfile, when there is one. */
  numCtx?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
}

export class OllamaProvider implements EndpointClient {
  readonly kind = 'ollama' as const;

  constructor(
    readonly baseUrl: string,
    private readonly options: OllamaProviderOptions,
  ) {}

  refuse(call: ProviderCall): LlmError | undefined {
    const estimated = estimateTokens(call.messages);
    return clearlyOverContext(estimated, call.numCtx)
      ? overlongPromptError(this.context(call), estimated, call.numCtx!)
      : undefined;
  }

  async chat(call: ProviderCall, signal: AbortSignal | undefined): Promise<ProviderReply> {
    const refused = this.refuse(call);
    if (refused) throw refused;
    const ctx = this.context(call);
    const wd = new Watchdog(signal, this.options.timeouts);
    const client = this.client(wd, ctx);
    const sends = (param: string) => !call.omit?.has(param);
    const options: Partial<OllamaOptions> = {};
    if (sends('temperature')) options.temperature = call.temperature;
    if (call.seed !== undefined && sends('seed')) options.seed = call.seed;
    if (call.maxTokens !== undefined) options.num_predict = call.maxTokens;
    if (call.numCtx !== undefined) options.num_ctx = call.numCtx;
    // Ollama cuts a prompt longer than num_ctx from the FRONT and answers 200: the system message (the
    // instructions, the persona, the demonstrations) is what goes. From 0.12.6, truncate:false makes that a
    // 400 instead ("the input length exceeds the context length"), which httpError names a context-length error.
    const refusesOverflow = await this.refusesOverflow(signal);
    const request = {
      model: call.model,
      messages: wireMessages(call.messages),
      options,
      ...(call.schema ? { format: call.schema.schema } : {}),
      ...(this.options.keepAlive !== undefined ? { keep_alive: this.options.keepAlive } : {}),
      ...(refusesOverflow ? { truncate: false } : {}),
      // Ollama's think: a boolean, or a level for the models that take one (gpt-oss). A model that cannot
      // think answers 400 "does not support thinking" on some versions: the client then drops it.
      ...(call.think !== undefined && sends('think')
        ? { think: call.think === 'off' ? false : call.think === 'on' ? true : call.think }
        : {}),
    };
    try {
      let text = '';
      let thinking = '';
      let final: ChatResponse | undefined;
      let stopped: 'length' | 'stop' | undefined;
      if (this.options.stream ?? true) {
        const parts = await client.chat({ ...request, stream: true });
        const guard = new AnswerGuard(call.schema !== undefined);
        for await (const part of parts) {
          const piece = contentOf(part, ctx);
          text += piece;
          thinking += part.message?.thinking ?? '';
          if (piece || part.message?.thinking) call.onText?.(piece + (part.message?.thinking ?? ''));
          if (part.done) final = part;
          // Leaving the loop ends the stream (the client aborts its request), and the answer so far is kept.
          const end = piece ? endOfAnswer(guard.check(text, piece), text) : undefined;
          if (end) {
            text = end.text;
            stopped = end.finish;
            break;
          }
        }
      } else {
        final = await client.chat({ ...request, stream: false });
        text = contentOf(final, ctx);
        thinking = final.message?.thinking ?? '';
      }
      text = withThinking(thinking, text);
      if (wd.signal.aborted) throw wd.signal.reason;
      if (stopped && !final) {
        // Ended by us before Ollama's last line: no counts from the server, so the estimate's.
        return {
          text,
          usage: { promptTokens: estimateTokens(call.messages), completionTokens: Math.ceil(text.length / 4) },
          finishReason: stopped,
        };
      }
      if (!final) throw connectionError(ctx, 'reset');
      // An older Ollama cut the prompt silently: its only trace is prompt_eval_count, the length after the cut
      // (a cached prefix still counts), which is then exactly num_ctx. With num_ctx known, a prompt that filled
      // the context while the estimate says it is longer was cut; without it, only a count far below the
      // estimate (which is within about a third of real counts) is taken as a cut.
      const evaluated = final.prompt_eval_count ?? 0;
      const estimated = estimateTokens(call.messages);
      const cut =
        call.numCtx !== undefined
          ? evaluated >= call.numCtx - 8 && estimated > evaluated * 1.05
          : evaluated > 0 && evaluated < 0.6 * estimated;
      if (cut) throw truncatedPromptError(ctx, evaluated, estimated, call.numCtx);
      return {
        text,
        usage: { promptTokens: final.prompt_eval_count ?? 0, completionTokens: final.eval_count ?? 0 },
        finishReason: final.done_reason,
      };
    } catch (err) {
      throw this.classify(err, wd, ctx);
    } finally {
      wd.dispose();
    }
  }

  private overflowProbe: Promise<boolean> | undefined;

  /** Whether this server refuses an overlong prompt when asked to (truncate:false, Ollama 0.12.6 and later). */
  private refusesOverflow(signal: AbortSignal | undefined): Promise<boolean> {
    this.overflowProbe ??= this.metadata('', signal, async (client) =>
      versionAtLeast((await client.version()).version, TRUNCATE_FLAG_SINCE),
    ).catch(() => {
      // Unknown (a proxy without /api/version): ask again next time rather than decide on a failure.
      this.overflowProbe = undefined;
      return false;
    });
    return this.overflowProbe;
  }

  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.metadata('', signal, async (client) => {
      const list = await client.list();
      return list.models.map((m) => ({ name: m.name, sizeBytes: m.size, ...(m.digest ? { digest: m.digest } : {}) }));
    });
  }

  async check(signal?: AbortSignal): Promise<EndpointCheck> {
    return this.metadata('', signal, async (client) => {
      const { version } = await client.version();
      const list = await client.list();
      return {
        version,
        models: list.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          ...(m.digest ? { digest: m.digest } : {}),
        })),
      };
    });
  }

  /** /api/show: context length and details of one model. */
  async showModel(model: string, signal?: AbortSignal): Promise<OllamaModelDetails> {
    return this.metadata(model, signal, async (client) => {
      const show = await client.show({ model });
      // Typed as a Map by the client, but it is the plain JSON object Ollama sends.
      const info = (show.model_info ?? {}) as unknown as Record<string, unknown>;
      let contextLength: number | undefined;
      for (const [key, value] of Object.entries(info)) {
        if (key.endsWith('.context_length') && typeof value === 'number') contextLength = value;
      }
      const numCtxMatch = /^num_ctx\s+(\d+)/m.exec(show.parameters ?? '');
      return {
        name: model,
        contextLength,
        numCtx: numCtxMatch ? Number(numCtxMatch[1]) : undefined,
        family: show.details?.family,
        parameterSize: show.details?.parameter_size,
        quantization: show.details?.quantization_level,
      };
    });
  }

  private async metadata<T>(
    model: string,
    signal: AbortSignal | undefined,
    fn: (client: Ollama) => Promise<T>,
  ): Promise<T> {
    const ctx: ErrorContext = { provider: 'ollama', baseUrl: this.baseUrl, model };
    const wd = new Watchdog(signal, this.options.timeouts);
    try {
      const result = await fn(this.client(wd, ctx));
      if (wd.signal.aborted) throw wd.signal.reason;
      return result;
    } catch (err) {
      throw this.classify(err, wd, ctx);
    } finally {
      wd.dispose();
    }
  }

  private context(call: ProviderCall): ErrorContext {
    return callContext('ollama', this.baseUrl, call);
  }

  private client(wd: Watchdog, ctx: ErrorContext): Ollama {
    return new Ollama({ host: this.baseUrl, fetch: guardedFetch(wd, ctx) });
  }

  private classify(err: unknown, wd: Watchdog, ctx: ErrorContext): LlmError {
    const known = watchdogError(err, wd, ctx, this.options.timeouts) ?? shapeError(err, ctx);
    if (known) return known;
    // The client's own complaint when a stream ends before its `done` line: the peer went away.
    if (/did not receive done/i.test(describeChain(err))) return connectionError(ctx, 'reset', err);
    return unexpectedError(ctx, `Ollama at ${ctx.baseUrl}`, err);
  }
}

/**
 * The content of one reply (or stream line). Ollama always sends `message` with a string `content` (empty
 * while a model thinks, and on the last line of a stream); a reply without them is not Ollama's protocol
 * (a broken proxy, another server on the port) and is a failed call, never an empty answer to score.
 */
function contentOf(part: ChatResponse, ctx: ErrorContext): string {
  const message = (part as { message?: unknown }).message;
  if (!message || typeof message !== 'object') throw parseError(ctx, 'a reply without a message');
  const content = (message as { content?: unknown }).content;
  if (typeof content !== 'string')
    throw parseError(ctx, `a message whose content is ${content === null ? 'null' : typeof content}`);
  return content;
}

/**
 * The fetch given to a per-request Ollama client: joins the watchdog's signal with the
 * client's own, throws LlmErrors for HTTP errors (the client would drop the headers), and
 * checks each NDJSON line as it passes (the client would log and skip a bad one, then fail
 * with a vague message).
 */
function guardedFetch(wd: Watchdog, ctx: ErrorContext): typeof fetch {
  const fetchWatched = createHttpFetch({
    // A one-object answer arrives whole and is read by response.json(): the first-byte timeout
    // covers it. Only a stream is watched, for the idle timeout and for bad lines.
    watch: (status, headers) =>
      status < 300 && String(headers['content-type'] ?? '').includes('ndjson') ? ndjsonWatcher(wd, ctx) : undefined,
  });
  return async (input, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, wd.signal]) : wd.signal;
    const res = await fetchWatched(input, { ...init, signal });
    if (!res.ok) throw await errorFromResponse(res, ctx);
    return res;
  };
}

async function errorFromResponse(res: Response, ctx: ErrorContext): Promise<LlmError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { error?: unknown };
      if (typeof body.error === 'string') message = body.error;
      else if (text) message = text;
    } catch {
      if (text.trim()) message = text.trim().slice(0, 500);
    }
  } catch {
    // The body is lost (connection dropped); the status alone still classifies the error.
  }
  return httpError(ctx, res.status, message, { retryAfterMs: retryAfterFromHeaders((n) => res.headers.get(n)) });
}

function ndjsonWatcher(wd: Watchdog, ctx: ErrorContext): BodyWatcher {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return (chunk) => {
    wd.tick();
    pending += decoder.write(chunk);
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const problem = checkLine(pending.slice(0, nl), ctx);
      if (problem) return problem;
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    return undefined;
  };
}

function checkLine(line: string, ctx: ErrorContext): LlmError | undefined {
  if (!line.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return parseError(ctx, 'malformed JSON in the stream', err);
  }
  const error = parsed && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
  // Ollama reports failures that happen after the 200 as an `{"error": ...}` line.
  if (typeof error === 'string') return httpError(ctx, 500, error);
  return undefined;
}
