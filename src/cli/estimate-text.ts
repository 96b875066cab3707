// A RunEstimate as the CLI's dry runs print it (eval, fit, classify, revalidate): the same figures under the
// same names in --json, and the same words for the tokens and the cost, whatever the job.

import { type RunEstimate } from '../core/llm';

/** The figures under --json; a model with no price has `costUsd: null`. Retries are never counted. */
export function estimateJson(est: RunEstimate) {
  return {
    calls: est.calls,
    cachedCalls: est.cachedCalls,
    promptTokens: est.promptTokens,
    completionTokens: est.completionTokens,
    costUsd: est.costUsd ?? null,
  };
}

/** `P prompt + C completion tokens`. */
export function tokensText(est: RunEstimate): string {
  return `${est.promptTokens} prompt + ${est.completionTokens} completion tokens`;
}

/** `, about $0.12` for a priced model; nothing for a free (local) or unknown one. */
export function costText(est: RunEstimate): string {
  return est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : '';
}
