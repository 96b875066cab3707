// Step 2 of PersonalRewardBench, also useful alone at inference time: is a pair
// "personalizable", i.e. would reasonable people disagree about which response is better?
// One call per pair with the editable 'personalizable' prompt and a JSON schema.

import type { ChatModel, ChatResult } from '../llm/types';
import type { Pair } from '../data/pair';
import { isFatal } from '../method/judge';
import { personalizableMessages } from '../method/messages';
import { PERSONALIZABLE_SCHEMA } from '../method/schemas';
import { answerObject } from '../method/answer-object';

export interface Classification {
  pairId: string;
  userId: string;
  /** null when the model gave no usable label (or the call failed). */
  personalizable: boolean | null;
  reason: string;
  error?: string;
  /** The call failed (after its retries): no answer at all, unlike an answer without a label. */
  failed?: true;
}

export interface ClassifyOptions {
  temperature: number;
  seed?: number;
  signal?: AbortSignal;
}

/** The label and reason from structured output, plain JSON, or tolerant text. */
export function readClassification(result: Pick<ChatResult, 'json' | 'text'>): {
  personalizable: boolean | null;
  reason: string;
} {
  const obj = answerObject(result);
  const text = result.text ?? '';
  let label: unknown = obj?.personalizable;
  if (typeof label === 'string')
    label = /^\s*(true|yes)\s*$/i.test(label) ? true : /^\s*(false|no)\s*$/i.test(label) ? false : undefined;
  if (typeof label !== 'boolean') {
    const m = /"?personali[sz]able"?\s*[:=]\s*"?(true|false|yes|no)\b/i.exec(text);
    label = m ? /true|yes/i.test(m[1]!) : undefined;
  }
  const reason = typeof obj?.reason === 'string' ? obj.reason : text.trim();
  return { personalizable: typeof label === 'boolean' ? label : null, reason };
}

export async function classifyPair(
  model: ChatModel,
  instructions: string,
  pair: Pair,
  opts: ClassifyOptions,
): Promise<Classification> {
  const base = { pairId: pair.pairId, userId: pair.userId };
  try {
    const result = await model.chat(
      {
        messages: personalizableMessages(instructions, pair),
        schema: PERSONALIZABLE_SCHEMA,
        temperature: opts.temperature,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        purpose: 'personalizable',
      },
      opts.signal,
    );
    const r = readClassification(result);
    return { ...base, ...r, ...(r.personalizable === null ? { error: 'no true/false label in the answer' } : {}) };
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    return { ...base, personalizable: null, reason: '', error: (err as Error).message, failed: true };
  }
}

/**
 * Classifies every pair; calls are issued together and the model's scheduler bounds them.
 * `onResult` sees each classification as it arrives (progress).
 */
export async function classifyPairs(
  model: ChatModel,
  instructions: string,
  pairs: readonly Pair[],
  opts: ClassifyOptions & { onResult?: (c: Classification) => void },
): Promise<Classification[]> {
  const out: Classification[] = new Array(pairs.length);
  await Promise.all(
    pairs.map(async (p, i) => {
      const c = await classifyPair(model, instructions, p, opts);
      out[i] = c;
      opts.onResult?.(c);
    }),
  );
  return out;
}
