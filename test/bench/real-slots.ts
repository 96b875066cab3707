// The `real` benchmark's second part: a fit plus an eval of three users of the example workspace (`--all`, so
// their calls interleave) through the built CLI against llama-server with 1, 2 and 4 parallel slots (continuous
// batching, one unified KV pool), each slot count on a fresh server. Per slot count: the calls, the prompt
// tokens computed and served from the prefix cache, the share, wall time, calls/s and the ratio to 1 slot.
// `--slots=1,2,4` picks the slot counts. The smoke run keeps one user's validation split and no fit.

import type { EmbeddedModel } from '../../tools/embedded-model/llama-server';
import {
  runSlotWorkload,
  slotFiguresLine,
  SMOKE_WORKLOAD,
  stageSharesLine,
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
  console.log(
    `real slots: ${opts.smoke ? "ada's validation split, default method, no fit (smoke)" : `fit + eval (persona+demos) of ada, bruno, chen, --all, ${THREE_USERS.model}`}; ` +
      'a fresh llama-server per slot count (ctx 16384, --kv-unified, continuous batching), --concurrency = slots',
  );
  const cols: [string, number][] = [
    ['slots', 5],
    ['calls', 5],
    ['computed', 9],
    ['cached', 8],
    ['share', 6],
    ['wall s', 7],
    ['calls/s', 8],
    ['vs 1 slot', 9],
    ['completed', 9],
  ];
  const row = (cells: string[]) => console.log(`real slots: ${cells.map((c, i) => c.padStart(cols[i]![1])).join(' ')}`);
  row(cols.map(([h]) => h));
  const runs: SlotRun[] = [];
  for (const slots of slotCounts) {
    const r = await runSlotWorkload(model, { slots, logDir: opts.logDir, workload });
    runs.push(r);
    const base = runs.find((x) => x.slots === 1);
    const t = tokenCounts(r);
    row([
      String(slots),
      String(r.calls.length),
      String(t.computed),
      String(t.cached),
      pct(r.share),
      (r.wallMs / 1000).toFixed(1),
      r.callsPerS.toFixed(3),
      base ? (r.callsPerS / base.callsPerS).toFixed(2) : '-',
      r.problems.length ? 'NO' : 'all',
    ]);
    for (const p of r.problems) console.log(`real slots:   ${slots} slot(s): ${p} (server log ${r.logPath})`);
  }
  const one = runs.find((r) => r.slots === 1);
  const many = runs.at(-1)!;
  if (one && many !== one) console.log(`real slots: ${slotFiguresLine(many, one)}`);
  console.log(`real slots: ${stageSharesLine(runs)}`);
  if (runs.some((r) => r.problems.length)) throw new Error('not every call completed (see above)');
}
