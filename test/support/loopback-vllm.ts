/**
 * vLLM's OpenAI-compatible server, as far as the tool meets it: the loopback OpenAI server's vLLM mode
 * (`startLoopbackVllm`, or `startLoopbackOpenAI({ vllm: { version } })`). What it does, and where vLLM does it:
 * - `/v1/models` lists the model with `owned_by: "vllm"`, its `root` and `max_model_len`
 *   (vllm/entrypoints/openai/serving_models.py); `GET /version` at the root, beside `/v1`, answers
 *   `{"version": "..."}` (vllm/entrypoints/openai/api_server.py). `versionRoute: false` is a proxy that passes
 *   `/v1` on and nothing else: FastAPI's 404 `{"detail": "Not Found"}`.
 * - The request models accept unknown fields (`extra="allow"` on OpenAIBaseModel): a field the version does not
 *   know is logged as ignored and the answer is a 200 as if it had not been sent. The fields ignored are kept in
 *   `ignoredFields` (the log vLLM writes).
 * - `cache_salt` from 0.9.0 (vllm-project/vllm#17045): an empty or non-string salt is a 400 ("Parameter
 *   'cache_salt' must be a non-empty string if provided."). The salt enters the hash of the first block, so only
 *   requests with the same salt share cached blocks (docs/design/prefix_caching.md).
 * - `structured_outputs: {"choice": [...]}` from 0.10.2 (vllm-project/vllm#22772); `guided_choice` until 0.12.0,
 *   removed then (vllm-project/vllm#29326). A constrained answer is exactly one of the choices. Two kinds of
 *   constraint at once (a choice and a response_format) are a 400.
 * - Automatic prefix caching by blocks of 16 tokens: each block's hash chains the block's text to its prefix's
 *   hash; the prompt tokens of the leading blocks found in the cache come back as
 *   `usage.prompt_tokens_details.cached_tokens` (vLLM's `--enable-prompt-tokens-details`).
 * Errors have vLLM's body: `{"error": {"message", "type": "BadRequestError", "param", "code": 400}}`.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { LoopbackMessage } from './loopback-llm';

export interface VllmMode {
  /** The version `/version` reports, which decides the fields the server knows. */
  version: string;
  /** Whether `/version` answers (default true): false is a proxy that passes only `/v1` on. */
  versionRoute?: boolean;
}

/** Compares dotted versions numerically, ignoring a pre-release or local suffix (as the tool's own reader does not need to). */
export function vllmAtLeast(version: string, min: string): boolean {
  const parse = (v: string) =>
    v
      .split(/[-+]/)[0]!
      .split('.')
      .map((x) => Number.parseInt(x, 10) || 0);
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** vLLM's listing of a served model. */
export function vllmModelEntry(id: string): Record<string, unknown> {
  return {
    id,
    object: 'model',
    created: 1_735_689_600,
    owned_by: 'vllm',
    root: `/models/${id}`,
    parent: null,
    max_model_len: 32768,
    permission: [],
  };
}

export function vllmError(res: ServerResponse, message: string, param: string | null = null): void {
  res
    .writeHead(400, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ error: { message, type: 'BadRequestError', param, code: 400 } }));
}

/** `GET /version`, or FastAPI's 404 behind a proxy that passes only `/v1`. */
export function vllmVersionRoute(mode: VllmMode, res: ServerResponse): void {
  if (mode.versionRoute === false) {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ detail: 'Not Found' }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ version: mode.version }));
}

/** What a chat request asks of vLLM's own fields: its salt, its choice, or the 400 it gets. */
export interface VllmReading {
  salt?: string;
  choice?: string[];
  /** Fields this version does not know: logged and ignored, the answer a 200. */
  ignored: string[];
  refusal?: { message: string; param: string | null };
}

const OPENAI_FIELDS = new Set([
  'model',
  'messages',
  'temperature',
  'seed',
  'max_tokens',
  'max_completion_tokens',
  'response_format',
  'stream',
  'stream_options',
  'top_p',
  'n',
  'stop',
  'reasoning_effort',
  'chat_template_kwargs',
]);

export function readVllmRequest(mode: VllmMode, body: Record<string, unknown>): VllmReading {
  const known = new Set(OPENAI_FIELDS);
  if (vllmAtLeast(mode.version, '0.9.0')) known.add('cache_salt');
  if (vllmAtLeast(mode.version, '0.10.2')) known.add('structured_outputs');
  if (!vllmAtLeast(mode.version, '0.12.0')) known.add('guided_choice');
  const reading: VllmReading = { ignored: Object.keys(body).filter((k) => !known.has(k)) };
  if (known.has('cache_salt') && body['cache_salt'] !== undefined && body['cache_salt'] !== null) {
    const salt = body['cache_salt'];
    if (typeof salt !== 'string' || !salt) {
      reading.refusal = {
        message: "Parameter 'cache_salt' must be a non-empty string if provided.",
        param: 'cache_salt',
      };
      return reading;
    }
    reading.salt = salt;
  }
  const so = known.has('structured_outputs')
    ? (body['structured_outputs'] as Record<string, unknown> | undefined)
    : undefined;
  const guided = known.has('guided_choice') ? body['guided_choice'] : undefined;
  const kinds = [
    ...(so ? Object.keys(so).filter((k) => ['json', 'regex', 'choice', 'grammar', 'json_object'].includes(k)) : []),
    ...(Array.isArray(guided) ? ['guided_choice'] : []),
    ...((body['response_format'] as { type?: string } | undefined)?.type === 'json_schema' ? ['response_format'] : []),
  ];
  if (kinds.length > 1) {
    reading.refusal = {
      message:
        'You can only use one kind of constraints for structured outputs, but multiple are specified: ' +
        kinds.join(', '),
      param: null,
    };
    return reading;
  }
  const choice = Array.isArray(so?.['choice']) ? so['choice'] : Array.isArray(guided) ? guided : undefined;
  if (choice) reading.choice = choice.map(String);
  return reading;
}

/**
 * The answer a choice-constrained decoder gives: the choice the model was heading for (the whole answer, else the
 * last choice it names as a word), else the first. Always exactly one of the choices.
 */
export function constrainToChoice(content: string, choices: readonly string[]): string {
  const trimmed = content.trim();
  if (choices.includes(trimmed)) return trimmed;
  let best: { choice: string; at: number } | undefined;
  for (const c of choices) {
    const re = new RegExp(`(?:^|[^\\w])${c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`, 'g');
    for (let m = re.exec(content); m; m = re.exec(content))
      if (!best || m.index > best.at) best = { choice: c, at: m.index };
  }
  return best?.choice ?? choices[0]!;
}

const BLOCK_TOKENS = 16;
const CHARS_PER_TOKEN = 4;

/**
 * vLLM's automatic prefix cache, by blocks of the rendered prompt: a block's hash is its parent's hash and its
 * text; the salt enters the first block's hash only. Unbounded: a test's prompts are few.
 */
export class VllmPrefixCache {
  private readonly blocks = new Set<string>();
  hits = 0;

  /** Prompt tokens served from the cache for this prompt, then the prompt's blocks are cached. */
  serve(messages: readonly LoopbackMessage[], salt: string | undefined): number {
    const text = messages.map((m) => `<|${m.role}|>\n${String(m.content)}\n`).join('');
    const size = BLOCK_TOKENS * CHARS_PER_TOKEN;
    let parent = '';
    let cached = 0;
    let stillHitting = true;
    // Only whole blocks are cached, as in vLLM.
    for (let i = 0; i + size <= text.length; i += size) {
      const extra = i === 0 && salt ? `salt:${salt}` : '';
      parent = createHash('sha256')
        .update(`${parent}\u0000${extra}\u0000${text.slice(i, i + size)}`)
        .digest('hex');
      if (stillHitting && this.blocks.has(parent)) cached += BLOCK_TOKENS;
      else stillHitting = false;
      this.blocks.add(parent);
    }
    if (cached) this.hits++;
    return cached;
  }
}
