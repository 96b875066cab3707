// The budget of a Θ search: the largest number of LLM calls it makes, everything included (first
// stages, episodes, reflections, merges, the held-out check). A call is one request: answered by a
// server or by the response cache, it counts the same. That is what makes a resumed run retrace the
// run it resumes: the search spends the budget on the same decisions in the same order, whatever the
// cache already holds, and stops at the same point (only the calls the cache cannot answer reach a
// server). Retries of a failed request are attempts of one call.
//
// The same number also caps the HTTP requests the run sends (RequestBudget, counted where a request
// leaves the client): every attempt counts there, retries and requests that timed out included, so the
// server never receives more than the budget. A unit of work is started only when both have room for
// it; a retry that the requests budget cannot take is not sent, and the run stops incomplete (resumable).

import type { ChatModel, ChatRequest, ChatResult } from '../llm/types';
import type { RequestBudget } from '../llm/request-budget';
import { UserError } from '../user-error';

/** `--budget light`: a quick search on a few users (about 4-8 users, a handful of search steps). */
export const LIGHT_BUDGET = 400;
/** `--budget medium`: more users, more pairs per user, a few dozen search steps. */
export const MEDIUM_BUDGET = 1500;

export const BUDGET_PRESETS: Readonly<Record<string, number>> = { light: LIGHT_BUDGET, medium: MEDIUM_BUDGET };

/** light | medium | a whole number of calls. */
export function parseBudget(text: string): number {
  const t = text.trim().toLowerCase();
  const preset = BUDGET_PRESETS[t];
  if (preset !== undefined) return preset;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && Number.isSafeInteger(n)) return n;
  }
  throw new UserError(
    `--budget: expected light (${LIGHT_BUDGET} calls), medium (${MEDIUM_BUDGET} calls) or a whole number of calls, got "${text}"`,
    2,
  );
}

/**
 * A call past the budget. The search plans every unit of work within what is left, so this is a safety
 * net, not a way of stopping; it stops the run (`stopsRun`) so that no caller counts it as a failed answer.
 */
export class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
  readonly expected = true;
  readonly stopsRun = true;
  readonly kind = 'budget';

  constructor(readonly budget: number) {
    super(`the Θ search reached its budget of ${budget} calls`);
  }
}

export interface BudgetCounts {
  /** Calls made, cache hits included: what the budget counts. */
  used: number;
  /** Of those, answered by a server. */
  server: number;
  /** Of those, answered by the response cache (no request sent). */
  cached: number;
  /** HTTP requests sent to the server: every attempt, retries and timed-out requests included. */
  requests: number;
}

/** Counts every call of the search's models against one budget, and refuses the call past it. */
export class BudgetMeter {
  private readonly counts: Omit<BudgetCounts, 'requests'> = { used: 0, server: 0, cached: 0 };

  constructor(
    readonly budget: number,
    private readonly onCall?: (counts: Readonly<BudgetCounts>) => void,
    /** The requests actually sent, capped at the same budget; without it, each server answer counts as one. */
    private readonly requests?: RequestBudget,
  ) {}

  get used(): number {
    return this.counts.used;
  }

  get left(): number {
    return this.budget - this.counts.used;
  }

  snapshot(): BudgetCounts {
    return { ...this.counts, requests: this.requests?.sent ?? this.counts.server };
  }

  /** Whether `calls` more calls fit in the budget, and as many requests (retries took some). */
  affords(calls: number): boolean {
    return this.counts.used + calls <= this.budget && (this.requests === undefined || this.requests.left >= calls);
  }

  /** The model, with each of its calls counted (at its start, so concurrent calls never overshoot). */
  wrap(inner: ChatModel): ChatModel {
    return {
      provider: inner.provider,
      model: inner.model,
      chat: async (request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> => {
        if (this.counts.used >= this.budget) throw new BudgetExceeded(this.budget);
        this.counts.used++;
        this.onCall?.(this.snapshot());
        const r = await inner.chat(request, signal);
        if (r.cached) this.counts.cached++;
        else this.counts.server++;
        return r;
      },
    };
  }
}
