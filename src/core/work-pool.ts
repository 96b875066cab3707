// The one bounded work pool of the engine. Users are fitted, re-validated and prepared side by side,
// a few at a time; every job does it through this pool so that they all fail and cancel the same way:
// - an error thrown by one item's work is fatal to the job: no further item starts, the siblings in
//   flight are told to stop through the signal they were given, and the first error is thrown once
//   they have settled (errors a job tolerates, a failed call for one user, are caught inside `work`);
// - a cancel (the caller's signal) stops the items in flight the same way and starts no more.
// p-limit bounds the concurrency; what it does not do (a shared abort, first-error semantics) is here.

import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';

export interface PoolOptions {
  /** Items in flight at once (at least 1). */
  concurrency: number;
  /** The caller's cancel. */
  signal?: AbortSignal;
}

/**
 * Runs `work` for every item, at most `concurrency` at a time. `signal` (given to each item) aborts
 * when the caller cancels or when a sibling threw; work should pass it to every call it makes.
 * Resolves when every item is done; rejects with the first error, or the cancel's reason.
 */
export async function forEachInPool<T>(
  items: readonly T[],
  options: PoolOptions,
  work: (item: T, signal: AbortSignal, index: number) => Promise<void>,
): Promise<void> {
  const outer = options.signal;
  outer?.throwIfAborted();
  const stop = new AbortController();
  // Every call of every item listens on this one signal: hundreds of listeners is the design, not a leak.
  setMaxListeners(0, stop.signal);
  const onCancel = () => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onCancel, { once: true });
  const limit = pLimit(Math.max(1, Math.floor(options.concurrency) || 1));
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      items.map((item, index) =>
        limit(async () => {
          if (stop.signal.aborted) return;
          try {
            await work(item, stop.signal, index);
          } catch (error) {
            if (failure) return;
            failure = { error };
            // Queued items see the abort and return without starting (p-limit's clearQueue would
            // leave their promises pending for ever).
            stop.abort(error);
          }
        }),
      ),
    );
  } finally {
    outer?.removeEventListener('abort', onCancel);
  }
  // After a cancel the first error is usually the cancelled call's own ("Cancelled."), which says more
  // than the bare abort reason; an item that returned quietly on cancel leaves the reason to throw.
  if (failure) throw failure.error;
  outer?.throwIfAborted();
}
