// One attempt's timers. A model that is loading may take minutes before its first token, but a
// stream that has started and then goes quiet is stuck: so two timeouts, not one. The watchdog
// owns an AbortController whose signal goes into the HTTP request; the caller's signal aborts it
// too, so cancelling a run and a timeout travel the same road down to the socket.
// Neither timer fires on a server that never stops streaming (a model looping past its output cap,
// a server that ignores the cap): the chunks keep coming. So a third limit, CallDeadline below, is a
// total time budget for one request, whatever arrives.

import { LlmError, redactUrl } from './errors';
import type { ProviderKind } from './types';

export type TimeoutPhase = 'first-byte' | 'idle';

export interface WatchdogLimits {
  firstByteMs: number;
  idleMs: number;
}

export class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onParentAbort: () => void;
  /** Set when a timer, not the caller, aborted the attempt. */
  timedOut: TimeoutPhase | undefined;

  constructor(
    private readonly parent: AbortSignal | undefined,
    private readonly limits: WatchdogLimits,
  ) {
    this.onParentAbort = () => this.controller.abort(parent?.reason);
    if (parent?.aborted) this.controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
    this.arm('first-byte', limits.firstByteMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the caller cancelled (as opposed to a timeout). */
  get cancelled(): boolean {
    return this.parent?.aborted === true;
  }

  /** Data arrived: from now on only the idle timeout applies, restarted on every chunk. */
  tick(): void {
    if (this.controller.signal.aborted) return;
    this.arm('idle', this.limits.idleMs);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }

  private arm(phase: TimeoutPhase, ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.timer = setTimeout(() => {
      this.timedOut = phase;
      this.controller.abort(new Error(`${phase} timeout`));
    }, ms);
    // A pending timer must not keep a CLI process alive after its work is done.
    this.timer.unref();
  }
}

/** Where a deadline was hit, for its message. */
export interface DeadlineContext {
  provider: ProviderKind;
  baseUrl: string;
  model: string;
  purpose?: string;
}

/**
 * The total time one request may take. It wraps the signal given to a provider: when it expires the
 * provider sees its signal abort and closes the connection, as on a cancellation, and `expired` tells
 * the caller that it was the deadline (a timeout), not the user (a cancellation).
 */
export class CallDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onParentAbort: () => void;
  /** Set when the deadline, not the caller, ended the request. */
  expired = false;

  /** @param ms the budget; 0, a negative or a non-finite number sets none. */
  constructor(
    private readonly parent: AbortSignal,
    readonly ms: number,
  ) {
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    if (Number.isFinite(ms) && ms > 0 && !parent.aborted) {
      this.timer = setTimeout(() => {
        this.expired = true;
        this.controller.abort(new Error('call deadline'));
      }, ms);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * The failure to report: a timeout, not retried (the same prompt with the same seed loops again, and
   * each attempt would cost the whole budget once more), never cached, and scored as a failed call.
   */
  error(ctx: DeadlineContext): LlmError {
    const seconds = Math.round(this.ms / 100) / 10;
    const server =
      ctx.provider === 'ollama' ? `Ollama at ${redactUrl(ctx.baseUrl)}` : `The server at ${redactUrl(ctx.baseUrl)}`;
    return new LlmError(
      'timeout',
      `${server} kept streaming for ${seconds} s without finishing ` +
        `${ctx.purpose ? `the ${ctx.purpose} call` : 'the call'} (model ${ctx.model}); ` +
        `the per-call deadline is ${seconds} s. ` +
        'A model that loops past its output cap (or a server that ignores the cap) does this.',
      { provider: ctx.provider, baseUrl: ctx.baseUrl, model: ctx.model, detail: 'deadline', retryable: false },
    );
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
