// Per-task accounting on top of a shared model: several users are fitted at once through one
// Llm (one scheduler, one cache), so the Llm's own counters cannot say what one user cost.

import type { ChatModel, ChatRequest, ChatResult } from './types';

export interface TaskUsage {
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
}

export class CountingModel implements ChatModel {
  readonly usage: TaskUsage = { calls: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0 };

  constructor(private readonly inner: ChatModel) {}

  get provider() {
    return this.inner.provider;
  }

  get model() {
    return this.inner.model;
  }

  async chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const r = await this.inner.chat(request, signal);
    if (r.cached) this.usage.cacheHits++;
    else {
      this.usage.calls++;
      this.usage.promptTokens += r.usage.promptTokens;
      this.usage.completionTokens += r.usage.completionTokens;
    }
    return r;
  }
}
