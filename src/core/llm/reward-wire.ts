// What a served reward model says on the wire: vLLM's `/classify` and `/pooling` (issue 24, the `reward-model`
// methods). Taken from vLLM's sources (vllm/entrypoints/pooling/{base,classify,pooling}/protocol.py and
// api_router.py, vllm/model_executor/layers/pooler/activations.py) and its pooling-model docs (v0.11-v0.18);
// docs/reward-model.md says the same for a researcher:
// - Both endpoints sit at the server's root, beside `/v1`, not under it, and take a chat request
//   `{"model", "messages"}` (or `{"model", "input"}` for plain text); the chat template renders the messages.
// - `/classify` answers `{"data": [{"index", "label", "probs", "num_classes"}], "usage": {"prompt_tokens"}}`. For a
//   one-label model `probs` holds one value, by default put through a sigmoid (softmax for several labels); a
//   request with `use_activation: false` gets the raw logit, which is what a Bradley-Terry reward is (older
//   servers name the field `activation` or `softmax`, ignore `use_activation` and send the sigmoid: the order of
//   two scores is the same, only the margin is squeezed).
// - `/pooling` answers `{"data": [{"index", "object": "pooling", "data": ...}]}`: one value or one row per label for a
//   sequence task, or one row per token for a token reward model (`token_classify`, chosen when no `task` is
//   sent): the reward is the last token's.
// - vLLM registers `/classify` only when the model supports the classify task: a server of a generate-only model
//   (or an embedding model) answers FastAPI's 404 `{"detail": "Not Found"}`. Versions that always register it
//   answer 400 "The model does not support Classification API" instead; `/pooling` answers 400 "The model does
//   not support Pooling API" for a generate-only model. Errors have vLLM's body
//   `{"error": {"message", "type", "param", "code"}}` (flat `{"object": "error", "message", ...}` before 0.10).
import type { ChatMessage } from './types';
import { type ErrorContext, httpError, LlmError, redactUrl } from './errors';

export type RewardEndpoint = 'classify' | 'pooling';
export const REWARD_ENDPOINTS: readonly RewardEndpoint[] = ['classify', 'pooling'];

export function isRewardEndpoint(s: unknown): s is RewardEndpoint {
  return s === 'classify' || s === 'pooling';
}

/** The server's root: an OpenAI-compatible base URL without its `/v1` (vLLM serves `/classify` beside it). */
export function serverRoot(baseUrl: string): string {
  return baseUrl.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The request body of one scored conversation: the raw value asked for (a Bradley-Terry reward is a logit). */
export function rewardBody(model: string, messages: readonly ChatMessage[]): Record<string, unknown> {
  return { model, messages: messages.map((m) => ({ role: m.role, content: m.content })), use_activation: false };
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A value the answer cannot be read as one reward: a server's shape we do not know, or a model with several labels. */
export class RewardShapeError extends Error {}

/** The one reward of a `/classify` or `/pooling` answer's first item. */
export function readReward(endpoint: RewardEndpoint, body: unknown): number {
  const item = (body as { data?: unknown[] } | undefined)?.data?.[0] as Record<string, unknown> | undefined;
  if (!item) throw new RewardShapeError('no "data" in the answer');
  if (endpoint === 'classify') {
    const probs = item['probs'];
    if (!Array.isArray(probs) || !probs.every(isNumber)) throw new RewardShapeError('no "probs" in the answer');
    return oneLabel(probs);
  }
  const data = item['data'];
  if (isNumber(data)) return data;
  if (!Array.isArray(data) || !data.length) throw new RewardShapeError('no "data" values in the answer');
  // One row per token (a token reward model): the reward is the last token's.
  if (data.every(Array.isArray)) {
    const last = data[data.length - 1] as unknown[];
    if (!last.every(isNumber)) throw new RewardShapeError('a row of the answer that is not numbers');
    return oneLabel(last);
  }
  if (!data.every(isNumber)) throw new RewardShapeError('"data" that is not numbers');
  return oneLabel(data);
}

function oneLabel(values: readonly number[]): number {
  if (values.length !== 1)
    throw new RewardShapeError(
      `${values.length} values for one response: a reward model gives one (a classification head with num_labels 1)`,
    );
  return values[0]!;
}

/** The server's words in an error body: vLLM's `error.message` (or the flat older form), FastAPI's `detail`. */
export function errorWords(text: string): { message: string; detail?: string; code?: string; type?: string } {
  try {
    const b = JSON.parse(text) as Record<string, unknown>;
    const inner = (b['error'] && typeof b['error'] === 'object' ? b['error'] : b) as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    const message = str(inner['message']) ?? str(b['detail']) ?? text.slice(0, 300);
    return {
      message,
      ...(str(b['detail']) ? { detail: str(b['detail'])! } : {}),
      ...(str(inner['code']) ? { code: str(inner['code'])! } : {}),
      ...(str(inner['type']) ? { type: str(inner['type'])! } : {}),
    };
  } catch {
    return { message: text.slice(0, 300) };
  }
}

const NO_HEAD = /does not support (?:Classification|Pooling) API/i;

/**
 * An HTTP error of a reward call. A route that is not there (FastAPI's 404 "Not Found", or any 404 that does not
 * name the model) is a server that does not serve this endpoint, and a model that cannot classify is a 400: both end
 * the run, with what to do. Everything else is classified as any call's error (a 5xx is a failed call, resumable).
 */
export function rewardHttpError(
  ctx: ErrorContext,
  endpoint: RewardEndpoint,
  status: number,
  text: string,
  retryAfterMs?: number,
): LlmError {
  const words = errorWords(text);
  const where = `${redactUrl(serverRoot(ctx.baseUrl))}/${endpoint}`;
  const base = { provider: ctx.provider, baseUrl: ctx.baseUrl, model: ctx.model, status, detail: words.message };
  if (status === 404 && !/does not exist|model/i.test(words.message))
    return new LlmError('not-found', `The server has no /${endpoint} endpoint (404 at ${where}).`, {
      ...base,
      advice: { kind: 'serve-reward-model', endpoint },
      stopsRun: true,
      retryable: false,
    });
  // The chat model's advice (check --model) would point at the wrong option: this is the reward model's name.
  if (status === 404)
    return new LlmError(
      'not-found',
      `The server at ${redactUrl(serverRoot(ctx.baseUrl))} does not serve the reward model "${ctx.model}" (404: ` +
        `${words.message}). Name the reward model as the server lists it (GET /v1/models).`,
      { ...base, stopsRun: true, retryable: false },
    );
  if (status === 400 && NO_HEAD.test(words.message))
    return new LlmError(
      'bad-request',
      `Model "${ctx.model}" at ${where} cannot score a response: it has no classification head (the server said ` +
        `"${words.message}"). Serve a reward model (one label, e.g. *ForSequenceClassification) with vLLM's pooling ` +
        'runner, and name that model as the reward model.',
      { ...base, stopsRun: true, retryable: false },
    );
  return httpError(ctx, status, words.message, {
    code: words.code ?? null,
    type: words.type ?? null,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
