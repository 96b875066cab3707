// When to look at a server again while it is in error: 5 s, then twice as long each time up to a minute,
// and not at all once it is healthy. Pure (timers are passed in), so the schedule is unit-tested.

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const NODE_TIMERS: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class RecheckBackoff {
  private delay = 0;
  private handle: unknown;

  constructor(
    private readonly recheck: () => void,
    private readonly firstMs = 5_000,
    private readonly maxMs = 60_000,
    private readonly timers: Timers = NODE_TIMERS,
  ) {}

  /** The delay of the check scheduled now, or undefined when none is. */
  get scheduledMs(): number | undefined {
    return this.handle === undefined ? undefined : this.delay;
  }

  /** Still in error: one check after the next delay (replacing any scheduled one). */
  failed(): void {
    this.cancel();
    this.delay = this.delay ? Math.min(this.delay * 2, this.maxMs) : this.firstMs;
    this.handle = this.timers.set(() => {
      this.handle = undefined;
      this.recheck();
    }, this.delay);
  }

  /** Healthy (or the settings changed): nothing scheduled, and the next error starts again from the first delay. */
  reset(): void {
    this.cancel();
    this.delay = 0;
  }

  private cancel(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}
