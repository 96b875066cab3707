// One small preference pair, and a verdict on one, for tests that need them but not a workspace.
import type { Pair } from '../../src/core/data/pair';
import type { PairVerdict } from '../../src/core/method/judge';

export function samplePair(overrides: Partial<Pair> = {}): Pair {
  return {
    userId: 'u',
    pairId: 'p1',
    context: [{ role: 'user', content: 'How do I reverse a list?' }],
    chosen: { role: 'assistant', content: 'xs[::-1]' },
    rejected: { role: 'assistant', content: 'Great question! There are many ways.' },
    split: 'test',
    source: { file: 'u.prefs.jsonl', line: 1, column: 1, endLine: 1 },
    ...overrides,
  } as Pair;
}

/** A pair's verdict in both orders, right or wrong in each as given (AB first). */
export function sampleVerdict(userId: string, pairId: string, correct: [boolean, boolean]): PairVerdict {
  return {
    userId,
    pairId,
    file: 'pairs.jsonl',
    line: 1,
    orders: [
      { order: 'AB', preference: correct[0] ? 'A' : 'B', correct: correct[0], reasoning: '' },
      { order: 'BA', preference: correct[1] ? 'B' : 'A', correct: correct[1], reasoning: '' },
    ],
  };
}
