// The comparison grid's benchmark: 10,000 pairs (100 users of 100) judged by 6 runs, laid side by side
// with each later run compared with the first (compare --grid). Goal: a view that opens at once, so
// no work beyond linear in pairs x runs plus the comparisons' bootstraps. Printed, never asserted.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../src/core/random';
import { buildComparisonGrid } from '../../src/core/eval/comparison-grid';
import { benchDir } from './bench-dir';

interface GridSize {
  users: number;
  pairsPerUser: number;
  runs: number;
}

const FULL: GridSize = { users: 100, pairsPerUser: 100, runs: 6 };
const SMOKE: GridSize = { users: 10, pairsPerUser: 10, runs: 3 };

function writeRuns(dir: string, withSummary: boolean, size: GridSize): string[] {
  const rng = createRng(1);
  const paths: string[] = [];
  for (let r = 0; r < size.runs; r++) {
    const users = Array.from({ length: size.users }, (_, u) => `user-${u}`);
    const lines = [
      JSON.stringify({
        type: 'header',
        version: 1,
        id: `run${r}`,
        method: 'default',
        split: 'test',
        provider: 'ollama',
        model: 'm',
        seed: 0,
        temperature: 0,
        users,
        created: new Date(2024, 0, 1, 0, r).toISOString(),
        inputs: { judge: `sha256:${r}` },
      }),
    ];
    for (const user of users) {
      for (let i = 0; i < size.pairsPerUser; i++) {
        const orders = (['AB', 'BA'] as const).map((order) => {
          const correct = rng() < 0.6 + 0.02 * r;
          const preference = correct === (order === 'AB') ? 'A' : 'B';
          return {
            order,
            preference,
            correct,
            reasoning: `Response ${preference} is shorter and answers pair ${i} directly.`,
          };
        });
        lines.push(
          JSON.stringify({
            type: 'verdict',
            userId: user,
            pairId: `${user}-${i}`,
            file: 'prefs.jsonl',
            line: i + 1,
            orders,
          }),
        );
      }
    }
    const pairs = size.users * size.pairsPerUser;
    if (withSummary)
      lines.push(
        JSON.stringify({
          type: 'summary',
          accuracy: 0.6,
          ci95: [0.59, 0.61],
          consistency: 0.5,
          samples: 2 * pairs,
          pairs,
          users: [],
          completed: new Date().toISOString(),
          complete: true,
        }),
      );
    const path = join(dir, `default-test-run${r}.run.jsonl`);
    writeFileSync(path, lines.join('\n') + '\n');
    paths.push(path);
  }
  return paths;
}

export async function benchGrid(opts: { smoke?: boolean } = {}): Promise<void> {
  const dir = benchDir('sm-bench-grid-');
  try {
    for (const withSummary of [true, false]) {
      const paths = writeRuns(dir, withSummary, opts.smoke ? SMOKE : FULL);
      const t0 = performance.now();
      const grid = await buildComparisonGrid(paths);
      const ms = performance.now() - t0;
      const flipped = grid.rows.filter((r) => r.flipped).length;
      console.log(
        `grid ${grid.rows.length.toLocaleString('en-US')} pairs x ${grid.runs.length} runs (${withSummary ? 'runs with summaries' : 'no summaries: every accuracy bootstrapped'}): ${ms.toFixed(0)} ms (${flipped} flipped rows)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
