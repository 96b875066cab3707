// The final word on a Θ search: the best candidate against the current Θ on the held-out users
// only, pair by pair (the same pairs, both orders), with the paired interval clustered by user and
// its p (over users when there are several: compare.ts). A new Θ is adopted only when the difference is
// significant on the side of an improvement: the interval excludes 0 and p < 0.05, the same conjunction
// as every comparison's sentence. Adoption writes it to the workspace's persona-synthesis prompt, the old
// text kept in the prompt's history.

import { READ_LIMITS, readOwnTextIfExists } from '../read-guard';
import { join } from 'node:path';
import type { PairVerdict } from '../method/judge';
import { compareVerdicts, type VerdictComparison } from '../eval/compare';
import { promptFileName, promptHash, savePrompt } from '../method/prompt-store';
import type { Episode } from './episode';

export interface HeldOutCheck {
  accepted: boolean;
  comparison: VerdictComparison;
  users: number;
  pairs: number;
  sentence: string;
}

function verdictMap(episodes: readonly Episode[]): Map<string, PairVerdict> {
  const m = new Map<string, PairVerdict>();
  for (const e of episodes) for (const v of e.verdicts) m.set(`${v.userId}\u0000${v.pairId}`, v);
  return m;
}

export function heldOutCheck(baseline: readonly Episode[], best: readonly Episode[], seed: number): HeldOutCheck {
  const comparison = compareVerdicts(verdictMap(baseline), verdictMap(best), seed);
  const excludes = comparison.ci95[0] > 0;
  const rejects = comparison.pairedTest.p < 0.05;
  const accepted = comparison.pairs > 0 && excludes && rejects;
  const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  const figures =
    `${pts(comparison.difference)} points on ${comparison.pairs} held-out pairs of ${baseline.length} user(s) ` +
    `(95% CI ${pts(comparison.ci95[0])} to ${pts(comparison.ci95[1])}, p = ${comparison.pairedTest.p.toPrecision(2)})`;
  const why = !excludes
    ? 'the interval does not exclude 0'
    : `p ≥ 0.05 (with ${baseline.length} held-out user(s) the test over users cannot go lower than ` +
      `${(2 / 2 ** baseline.length).toPrecision(2)})`;
  const sentence = accepted ? `adopted: ${figures}` : `not adopted: ${figures}; ${why}`;
  return { accepted, comparison, users: baseline.length, pairs: comparison.pairs, sentence };
}

/**
 * Writes the adopted Θ, unless the prompt file changed while the search ran (a hand edit is never
 * overwritten by a Θ that was compared with the text before it). Returns undefined in that case.
 */
export async function adoptTheta(
  promptDir: string,
  historyDir: string,
  searchedHash: string,
  text: string,
): Promise<{ path: string; previous?: string; version: string } | undefined> {
  const path = join(promptDir, promptFileName('persona-synthesis'));
  const now = await readOwnTextIfExists(path, { what: 'prompt file', maxBytes: READ_LIMITS.text });
  if (now !== undefined && promptHash(now) !== searchedHash) return undefined;
  return savePrompt(promptDir, historyDir, 'persona-synthesis', text, 'optimization');
}
