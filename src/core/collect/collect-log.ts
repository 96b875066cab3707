// Every event of a collection session, journaled per user in `.synthesizeme/collect/<user>.jsonl`:
// picks (also appended to the preference file), ties and skips (kept here only: a tie is not a pair),
// failed generations, and test-retest answers. The log is what the status report, the retest schedule
// and a restart read: a pick is logged BEFORE its append (the log is the journal, see pick-journal.ts),
// and the key of what was asked lets a restart skip what was already answered.

import { dirname, join } from 'node:path';
import type { Turn } from '../data/pair';
import { personaStem } from '../method/persona-file';
import { appendFileChecked, mkdirChecked } from '../write-guard';
import { readOwnTextIfExists, READ_LIMITS } from '../read-guard';

export type CollectEvent =
  /**
   * `texts` and `sources` are as shown (1 then 2): a retest shows them again the other way round.
   * `key`: what was asked (item-key.ts). `journaled`: logged before its append, so an `appended` event
   * follows once the pair is in the file; the record is rebuilt from the event (recordOf).
   */
  | {
      type: 'pick';
      at: string;
      user: string;
      pairId: string;
      file: string;
      context: Turn[];
      texts: [string, string];
      sources: [string, string];
      picked: 1 | 2;
      reason?: string;
      informative?: string;
      key?: string;
      journaled?: true;
      split?: 'context' | 'validation';
    }
  | {
      type: 'tie' | 'skip';
      at: string;
      user: string;
      context: Turn[];
      texts?: [string, string];
      sources?: [string, string];
      reason?: string;
      note?: string;
      key?: string;
    }
  | { type: 'failed'; at: string; user: string; error: string }
  /** `agreed`: the same response as the first time (null for a tie or a skip, which say nothing). */
  | { type: 'retest'; at: string; user: string; pairId: string; agreed: boolean | null; answer: '1' | '2' | 't' | 's' }
  /** The journaled pick `pairId` is in `file`. */
  | { type: 'appended'; at: string; user: string; pairId: string; file: string };

export type PickEvent = Extract<CollectEvent, { type: 'pick' }>;

export function collectLogPath(root: string, userId: string): string {
  return join(root, '.synthesizeme', 'collect', `${personaStem(userId)}.jsonl`);
}

export async function logEvent(path: string, e: CollectEvent): Promise<void> {
  await mkdirChecked(dirname(path));
  await appendFileChecked(path, `${JSON.stringify(e)}\n`);
}

/** The log's events; none for a log not there yet. A link out of the workspace, a FIFO or a device is refused, never opened. */
export async function readLog(path: string): Promise<CollectEvent[]> {
  const text = await readOwnTextIfExists(path, { maxBytes: READ_LIMITS.log, what: 'collect log' });
  if (text === undefined) return [];
  const out: CollectEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as CollectEvent);
    } catch {
      // A line cut by a crash: the events before and after it still count.
    }
  }
  return out;
}
