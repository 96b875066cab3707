// "Ask next": of several candidate pairs, the one the current persona judge is least sure about. The
// judge sees each candidate in both orders: when it picks a different response in each order it has no
// stable preference (the most informative case); when a previous persona version is given, a pair on
// which the two versions disagree comes next. Ties go to the earlier candidate. The reason is said in
// words, for the person being asked.

import type { ChatModel } from '../llm/types';
import type { Pair, Turn } from '../data/pair';
import { judgePair, pairFailed, type PairVerdict } from '../method/judge';

export interface Candidate {
  context: Turn[];
  responses: [string, string];
}

export interface InformativeChoice {
  index: number;
  /** 2: the judge contradicts itself across orders; 1: the persona versions disagree; 0: the judge is sure. */
  uncertainty: number;
  reason: string;
  scores: number[];
}

/** A candidate as a pair whose "chosen" is response 1: the judge's answers then say which response it prefers in each order. */
function asPair(c: Candidate, i: number, userId: string): Pair {
  return {
    userId,
    pairId: `candidate-${i + 1}`,
    context: c.context,
    chosen: { role: 'assistant', content: c.responses[0] },
    rejected: { role: 'assistant', content: c.responses[1] },
    source: { file: '(candidates)', line: i + 1, endLine: i + 1 },
  } as Pair;
}

/** Which response the judge prefers in each order (1 or 2; null for no answer). */
export function preferred(v: PairVerdict): (1 | 2 | null)[] {
  return v.orders.map((o) => (o.preference === null ? null : o.correct ? 1 : 2));
}

export async function chooseMostInformative(
  model: ChatModel,
  userId: string,
  candidates: readonly Candidate[],
  systems: { current: string; previous?: string },
  opts: { temperature: number; seed: number; signal?: AbortSignal },
): Promise<InformativeChoice> {
  const call = { temperature: opts.temperature, seed: opts.seed, ...(opts.signal ? { signal: opts.signal } : {}) };
  const verdicts = await Promise.all(
    candidates.map((c, i) => judgePair(model, systems.current, asPair(c, i, userId), call)),
  );
  const previous = systems.previous
    ? await Promise.all(candidates.map((c, i) => judgePair(model, systems.previous!, asPair(c, i, userId), call)))
    : undefined;
  const scores = verdicts.map((v, i) => {
    if (pairFailed(v)) return -1; // a failed call says nothing about the judge
    const [ab, ba] = preferred(v);
    if (ab !== ba) return 2;
    const p = previous?.[i];
    if (p && !pairFailed(p)) {
      const [pab, pba] = preferred(p);
      if (pab === pba && pab !== ab) return 1;
    }
    return 0;
  });
  let index = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[index]!) index = i;
  const s = scores[index]!;
  const v = verdicts[index]!;
  const [ab, ba] = preferred(v);
  const reason =
    s === 2
      ? `the persona judge is unsure about this pair: it preferred response ${ab ?? 'none'} when it saw response 1 ` +
        `first, and response ${ba ?? 'none'} when it saw response 2 first`
      : s === 1
        ? `the current persona prefers response ${ab}, the previous version response ` +
          `${preferred(previous![index]!)[0]}: your answer tells them apart`
        : s === 0 && ab === null
          ? 'the persona judge named no response for any candidate (its answers could not be read); this is the first of them'
          : s === 0
            ? `the persona judge is sure about every candidate (it prefers response ${ab} here in both orders); this is the first of them`
            : 'no candidate could be judged (the judge calls failed); this is the first of them';
  return { index, uncertainty: Math.max(0, s), reason, scores };
}
