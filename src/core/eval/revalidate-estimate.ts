// A re-validation's estimate before it runs. Some of its prompts are only known once earlier answers
// are: the memory facts a judge prompt carries, the first stage a Θ re-synthesis starts from, the
// persona it writes. A cache-only view of the model replays what the cache already holds (at no cost:
// nothing reaches the server), so those prompts are exact whenever the answers before them are cached,
// and the estimate says whether it is exact or an upper bound.

import type { ChatModel, ChatRequest, ChatResult } from '../llm/types';
import type { RunEstimate } from '../llm/estimate';

/** The model's answers that the cache holds; any other call fails with NotCached. */
export interface Estimating extends ChatModel {
  estimate(requests: readonly ChatRequest[], options?: { defaultCompletionTokens?: number }): Promise<RunEstimate>;
}

/** A call the cache cannot answer, asked of a cache-only model. */
export class NotCached extends Error {
  override readonly name = 'NotCached';
}

export class CacheOnlyModel implements ChatModel {
  /** Calls that the cache could not answer. */
  missed = 0;

  constructor(private readonly inner: Estimating) {}

  get provider() {
    return this.inner.provider;
  }

  get model() {
    return this.inner.model;
  }

  async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const est = await this.inner.estimate([request]);
    if (est.cachedCalls === 0) {
      this.missed++;
      throw new NotCached(`not in the cache: a ${request.purpose ?? 'chat'} call`);
    }
    return this.inner.chat(request, signal);
  }
}
