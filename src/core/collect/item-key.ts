// A stable key for what a collection step asks, logged with the answer: a restart skips what the log
// says was answered (instead of asking the pool again from its start), and a pool that asks the same
// thing twice is asked it once. A ready pair is the same question whichever response is first; a
// prompt is the same question only with the same two sources (other sources give other responses).

import { createHash } from 'node:crypto';
import type { Turn } from '../data/pair';

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 24);
const turns = (context: readonly Turn[]) => context.map((t) => [t.role, t.content]);

export function pairKey(context: readonly Turn[], responses: readonly [string, string]): string {
  return `pair:${hash([turns(context), [...responses].sort()])}`;
}

export function promptKey(context: readonly Turn[], sources: readonly { label: string; system: string }[]): string {
  return `prompt:${hash([turns(context), sources.map((s) => [s.label, s.system])])}`;
}
