// One attempt's timers. A model that is loading may take minutes before its first token, but a
// stream that has started and then goes quiet is stuck: so two timeouts, not one. The watchdog
// owns an AbortController whose signal goes into the HTTP request; the caller's signal aborts it
// too, so cancelling a run and a timeout travel the same road down to the socket.

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
