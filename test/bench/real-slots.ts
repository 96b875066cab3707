// The `real` benchmark's second part: a fit plus an eval of three users of the example workspace (`--all`, so
// their calls interleave) through the built CLI against llama-server with 1, 2 and 4 parallel slots (continuous
// batching, one unified KV pool), each slot count on a fresh server. The fit runs once, with the most slots; every
// slot count evaluates the fitted users (slot-workload.ts). Per slot count: the calls, the prompt tokens computed
// and served from the prefix cache, the shares (overall, fit, eval), the eval's wall time, calls/s and ratio to
// 1 slot; then the multi-slot test's figures lines. `--slots=1,2,4` picks the slot counts. The smoke run keeps
// one user's validation split and no fit.

import { rmSync } from 'node:fs';
import type { EmbeddedModel } from '../../tools/embedded-model/llama-server';
import {
  runSlotWorkload,
  slotFiguresLines,
  slotWorkspace,
  SMOKE_WORKLOAD,
  THREE_USERS,
  tokenCounts,
  type SlotRun,
} from '../real-model/slot-workload';

export const DEFAULT_SLOTS = [1, 2, 4];
const SMOKE_SLOTS = [1, 2];

/** `--slots=1,2,4` among the bench's options; absent: `fallback`. */
export function slotsOption(args: readonly string[], fallback: readonly number[]): number[] {
  const given = args.find((a) => a.startsWith('--slots='));
  if (!given) return [...fallback];
  const slots = given
    .slice('--slots='.length)
    .split(',')
    .map((s) => Number(s.trim()));
  if (!slots.length || slots.some((n) => !Number.isInteger(n) || n < 1 || n > 64))
    throw new Error(`--slots takes slot counts separated by commas, e.g. --slots=1,2,4 (got "${given}")`);
  return [...new Set(slots)].sort((a, b) => a - b);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function benchRealSlots(
  model: EmbeddedModel,
  opts: { smoke: boolean; args: readonly string[]; logDir: string },
): Promise<void> {
  const slotCounts = slotsOption(opts.args, opts.smoke ? SMOKE_SLOTS : DEFAULT_SLOTS);
  const workload = opts.smoke ? SMOKE_WORKLOAD : THREE_USERS;
  const most = Math.max(...slotCounts);
  const pairs = THREE_USERS.pairs ? Object.values(THREE_USERS.pairs).join('/') : 'all';
  const full =
    `fit (${most} slots) + eval (persona+demos, every slot count) of ${THREE_USERS.users.join(', ')} ` +
    `(${pairs} context/validation/test pairs each), --all, ${THREE_USERS.model}`;
  console.log(
    `real slots: ${opts.smoke ? "ada's validation split, default method, no fit (smoke)" : full}; ` +
      'a fresh llama-server per slot count (ctx 16384, --kv-unified, continuous batching), --concurrency = slots',
  );
  // The most slots first: the fit runs there, then every slot count evaluates the fitted workspace (slot-workload.ts).
  const ws = await slotWorkspace(workload);
  const runs: SlotRun[] = [];
  try {
    for (const slots of [...slotCounts].sort((a, b) => b - a)) {
      const fit = slots === most && workload.fit !== undefined;
      const r = await runSlotWorkload(model, { slots, logDir: opts.logDir, workload, ws, fit });
      runs.push(r);
      console.log(`real slots: ${slots} slot(s) done${fit ? ' (fit and eval)' : ' (eval)'}`);
      for (const p of r.problems) console.log(`real slots:   ${slots} slot(s): ${p} (server log ${r.logPath})`);
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
  slotsTable(runs);
  for (const line of slotFiguresLines(runs)) console.log(`real slots: ${line}`);
  if (runs.some((r) => r.problems.length)) throw new Error('not every call completed (see above)');
}

/** One row a slot count, fewest first; throughput is the eval's (the same prompts for every slot count). */
function slotsTable(runs: readonly SlotRun[]): void {
  const cols: [string, number][] = [
    ['slots', 5],
    ['calls', 5],
    ['computed', 9],
    ['cached', 8],
    ['share', 6],
    ['fit share', 9],
    ['eval share', 10],
    ['eval s', 7],
    ['eval calls/s', 12],
    ['vs 1 slot', 9],
    ['completed', 9],
  ];
  const row = (cells: string[]) => console.log(`real slots: ${cells.map((c, i) => c.padStart(cols[i]![1])).join(' ')}`);
  row(cols.map(([h]) => h));
  const base = runs.find((x) => x.slots === 1);
  for (const r of [...runs].sort((a, b) => a.slots - b.slots)) {
    const t = tokenCounts(r);
    row([
      String(r.slots),
      String(r.calls.length),
      String(t.computed),
      String(t.cached),
      pct(r.share),
      r.fitShare === undefined ? '-' : pct(r.fitShare),
      pct(r.evalShare),
      (r.evalWallMs / 1000).toFixed(1),
      r.evalCallsPerS.toFixed(3),
      base ? (r.evalCallsPerS / base.evalCallsPerS).toFixed(2) : '-',
      r.problems.length ? 'NO' : 'all',
    ]);
  }
}
