// One writer per run. Two processes appending to the same run file each judge every missing pair:
// twice the calls, and every verdict twice in the journal. So a writer first creates a lock file
// next to the run file, atomically (open with 'wx': exactly one creator wins), holding who it is.
// Another writer waits a bounded time and then says who holds the run; a lock whose process is gone
// (a crash, a kill -9) is taken over.
//
// Identity is pid + a random token, not the pid alone: two writers in one process (the extension
// host, a test, a benchmark) must exclude each other too, and only the holder may remove the lock.

import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { READ_LIMITS, readOwnText } from '../read-guard';
import { open, stat } from 'node:fs/promises';
import { linkChecked, removeChecked, renameChecked, unlinkOwnFileSync } from '../write-guard';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { UserError } from '../user-error';

export interface LockHolder {
  pid: number;
  token: string;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
}

export interface RunLockOptions {
  /**
   * How long to wait for another writer. Default 30 s: enough for a run that is finishing (saving its
   * summary); one still judging takes longer, and the error then says which process to wait for.
   */
  waitMs?: number;
  /** How often to look again while waiting. Default 200 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Told when a stale lock is taken over. Default: a process warning. */
  onNote?: (message: string) => void;
}

const DEFAULT_WAIT_MS = 30_000;
const DEFAULT_POLL_MS = 200;
/**
 * A lock file is created empty and written a moment later. Empty (or torn) for longer than this,
 * its writer died in between: nothing says who it was, so it counts as stale.
 */
const UNREADABLE_GRACE_MS = 5_000;

/** The run is being written by someone else, and kept being so for the whole wait. */
export class RunLockedError extends UserError {
  readonly kind = 'run-locked';

  constructor(
    readonly run: string,
    readonly holder: LockHolder | undefined,
    readonly lockPath: string,
  ) {
    const who = holder
      ? `process ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''} since ${holder.started}`
      : 'another process';
    super(
      `run ${run} is being written by ${who}; wait for it or stop it (if no such process is running, delete ${lockPath})`,
      1,
    );
  }
}

export function lockPathFor(runPath: string): string {
  return `${runPath}.lock`;
}

/**
 * Locks this process holds. A CLI that exits at once (a second Ctrl+C) runs no finally: one exit hook
 * removes them on the way out (one for all, not a listener per lock).
 */
const held = new Set<RunLock>();
let exitHooked = false;

function holdUntilExit(lock: RunLock): void {
  held.add(lock);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const l of held) l.releaseSync();
  });
}

export class RunLock {
  private released = false;

  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
    /** The stale lock this one replaced, if any. */
    readonly tookOver: LockHolder | undefined,
  ) {
    holdUntilExit(this);
  }

  /** Takes the lock of the run file `runPath`, waiting for a live holder up to `waitMs`. */
  static async acquire(runPath: string, options: RunLockOptions = {}): Promise<RunLock> {
    const path = lockPathFor(runPath);
    const run = basename(runPath).replace(/\.run\.jsonl$/, '');
    const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const me: LockHolder = { pid: process.pid, token: randomBytes(8).toString('hex'), host: hostname(), started: '' };
    const deadline = Date.now() + waitMs;
    let tookOver: LockHolder | undefined;
    for (;;) {
      if (options.signal?.aborted)
        throw new UserError(`Cancelled while waiting for run ${run}.`, 1, { cause: options.signal.reason });
      me.started = new Date().toISOString();
      if (await create(path, me)) {
        const lock = new RunLock(path, me, tookOver);
        if (tookOver)
          (options.onNote ?? warn)(
            `run ${run}: took over the lock of process ${tookOver.pid} (since ${tookOver.started}), which is no longer running`,
          );
        return lock;
      }
      const seen = await readHolder(path);
      // Released between our attempt and our look: try again at once.
      if (seen === 'gone') continue;
      if (seen === 'unreadable' || (seen !== 'fresh' && !holderAlive(seen))) {
        // Whether we removed it or found a live lock put in its place, the next round decides.
        if ((await removeStale(path, seen)) && seen !== 'unreadable') tookOver = seen;
        continue;
      }
      if (Date.now() >= deadline) throw new RunLockedError(run, seen === 'fresh' ? undefined : seen, path);
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  /** Removes the lock file, if it is still this holder's: never another writer's. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    const seen = await readHolder(this.path);
    if (typeof seen === 'object' && seen.token === this.holder.token)
      await removeChecked(this.path).catch(() => undefined);
  }

  /** release(), synchronously: for the exit hook, where nothing asynchronous runs any more. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    try {
      // Only a regular file: a FIFO swapped in since would block the exit.
      if (!lstatSync(this.path).isFile()) return;
      const seen = JSON.parse(readFileSync(this.path, 'utf8')) as LockHolder;
      if (seen.token === this.holder.token) unlinkOwnFileSync(this.path);
    } catch {
      // Gone or unreadable: nothing of ours to remove.
    }
  }
}

/** True when this call created the lock file (and wrote itself into it). */
async function create(path: string, me: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(me) + '\n');
  } catch (err) {
    // A lock nobody can read would hold the run for the grace period: leave none.
    await handle.close();
    await removeChecked(path).catch(() => undefined);
    throw err;
  }
  await handle.close();
  return true;
}

async function readHolder(path: string): Promise<LockHolder | 'gone' | 'unreadable' | 'fresh'> {
  let text: string;
  try {
    // Under the read guard: a FIFO planted as the lock would hang every run; it is refused by its kind.
    text = await readOwnText(path, { what: 'lock file', maxBytes: READ_LIMITS.small });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.token === 'string')
      return { pid: h.pid, token: h.token, host: h.host ?? '', started: h.started ?? '?' };
  } catch {
    // Being written right now, or its writer died between creating and writing it: see the grace.
  }
  const age = await stat(path).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  return age > UNREADABLE_GRACE_MS ? 'unreadable' : 'fresh';
}

function holderAlive(holder: LockHolder): boolean {
  // A pid means nothing on another machine (a shared folder): such a lock is never judged stale here.
  if (holder.host && holder.host !== hostname()) return true;
  return processAlive(holder.pid);
}

/** process.kill(pid, 0) sends nothing: ESRCH says there is no such process; EPERM says there is one (not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Moves the stale lock aside before deleting it. Two processes may find the same stale lock; a plain
 * unlink by the slower one could delete the lock the faster one has just created. A rename moves the
 * file atomically, and the content then says whether it was the stale lock or a live one (put back).
 */
async function removeStale(path: string, seen: LockHolder | 'unreadable'): Promise<boolean> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await renameChecked(path, aside);
  } catch (err) {
    // Another writer moved it first: the next round sees what is there now.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = await readHolder(aside);
  const same =
    seen === 'unreadable' ? typeof moved !== 'object' : typeof moved === 'object' && moved.token === seen.token;
  if (!same) {
    // Someone else's fresh lock: put it back, unless yet another writer got in first.
    await linkChecked(aside, path).catch(() => undefined);
  }
  await removeChecked(aside).catch(() => undefined);
  return same;
}

function warn(message: string): void {
  process.emitWarning(message, 'RunLock');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
