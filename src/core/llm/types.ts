// The one interface every LLM call goes through. The judge, the fit and the benchmark
// filters only see ChatModel; providers, scheduling, retries and the cache live behind it.

/**
 * 'vscode-lm' is VS Code's language models (Copilot's, or another extension's): only the extension can reach them, so
 * its endpoint client is supplied by the face (LlmOptions.faceClient); the CLI refuses the provider.
 */
export type ProviderKind = ServerProviderKind | 'vscode-lm';
/** The providers reached over HTTP, from any face. */
export type ServerProviderKind = 'ollama' | 'openai';

/** The one address of the 'vscode-lm' provider: VS Code's models have none, and run headers and cache keys want one. */
export const VSCODE_LM_ADDRESS = 'vscode-lm:';

/**
 * Whether a reasoning model thinks before it answers. Off by default: a judge's verdict needs no long
 * thinking, and with it a small model spends its output cap before it gets to the answer.
 */
export type ThinkMode = 'off' | 'on' | 'low' | 'high';
export const THINK_MODES: readonly ThinkMode[] = ['off', 'on', 'low', 'high'];

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON schema for structured output (Ollama `format`, OpenAI `response_format` json_schema). */
export interface ResponseSchema {
  name: string;
  schema: Record<string, unknown>;
  /**
   * OpenAI strict mode: the server then guarantees the schema, but only accepts schemas that
   * list every property as required and set additionalProperties to false. Default false.
   */
  strict?: boolean;
  /**
   * The most tokens an answer of this kind may take (sent as max_tokens / num_predict unless the request
   * sets maxTokens). Without a cap, a model that loops (small models do, inside a JSON string) writes until
   * the context is full: minutes per call, then an unparseable answer anyway.
   */
  outputCap?: number;
  /** Which output cap a setting (`outputCaps`) overrides: 'judge', 'bootstrap', 'persona', 'memory', 'personalizable', 'rubric'. */
  capKind?: OutputCapKind;
}

export const OUTPUT_CAP_KINDS = ['judge', 'bootstrap', 'persona', 'memory', 'personalizable', 'rubric'] as const;
export type OutputCapKind = (typeof OUTPUT_CAP_KINDS)[number];
export type OutputCaps = Partial<Record<OutputCapKind, number>>;

/**
 * The cap of an answer that is one of a few short values (ChatRequest.choice): room for the value, and for a
 * model that wraps it in a few words where the server cannot constrain it.
 */
export const CHOICE_OUTPUT_CAP = 32;

/** The output cap a request is sent with: its own maxTokens, else its schema's cap (or a choice's). */
export function outputCapOf(
  request: { maxTokens?: number; schema?: ResponseSchema; choice?: readonly string[] },
  overrides?: OutputCaps,
): number | undefined {
  const kind = request.schema?.capKind;
  return (
    request.maxTokens ??
    (kind !== undefined ? overrides?.[kind] : undefined) ??
    request.schema?.outputCap ??
    (request.choice ? CHOICE_OUTPUT_CAP : undefined)
  );
}

export interface ChatRequest {
  messages: ChatMessage[];
  schema?: ResponseSchema;
  temperature: number;
  seed?: number;
  maxTokens?: number;
  /**
   * The whole answer is exactly one of these values (a verdict's letter, with no reasoning asked for). A server
   * that can constrain its output to a choice (vLLM's structured outputs) is asked to; others answer as the
   * prompt says, and the caller reads the value it states. Part of what the call is (and of its cache key).
   */
  choice?: readonly string[];
  /** Index of a repeated sample of the same prompt, so the cache does not collapse them. */
  sample?: number;
  /** What the call is for ('judge', 'bootstrap', 'persona', ...): used in errors and logs. */
  purpose?: string;
  /**
   * Where the call belongs within its purpose (a pair and its order: "p12.BA"): a batch line's custom_id names it, so
   * an answer in a batch output file can be read by a person. Not part of what the call is (nor its cache key).
   */
  label?: string;
  /**
   * Calls with the same affinity (one user's) go to the same server when it has room, so that its prefix
   * cache serves the persona and demonstrations they share. Not part of what the call is (nor its cache key).
   */
  affinity?: string;
  /**
   * The answer becomes data (a persona, a memory, a kept reasoning): an answer cut at its output cap is then a
   * failed call (CutAnswerError, never cached) rather than an answer. Not part of the cache key.
   */
  wholeAnswer?: boolean;
  /**
   * Each piece of a streamed answer as it arrives (its thinking included), for a face that shows how far a
   * generation has come. Not part of what the call is (nor its cache key); a cached or unstreamed answer sends none.
   */
  onText?: (piece: string) => void;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Of promptTokens, those the server served from its prompt cache (OpenAI's cached_tokens). */
  cachedPromptTokens?: number;
}

export interface ChatResult {
  /** The answer, without the model's thinking. */
  text: string;
  /** What a reasoning model thought before it answered (its `<think>` blocks or thinking field). */
  thinking?: string;
  /** Parsed JSON when a schema was requested and the text parsed (strictly or tolerantly). */
  json?: unknown;
  usage: Usage;
  latencyMs: number;
  cached: boolean;
  model: string;
  /** The response cache's key of this call (cache.ts cacheKey), also without a cache: a run file's reference to its transcript. */
  cacheKey?: string;
}

export interface ChatModel {
  readonly provider: ProviderKind;
  readonly model: string;
  chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult>;
}
