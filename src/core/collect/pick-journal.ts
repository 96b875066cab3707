// Nothing typed is lost. A pick is written in three steps: (1) the pick event goes to the collect log,
// which is the journal (the pair's record is rebuilt from it, recordOf); (2) the pair is appended to the
// preference file; (3) an `appended` event says so. A kill between any two steps is repaired at the next
// start (reconcile): a journaled pick with no `appended` event is appended when its pair id is missing from
// the file, and only marked when it is there, so the file never gets it twice. The mark also keeps a pair
// the person deleted from the file by hand from coming back. An append that fails (an editor saving a
// half-typed line makes the file's end unreadable for a moment) is retried, then reported with where the
// pick is kept; the next pick, and the next session, try again first.

import type { CollectedRecord } from './append-pair';
import { FileNotReadyError, type PreferenceAppender } from './append-pair';
import { logEvent, type CollectEvent, type PickEvent } from './collect-log';
import { UserError } from '../user-error';

export type JournalStep = 'logged' | 'appended';

export interface PickJournalOptions {
  logPath: string;
  /** How the log is named in messages (relative to the workspace). */
  logName: string;
  appender: PreferenceAppender;
  /** Waits between attempts of an append whose file is not ready (default: 0.25, 0.75 and 1.5 s). */
  retryDelaysMs?: readonly number[];
  onNote?: (message: string) => void;
  /** For tests: called after each step; a throw stands for the process killed at that point. */
  afterStep?: (step: JournalStep, pairId: string) => void;
}

/** The pair a pick event stands for: everything in it is in the event, so the log alone can append it. */
export function recordOf(e: PickEvent): CollectedRecord {
  const [p, q] = e.picked === 1 ? [0, 1] : [1, 0];
  return {
    user_id: e.user,
    pair_id: e.pairId,
    context: e.context,
    chosen: e.texts[p]!,
    rejected: e.texts[q]!,
    ...(e.split ? { split: e.split } : {}),
    meta: {
      collected: {
        at: e.at,
        sources: { chosen: e.sources[p]!, rejected: e.sources[q]! },
        shown: e.picked === 1 ? ['chosen', 'rejected'] : ['rejected', 'chosen'],
        ...(e.reason ? { reason: e.reason } : {}),
      },
    },
  };
}

const DELAYS = [250, 750, 1500];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PickJournal {
  /** Journaled picks not in the file yet, in the order they were made. */
  readonly pending = new Map<string, PickEvent>();
  /** Pair ids appended by this journal, in order. */
  readonly appended: string[] = [];

  constructor(private readonly o: PickJournalOptions) {}

  /** Journals the pick and appends its pair (after any pick still pending). Throws only when the pick could be kept nowhere. */
  async pick(e: PickEvent): Promise<void> {
    let logError: unknown;
    try {
      await logEvent(this.o.logPath, e);
    } catch (err) {
      logError = err;
    }
    this.o.afterStep?.('logged', e.pairId);
    if (logError !== undefined) return this.unjournaled(e, logError);
    this.pending.set(e.pairId, e);
    await this.flush();
  }

  /**
   * At a session's start: the picks journaled for this file and user whose append was never marked.
   * Returns the pair ids appended now.
   */
  async reconcile(events: readonly CollectEvent[], user: string, file: string): Promise<string[]> {
    const marked = new Set(
      events
        .filter((e) => e.type === 'appended' && e.user === user && e.file === file)
        .map((e) => (e as { pairId: string }).pairId),
    );
    for (const e of events)
      if (e.type === 'pick' && e.journaled && e.user === user && e.file === file && !marked.has(e.pairId))
        this.pending.set(e.pairId, e);
    const before = this.appended.length;
    await this.flush();
    return this.appended.slice(before);
  }

  /** Appends every pending pick in order; at the first that cannot be appended, says where they are kept. */
  async flush(): Promise<void> {
    for (const [id, e] of this.pending) {
      if (!this.o.appender.has(e.user, id)) {
        const err = await this.tryAppend(recordOf(e));
        if (err) {
          this.o.onNote?.(
            `${this.o.appender.display}: ${reasonOf(err)}; ${this.pending.size} pick(s) are kept in ${this.o.logName} ` +
              'and will be appended when the file reads again (the next pick or the next collect tries)',
          );
          return;
        }
        this.appended.push(id);
        this.o.afterStep?.('appended', id);
      }
      // In the file (appended now, or before a kill): marked, so it is never appended twice.
      this.pending.delete(id);
      await logEvent(this.o.logPath, {
        type: 'appended',
        at: new Date().toISOString(),
        user: e.user,
        pairId: id,
        file: e.file,
      }).catch(() => {
        // A missing mark costs nothing: the next start finds the pair in the file and marks it then.
      });
    }
  }

  /** The log could not be written: the file is the only place left; failing that, the pick is handed to the person. */
  private async unjournaled(e: PickEvent, logError: unknown): Promise<void> {
    const err = await this.tryAppend(recordOf(e));
    if (!err) {
      this.appended.push(e.pairId);
      this.o.onNote?.(
        `the collect log ${this.o.logName} could not be written (${reasonOf(logError)}): ` +
          `the pick is in ${this.o.appender.display}, not in the log`,
      );
      return;
    }
    throw new UserError(
      `the pick could be written neither to ${this.o.appender.display} (${reasonOf(err)}) nor to ${this.o.logName} ` +
        `(${reasonOf(logError)}); here it is, to keep: ${JSON.stringify(recordOf(e))}`,
      1,
    );
  }

  private async tryAppend(record: CollectedRecord): Promise<unknown> {
    const delays = this.o.retryDelaysMs ?? DELAYS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.o.appender.append(record);
        return undefined;
      } catch (err) {
        if (!(err instanceof FileNotReadyError) || attempt >= delays.length) return err;
        await sleep(delays[attempt]!);
      }
    }
  }
}

function reasonOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/^[^:]*: /, '');
}
