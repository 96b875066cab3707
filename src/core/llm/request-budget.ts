// A cap on the HTTP requests a run sends to model servers: every attempt counts (a retry, a schema
// fallback, a request that timed out), because each one reaches a server and may cost. One budget can
// be shared by several models (the Θ search's main and reflection models). A request takes its place
// before it is sent, synchronously, so calls in flight together never pass the cap: with N in flight
// and one place left, one more is sent and the others fail as 'budget'.

export class RequestBudget {
  private sentCount = 0;

  constructor(readonly limit: number) {}

  /** Requests sent (reserved) so far. */
  get sent(): number {
    return this.sentCount;
  }

  get left(): number {
    return Math.max(0, this.limit - this.sentCount);
  }

  /** Takes one place for a request about to be sent; false when none is left (the request must not go). */
  reserve(): boolean {
    if (this.sentCount >= this.limit) return false;
    this.sentCount++;
    return true;
  }
}
