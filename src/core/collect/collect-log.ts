// Every event of a collection session, journaled per user in `.synthesizeme/collect/<user>.jsonl`:
// picks (also appended to the preference file), ties and skips (kept here only: a tie is not a pair),
// failed generations, and test-retest answers. The log is what the status report and the retest
// schedule read.

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Turn } from '../data/pair';
import { personaStem } from '../method/persona-file';
import { checkWrite } from '../write-guard';

export type CollectEvent =
  /** `texts` and `sources` are as shown (1 then 2): a retest shows them again the other way round. */
  | { type: 'pick'; at: string; user: string; pairId: string; file: string; context: Turn[]; texts: [string, string]; sources: [string, string]; picked: 1 | 2; reason?: string; informative?: string }
  | { type: 'tie' | 'skip'; at: string; user: string; context: Turn[]; texts?: [string, string]; sources?: [string, string]; reason?: string; note?: string }
  | { type: 'failed'; at: string; user: string; error: string }
  /** `agreed`: the same response as the first time (null for a tie or a skip, which say nothing). */
  | { type: 'retest'; at: string; user: string; pairId: string; agreed: boolean | null; answer: '1' | '2' | 't' | 's' };

export function collectLogPath(root: string, userId: string): string {
  return join(root, '.synthesizeme', 'collect', `${personaStem(userId)}.jsonl`);
}

export async function logEvent(path: string, e: CollectEvent): Promise<void> {
  await checkWrite(path);
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(e)}\n`);
}

export async function readLog(path: string): Promise<CollectEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
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
