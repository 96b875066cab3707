// The transcript of a verdict: for each order, the messages the judge sent (the system prompt with the persona
// and the demonstrations, then the rendered pair), the model's raw answer with its thinking, the tokens (with
// those the server served from its prompt cache, when it said), the latency, the server and the model digest.
// A run file does not copy any of it: each order names its call's response-cache key (OrderVerdict.call), and
// the cache entry under that key holds what was sent and answered. Nothing is guessed: an order without a key,
// or a key the cache no longer holds, says so.

import { ResponseCache } from '../llm/cache';
import type { ChatMessage } from '../llm/types';
import { splitThinking } from '../llm/thinking';
import type { OrderVerdict, PairVerdict } from '../method/judge';
import type { Order } from '../method/render';
import { UserError } from '../user-error';
import { readRun, type RunHeader } from './run-file';

export const NO_TRANSCRIPT_RECORDED = 'no transcript recorded for this run (judged before transcripts were kept)';

export interface TranscriptOrder {
  order: Order;
  /** The verdict as the run file holds it. */
  preference: 'A' | 'B' | null;
  correct: boolean;
  reasoning: string;
  failed?: boolean;
  error?: string;
  /** The call's response-cache key, when the verdict names one. */
  call?: string;
  /** Why there is no transcript for this order (no key recorded, the cache no longer holds it, a failed call). */
  missing?: string;
  /** The messages as sent; absent for answers cached before transcripts were kept (`missing` then says so). */
  messages?: ChatMessage[];
  /** The answer as the model gave it, its thinking apart. */
  answer?: string;
  thinking?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** Of promptTokens, those the server served from its prompt cache; undefined when the server did not say. */
  cachedPromptTokens?: number;
  latencyMs?: number;
  server?: string;
  model?: string;
  digest?: string;
  /** When the answer was cached (ISO time). */
  answeredAt?: string;
}

export interface Transcript {
  user: string;
  pairId: string;
  file: string;
  line: number;
  run?: Pick<RunHeader, 'id' | 'method' | 'split' | 'provider' | 'model' | 'modelDigest' | 'baseUrl' | 'label'>;
  orders: TranscriptOrder[];
  /** Said once for the whole transcript: the run kept no references (NO_TRANSCRIPT_RECORDED). */
  note?: string;
}

export interface TranscriptOptions {
  /** The response cache the run was judged with (the workspace layout's cacheDir). */
  cacheDir: string;
  /** One order only; both by default. */
  order?: Order;
  /** How messages name the run file (a path relative to the current folder). */
  display?: (path: string) => string;
}

/**
 * The transcript of one pair's verdict in a run file. The pair is found by its id (and its user when two users
 * have a pair of that id: then `user` is needed); a pair the run did not judge is a UserError (exit 2).
 */
export async function readTranscript(
  runPath: string,
  pair: { pairId: string; user?: string },
  options: TranscriptOptions,
): Promise<Transcript> {
  const run = await readRun(runPath);
  const name = options.display?.(runPath) ?? runPath;
  if (!run.header && run.verdicts.size === 0) throw new UserError(`${name}: not a run file (no header, no verdict)`, 2);
  const matches = [...run.verdicts.values()].filter(
    (v) => v.pairId === pair.pairId && (pair.user === undefined || v.userId === pair.user),
  );
  if (matches.length === 0)
    throw new UserError(
      `${name}: no verdict on pair ${pair.pairId}${pair.user !== undefined ? ` of user ${pair.user}` : ''} in this run`,
      2,
    );
  if (matches.length > 1)
    throw new UserError(
      `${name}: pair ${pair.pairId} belongs to several users (${matches.map((m) => m.userId).join(', ')}): say which with --user`,
      2,
    );
  // A run that names no call anywhere was judged before transcripts were kept: said once, never guessed.
  const recorded = [...run.verdicts.values()].some((v) => v.orders.some((o) => o.call !== undefined));
  return verdictTranscript(matches[0]!, { ...options, header: run.header, recorded });
}

/**
 * The transcript of a verdict held anywhere (a run file's, a lens verdict of "Judge this pair"): each order's
 * cache entry read under its key. `recorded: false` says the verdict's source kept no keys at all.
 */
export async function verdictTranscript(
  verdict: PairVerdict,
  options: TranscriptOptions & { header?: RunHeader; recorded?: boolean },
): Promise<Transcript> {
  const recorded = options.recorded ?? verdict.orders.some((o) => o.call !== undefined);
  const orders = verdict.orders.filter((o) => options.order === undefined || o.order === options.order);
  const cache = recorded ? new ResponseCache(options.cacheDir) : undefined;
  try {
    const out: TranscriptOrder[] = [];
    for (const o of orders) out.push(await orderTranscript(o, cache));
    const h = options.header;
    return {
      user: verdict.userId,
      pairId: verdict.pairId,
      file: verdict.file,
      line: verdict.line,
      ...(h ? { run: runInfo(h) } : {}),
      orders: out,
      ...(recorded ? {} : { note: NO_TRANSCRIPT_RECORDED }),
    };
  } finally {
    await cache?.close();
  }
}

function runInfo(h: RunHeader): NonNullable<Transcript['run']> {
  return {
    id: h.id,
    method: h.method,
    split: h.split,
    provider: h.provider,
    model: h.model,
    ...(h.modelDigest ? { modelDigest: h.modelDigest } : {}),
    ...(h.baseUrl ? { baseUrl: h.baseUrl } : {}),
    ...(h.label ? { label: h.label } : {}),
  };
}

async function orderTranscript(o: OrderVerdict, cache: ResponseCache | undefined): Promise<TranscriptOrder> {
  const base: TranscriptOrder = {
    order: o.order,
    preference: o.preference,
    correct: o.correct,
    reasoning: o.reasoning,
    ...(o.failed ? { failed: true } : {}),
    ...(o.error ? { error: o.error } : {}),
    ...(o.call ? { call: o.call } : {}),
  };
  if (!cache) return { ...base, missing: NO_TRANSCRIPT_RECORDED };
  if (!o.call)
    return {
      ...base,
      missing: o.failed
        ? 'the call failed: there is no answer to show'
        : 'no transcript recorded for this order (its call names no cache entry)',
    };
  const hit = (await cache.get(o.call)) as
    (Awaited<ReturnType<ResponseCache['get']>> & { writtenAt?: number }) | undefined;
  if (!hit)
    return {
      ...base,
      missing:
        'the response cache does not hold this call (judged with --no-cache, or the cache was cleared or pruned since)',
    };
  const { answer, thinking } = splitThinking(hit.text);
  return {
    ...base,
    ...(hit.messages
      ? { messages: hit.messages }
      : { missing: 'the messages sent were not kept (answered before transcripts were kept)' }),
    answer,
    ...(thinking ? { thinking } : {}),
    promptTokens: hit.usage.promptTokens,
    completionTokens: hit.usage.completionTokens,
    ...(hit.usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: hit.usage.cachedPromptTokens } : {}),
    latencyMs: hit.latencyMs,
    ...(hit.server ? { server: hit.server } : {}),
    model: hit.model,
    ...(hit.digest ? { digest: hit.digest } : {}),
    ...(hit.writtenAt !== undefined ? { answeredAt: new Date(hit.writtenAt).toISOString() } : {}),
  };
}

/** "412 prompt tokens (300 from the server's cache, 73%)", or "(the server did not say how many from its cache)". */
export function promptTokensText(o: Pick<TranscriptOrder, 'promptTokens' | 'cachedPromptTokens'>): string {
  if (o.promptTokens === undefined) return 'prompt tokens unknown';
  const cached = o.cachedPromptTokens;
  if (cached === undefined)
    return `${o.promptTokens} prompt tokens (the server did not say how many came from its cache)`;
  const share = o.promptTokens > 0 ? Math.round((100 * cached) / o.promptTokens) : 0;
  return `${o.promptTokens} prompt tokens (${cached} from the server's cache, ${share}%)`;
}
