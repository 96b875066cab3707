// One small preference pair for tests that need a pair but not a workspace.
import type { Pair } from '../../src/core/data/pair';

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
