/**
 * vLLM's pooling endpoints, `/classify` and `/pooling`, as the loopback OpenAI server's vLLM mode serves them
 * (`startLoopbackVllm({ ..., reward: {...} })`), learnt from vLLM's pooling-model docs and its sources
 * (vllm/entrypoints/pooling/{classify,pooling}/protocol.py and serving.py, vllm/entrypoints/pooling/__init__.py):
 * - Both sit at the server's root, beside `/v1`. A request is `{model, messages}` (the chat template renders
 *   the conversation) or `{model, input}` (plain text).
 * - `/classify` answers `{id: "classify-...", object: "list", created, model, data: [{index, label, probs,
 *   num_classes}], usage: {prompt_tokens, total_tokens, completion_tokens: 0}}`. `label` is the id2label name of
 *   the largest value (`LABEL_0` for a one-label head). `probs` has one value per label: the model's logits put
 *   through the head's activation (a sigmoid for one label, a softmax for several), or the raw logits when the
 *   request says `use_activation: false` (older fields: `activation`, `softmax`).
 * - `/pooling` answers `{id: "pool-...", object: "list", created, model, data: [{index, object: "pooling", data}],
 *   usage}`: one value per label for a sequence classifier, one row per token for a token reward model (a
 *   `*ForRewardModeling`, whose reward is the last token's).
 * - The routes exist only where the model serves them: a generate-only server has neither (FastAPI's 404
 *   `{"detail": "Not Found"}`), and `/classify` is registered only for a model that supports the classify task.
 *   Older servers register every route and answer 400 "The model does not support Classification API" instead
 *   (`routesAlways`).
 * - Errors have vLLM's body `{"error": {"message", "type", "param", "code"}}`: a model not served is a 404, a
 *   conversation longer than `--max-model-len` a 400, a failure of the engine a 500.
 * The score is the brain's, not a network's: `rewardScorer` below, or the test's own.
 */
import type { ServerResponse } from 'node:http';
import { estimatePromptTokens, hash, type LoopbackMessage } from './loopback-llm';

/** What the served model is, as `vllm serve` was started for it. */
export interface VllmRewardModel {
  /**
   * `classify`: a sequence classifier (e.g. a Bradley-Terry reward model, `*ForSequenceClassification`): both
   * routes. `token-reward`: a `*ForRewardModeling` model: `/pooling` only, one row per token. `embed`: an
   * embedding model (no classification head): `/pooling` only, one long vector. `generate`: the generate runner:
   * no pooling route at all.
   */
  task: 'classify' | 'token-reward' | 'embed' | 'generate';
  /** Labels of the head (default 1: a reward model). */
  numLabels?: number;
  /** The model's raw output for a conversation (default rewardScorer). */
  scorer?: (messages: readonly LoopbackMessage[]) => number;
  /** `--max-model-len`: longer conversations (in the loopback's token estimate) get vLLM's 400. */
  maxModelLen?: number;
  /** An older server that registers every pooling route, and refuses with a 400 what the model cannot do. */
  routesAlways?: boolean;
  /** A failure for a scoring request (the n-th, 0-based; its conversation), e.g. `{ status: 500 }`; undefined answers. */
  failFor?: (index: number, messages: readonly LoopbackMessage[]) => { status: number; message?: string } | undefined;
}

/** One scoring request the server received. */
export interface RewardCall {
  path: '/classify' | '/pooling';
  body: Record<string, unknown>;
  messages: LoopbackMessage[];
}

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]{5,}/g) ?? []);

/**
 * The default brain of a reward model: a score in [-1, 1) that depends on the response alone (what a generic
 * reward model knows of a stranger: nothing about this user, so about chance on their pairs), plus one point for
 * each word of five letters or more that the response shares with the system message (the persona), so that
 * `reward-model+persona` differs from `reward-model` exactly when the persona says something about the replies.
 */
export function rewardScorer(messages: readonly LoopbackMessage[]): number {
  const response = messages.at(-1)?.role === 'assistant' ? String(messages.at(-1)!.content) : '';
  const system = messages.find((m) => m.role === 'system');
  const noise = (hash(response) % 2000) / 1000 - 1;
  if (!system) return noise;
  const persona = words(String(system.content));
  const shared = [...words(response)].filter((w) => persona.has(w)).length;
  return noise + shared;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function vllmFailure(res: ServerResponse, status: number, message: string, type: string, param: string | null = null) {
  send(res, status, { error: { message, type, param, code: status } });
}

const notFound = (res: ServerResponse) => send(res, 404, { detail: 'Not Found' });

/** The conversation of a request: its messages, or its text input as one user turn. */
function conversationOf(body: Record<string, unknown>): LoopbackMessage[] | undefined {
  if (Array.isArray(body['messages'])) return body['messages'] as LoopbackMessage[];
  if (typeof body['input'] === 'string' && body['input']) return [{ role: 'user', content: body['input'] }];
  return undefined;
}

/** The head's activation unless the request asks for the raw values (the current field, then the older ones). */
function activated(values: number[], body: Record<string, unknown>): number[] {
  const asked = body['use_activation'] ?? body['activation'] ?? body['softmax'];
  if (asked === false) return values;
  if (values.length === 1) return [1 / (1 + Math.exp(-values[0]!))];
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The head's logits: the scorer's value first, the other labels (a multi-label head) trailing below it. */
function logits(model: VllmRewardModel, messages: readonly LoopbackMessage[]): number[] {
  const score = (model.scorer ?? rewardScorer)(messages);
  return Array.from({ length: model.numLabels ?? 1 }, (_, i) => score - i);
}

/** Whether this route exists on this server (FastAPI's 404 otherwise). */
function routed(model: VllmRewardModel | undefined, path: string): boolean {
  if (!model || model.task === 'generate') return false;
  return path === '/pooling' || model.routesAlways === true || model.task === 'classify';
}

/**
 * `/classify` and `/pooling` of a vLLM-mode server, or FastAPI's 404 where the server has no such route.
 * `served` is the model list; `calls` records what was scored.
 */
export function vllmRewardRoute(
  model: VllmRewardModel | undefined,
  ctx: { path: '/classify' | '/pooling'; body: Record<string, unknown> | undefined; served: readonly string[] },
  calls: RewardCall[],
  res: ServerResponse,
): void {
  const { path } = ctx;
  if (!routed(model, path)) return notFound(res);
  const m = model!;
  if (path === '/classify' && m.task !== 'classify')
    return vllmFailure(res, 400, 'The model does not support Classification API', 'BadRequestError');
  if (path === '/pooling' && m.task === 'generate')
    return vllmFailure(res, 400, 'The model does not support Pooling API', 'BadRequestError');
  const body = ctx.body ?? {};
  const name = String(body['model'] ?? '');
  if (name && !ctx.served.includes(name))
    return vllmFailure(res, 404, `The model \`${name}\` does not exist.`, 'NotFoundError', 'model');
  const messages = conversationOf(body);
  if (!messages) return vllmFailure(res, 400, 'Input cannot be empty for classification', 'BadRequestError');
  const index = calls.length;
  calls.push({ path, body, messages });
  const fault = m.failFor?.(index, messages);
  if (fault)
    return vllmFailure(res, fault.status, fault.message ?? 'EngineCore encountered an issue.', 'InternalServerError');
  const tokens = estimatePromptTokens(messages);
  if (m.maxModelLen !== undefined && tokens > m.maxModelLen)
    return vllmFailure(
      res,
      400,
      `This model's maximum context length is ${m.maxModelLen} tokens. However, you requested ${tokens} tokens ` +
        'in the input. Please reduce the length of the input.',
      'BadRequestError',
    );
  const usage = { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, prompt_tokens_details: null };
  const created = Math.floor(Date.now() / 1000);
  const id = `${path === '/classify' ? 'classify' : 'pool'}-loopback${hash(JSON.stringify(body)).toString(16)}`;
  send(res, 200, {
    id,
    object: 'list',
    created,
    model: name || ctx.served[0],
    data: [itemOf(m, path, messages, body)],
    usage,
  });
}

function itemOf(
  m: VllmRewardModel,
  path: '/classify' | '/pooling',
  messages: readonly LoopbackMessage[],
  body: Record<string, unknown>,
): Record<string, unknown> {
  if (m.task === 'embed') {
    // An embedding: many values, none of them a score.
    const seed = hash(JSON.stringify(messages));
    return { index: 0, object: 'pooling', data: Array.from({ length: 8 }, (_, i) => ((seed >> i) & 1) - 0.5) };
  }
  if (m.task === 'token-reward') {
    // One row per token; only the last token's row is the reward.
    const last = logits(m, messages);
    const rows = Array.from({ length: 3 }, () => last.map(() => 0));
    return { index: 0, object: 'pooling', data: [...rows, activated(last, body)] };
  }
  const values = activated(logits(m, messages), body);
  if (path === '/pooling') return { index: 0, object: 'pooling', data: values };
  const best = values.indexOf(Math.max(...values));
  return { index: 0, label: `LABEL_${best}`, probs: values, num_classes: values.length };
}

/** Whether a request is one of these routes (the handler answers it, with a 404 where the server lacks it). */
export function isRewardPath(path: string, method: string): path is '/classify' | '/pooling' {
  return method === 'POST' && (path === '/classify' || path === '/pooling');
}
