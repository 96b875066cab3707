// `npm run bench -- scale` (issue 25, item 4): four figures of a run at PRISM's scale, each as a ratio to its ideal.
// Printed, never asserted.
// 1. Wall time of a simulated fit plus eval across 1, 2, 4 and 8 replicas that model continuous batching
//    (scale-fleet.ts); ideal: n times faster on n replicas.
// 2. Prefix tokens computed again because a user moved to another replica, healthy and with one replica dying
//    mid-run; ideal: none when healthy, only the dead replica's unfinished users once each.
// 3. The client's heap while it makes 300,000 calls (the engine's client with its cache on disk, the server in a
//    worker thread so that its heap is not counted); ideal: flat.
// 4. Writing and reading back batch files of 300,000 lines (scale-batch-files.ts); ideal: a plain JSON loop.

import { rmSync } from 'node:fs';
import { createLlm } from '../../src/core/llm/client';
import { benchDir } from './bench-dir';
import { startBenchServer } from './bench-server';
import { benchBatchFiles } from './scale-batch-files';
import { runFleet, type FleetRun, type FleetShape } from './scale-fleet';

/** PRISM: 720 users, about 23 pairs each. The stages: bootstrap per context pair, persona, selection, eval. */
const FULL_FLEET: FleetShape = {
  users: 48,
  stages: [8, 1, 8, 16],
  prefixTokens: 2000,
  tailTokens: 150,
  baseMs: 200,
  perCallMs: 20,
  slots: 8,
};
const SMOKE_FLEET: FleetShape = { ...FULL_FLEET, users: 6, stages: [2, 1, 2, 3], baseMs: 5, perCallMs: 1 };
const ENDPOINTS = [1, 2, 4, 8];
/** The replica count of figure 2's runs. */
const FAIL_ENDPOINTS = 4;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (x: number) => x.toFixed(2);

function printWallTimes(shape: FleetShape, runs: FleetRun[]): void {
  const one = runs[0]!;
  console.log(
    `scale: PRISM-shaped fit + eval (stages of ${shape.stages.join('/')} calls per user, a ${fmt(shape.prefixTokens)}-token ` +
      `prefix per user), scaled to ${shape.users} users = ${fmt(one.calls)} calls; replicas of ${shape.slots} slots, ` +
      `latency ${shape.baseMs} ms + ${shape.perCallMs} ms per call running beside it`,
  );
  for (const r of runs) {
    const speedup = one.wallMs / r.wallMs;
    console.log(
      `scale: ${r.endpoints} endpoint${r.endpoints > 1 ? 's' : ' '}: wall ${(r.wallMs / 1000).toFixed(1).padStart(6)} s, ` +
        `speedup ${speedup.toFixed(2)}x vs 1, ratio to ideal (${r.endpoints}x) ${ratio(speedup / r.endpoints)}` +
        (r.failedCalls ? `, ${r.failedCalls} calls failed` : ''),
    );
  }
}

function printRecompute(label: string, r: FleetRun): void {
  const share = r.recomputedTokens / r.prefixTokens;
  const ideal =
    r.idealRecomputedTokens === 0
      ? r.recomputedTokens === 0
        ? 'ratio to ideal 1.00 (ideal 0)'
        : `ideal 0, ${fmt(r.recomputedTokens)} over it`
      : `ideal ${fmt(r.idealRecomputedTokens)}, ratio to ideal ${ratio(r.recomputedTokens / r.idealRecomputedTokens)}`;
  console.log(
    `scale: recomputed prefix tokens, ${label}: ${fmt(r.recomputedTokens)} / ${fmt(r.prefixTokens)} = ` +
      `${(100 * share).toFixed(2)}%; ${ideal}${r.failedCalls ? `; ${r.failedCalls} calls failed` : ''}`,
  );
}

async function fleetFigures(smoke: boolean): Promise<void> {
  const shape = smoke ? SMOKE_FLEET : FULL_FLEET;
  const runs: FleetRun[] = [];
  for (const endpoints of ENDPOINTS) runs.push(await runFleet(shape, { endpoints }, smoke));
  printWallTimes(shape, runs);
  printRecompute(`${FAIL_ENDPOINTS} replicas, healthy`, runs[ENDPOINTS.indexOf(FAIL_ENDPOINTS)]!);
  const failing = await runFleet(shape, { endpoints: FAIL_ENDPOINTS, failAt: 0.5 }, smoke);
  printRecompute(`${FAIL_ENDPOINTS} replicas, one dies at 50% of the calls`, failing);
  // What the affinity saves: the same healthy run with every call to the least busy replica.
  const scattered = await runFleet(shape, { endpoints: FAIL_ENDPOINTS, noAffinity: true }, smoke);
  printRecompute(`${FAIL_ENDPOINTS} replicas, healthy, no affinity (for comparison)`, scattered);
  // What a user's first call sent alone saves: the prefix computed again by calls of one user in flight together
  // on one replica, before any of them was answered (the same healthy run without it).
  const together = await runFleet(shape, { endpoints: FAIL_ENDPOINTS, prefixWarmup: false }, smoke);
  const healthy = runs[ENDPOINTS.indexOf(FAIL_ENDPOINTS)]!;
  const pct = (r: FleetRun) =>
    `${fmt(r.duplicateTokens)} (${((100 * r.duplicateTokens) / r.prefixTokens).toFixed(2)}%)`;
  console.log(
    `scale: prefix tokens computed again by one user's calls in flight together, ${FAIL_ENDPOINTS} replicas, healthy: ` +
      `first call alone ${pct(healthy)}, moved ${fmt(healthy.recomputedTokens)}, wall ${(healthy.wallMs / 1000).toFixed(1)} s; ` +
      `all at once ${pct(together)}, moved ${fmt(together.recomputedTokens)}, wall ${(together.wallMs / 1000).toFixed(1)} s; ideal 0`,
  );
}

const heapMb = () => {
  global.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};

/**
 * Figure 3: the heap after 10%, 50% and 100% of `calls` small calls through the engine's client, with its response
 * cache and without: the cache keeps an index entry per answer in memory (its answers stay on disk), so with it the
 * heap grows by that index, and without it the client alone should stay flat.
 */
async function memoryFigure(calls: number, cache: boolean): Promise<void> {
  const server = await startBenchServer('openai', 0);
  const cacheDir = benchDir('sm-bench-scale-cache-');
  const llm = createLlm(
    { provider: 'openai', baseUrls: [server.url], model: 'gpt-4o-mini', stream: false, concurrency: 16 },
    cache ? { cacheDir, apiKey: 'sk-bench' } : { noCache: true, apiKey: 'sk-bench' },
  );
  const marks = [0.1, 0.5, 1].map((share) => Math.round(share * calls));
  const samples: { calls: number; mb: number }[] = [];
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  try {
    // A bounded number of callers, each making its calls one after another: 300,000 promises at once would be the
    // bench's own memory, not the client's.
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < calls; i = next++) {
          await llm.chat({
            messages: [
              { role: 'system', content: `You judge for user-${i % 720}.` },
              { role: 'user', content: `Pair ${i}: a direct answer, or a longer, friendlier one?` },
            ],
            temperature: 0,
            affinity: `user-${i % 720}`,
          });
          done++;
          if (done === marks[samples.length]) samples.push({ calls: done, mb: heapMb() });
        }
      }),
    );
  } finally {
    await llm.dispose();
    await server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const per100k = ((last.mb - first.mb) / (last.calls - first.calls)) * 100_000;
  console.log(
    `scale: client heap over ${fmt(calls)} calls (${cache ? 'response cache on, its answers on disk' : 'no response cache'}, ` +
      `server in a ${server.where}, ${fmt(calls / seconds)} calls/s): ` +
      samples.map((s) => `${fmt(s.calls)}: ${s.mb.toFixed(1)} MB`).join(', ') +
      `; growth ${per100k.toFixed(2)} MB per 100,000 calls; last/first ${ratio(last.mb / first.mb)} (ideal 1.00)` +
      (global.gc ? '' : ' (run with --expose-gc for exact figures)'),
  );
}

async function batchFigure(lines: number): Promise<void> {
  const f = await benchBatchFiles(lines);
  const rate = (ms: number) => fmt((f.lines / ms) * 1000);
  console.log(
    `scale: batch files of ${fmt(f.lines)} lines (input ${(f.inputBytes / 1048576).toFixed(0)} MB): ` +
      `write ${rate(f.writeMs)} lines/s (ratio to a JSON.stringify loop ${ratio(f.idealWriteMs / f.writeMs)}), ` +
      `read back ${rate(f.readMs)} lines/s (ratio to a JSON.parse loop ${ratio(f.idealReadMs / f.readMs)}); ` +
      `${fmt(f.answered)} answers placed, ${fmt(f.failed)} failed lines`,
  );
}

export async function benchScale(opts: { smoke?: boolean } = {}): Promise<void> {
  const smoke = opts.smoke ?? false;
  await fleetFigures(smoke);
  await memoryFigure(smoke ? 2_000 : 300_000, false);
  await memoryFigure(smoke ? 2_000 : 300_000, true);
  await batchFigure(smoke ? 2_000 : 300_000);
}
