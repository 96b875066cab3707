// Issue 2's benchmark: index a generated workspace of 100,000 pairs over 1,000 users (about
// PRISM's raw size). Goal: under 2 s and under 4x the bytes on disk in memory.

import { openSync, writeSync, closeSync, rmSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorkspace } from '../../src/core/data/load-workspace';
import { createRng, randomInt } from '../../src/core/random';
import { benchDir } from './bench-dir';

const WORDS =
  'the a answer question step list source formal concise detail example code recipe travel budget health science history because however therefore first second finally consider'.split(
    ' ',
  );

function sentence(rng: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[randomInt(rng, WORDS.length)]!);
  return out.join(' ') + '.';
}

export function generateWorkspace(dir: string, users: number, pairsPerUser: number, usersPerFile = 10): number {
  const rng = createRng(42);
  let bytes = 0;
  for (let f = 0; f < users / usersPerFile; f++) {
    const path = join(dir, `batch-${String(f).padStart(4, '0')}.prefs.jsonl`);
    const fd = openSync(path, 'w');
    let chunk = '';
    for (let u = 0; u < usersPerFile; u++) {
      const user = `user-${f * usersPerFile + u}`;
      for (let i = 0; i < pairsPerUser; i++) {
        chunk +=
          JSON.stringify({
            user_id: user,
            pair_id: `${user}-${i}`,
            context: [{ role: 'user', content: sentence(rng, 12) }],
            chosen: sentence(rng, 40),
            rejected: sentence(rng, 40),
          }) + '\n';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    bytes += statSync(path).size;
  }
  return bytes;
}

/**
 * One timed load. The index lives only in this call's frame: an index kept in a loop variable
 * of the caller stays reachable until the next iteration overwrites it, and the next run's
 * baseline would then count it.
 */
async function loadOnce(dir: string, files: number, size: Size): Promise<{ ms: number; heap: number; pairs: number }> {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const index = await loadWorkspace([dir], { cwd: dir });
  const users = index.users(); // includes the splits
  const ms = performance.now() - t0;
  global.gc?.();
  // Measured while the index is alive: what a session holding the workspace costs.
  const heap = process.memoryUsage().heapUsed - heap0;
  const pairs = users.reduce((n, u) => n + u.pairs.length, 0);
  if (index.fileNames().length !== files) throw new Error('index bench: files missing');
  const expected = size.users * size.pairsPerUser;
  if (users.length !== size.users || pairs !== expected) {
    throw new Error(`index bench: expected ${size.users} users / ${expected} pairs, got ${users.length} / ${pairs}`);
  }
  return { ms, heap, pairs };
}

interface Size {
  users: number;
  pairsPerUser: number;
}

export async function benchIndex(opts: { smoke?: boolean } = {}): Promise<void> {
  const size: Size = opts.smoke ? { users: 50, pairsPerUser: 20 } : { users: 1000, pairsPerUser: 100 };
  const dir = benchDir('sm-bench-index-');
  try {
    const bytes = generateWorkspace(dir, size.users, size.pairsPerUser);
    const files = readdirSync(dir).length;
    const runs: { ms: number; heap: number; pairs: number }[] = [];
    for (let r = 0; r < 3; r++) runs.push(await loadOnce(dir, files, size));
    const pairs = runs[0]!.pairs;
    runs.sort((a, b) => a.ms - b.ms);
    const median = runs[1]!;
    console.log(
      `index: ${pairs} pairs, ${size.users} users, ${files} files, ${(bytes / 1048576).toFixed(1)} MB on disk${opts.smoke ? ' (smoke)' : ''}`,
    );
    console.log(
      `index: median ${median.ms.toFixed(0)} ms over 3 runs (goal < 2000 ms), ${Math.round(pairs / (median.ms / 1000))} pairs/s`,
    );
    console.log(
      `index: retained heap ${(median.heap / 1048576).toFixed(1)} MB = ${(median.heap / bytes).toFixed(2)}x the bytes on disk (goal < 4x)${global.gc ? '' : ' (run with --expose-gc for exact figures)'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
