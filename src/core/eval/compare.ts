// Comparing two runs on the same pairs (e.g. a persona before and after a hand edit): a paired
// comparison over the order-samples both runs judged (METHOD.md section 4).

import type { PairVerdict } from '../method/judge';
import { describeDifference, mcnemarExact, pairedBootstrap } from './statistics';
import { readRun } from './run-file';
import { UserError } from '../user-error';

export interface Comparison {
  a: { run: string; method: string; accuracy: number };
  b: { run: string; method: string; accuracy: number };
  /** b - a, as a proportion. */
  difference: number;
  ci95: [number, number];
  mcnemar: { b01: number; b10: number; discordant: number; p: number };
  pairs: number;
  samples: number;
  /** Pairs judged in only one of the runs (left out of the comparison). */
  unmatched: number;
  sentence: string;
}

export function compareVerdicts(a: ReadonlyMap<string, PairVerdict>, b: ReadonlyMap<string, PairVerdict>, seed = 0): Omit<Comparison, 'a' | 'b'> & { accuracyA: number; accuracyB: number } {
  const keys = [...a.keys()].filter((k) => b.has(k)).sort();
  const unmatched = a.size + b.size - 2 * keys.length;
  const pa: boolean[][] = [];
  const pb: boolean[][] = [];
  for (const k of keys) {
    const va = a.get(k)!;
    const vb = b.get(k)!;
    // Align by order, not by position in the record.
    const ob = new Map(vb.orders.map((o) => [o.order, o.correct]));
    const rowA: boolean[] = [];
    const rowB: boolean[] = [];
    for (const o of va.orders) {
      const other = ob.get(o.order);
      if (other === undefined) continue;
      rowA.push(o.correct);
      rowB.push(other);
    }
    if (rowA.length) {
      pa.push(rowA);
      pb.push(rowB);
    }
  }
  const boot = pairedBootstrap(pa, pb, { seed });
  const mc = mcnemarExact(pa.flat(), pb.flat());
  return {
    difference: boot.difference,
    ci95: [boot.low, boot.high],
    mcnemar: { b01: mc.b01, b10: mc.b10, discordant: mc.discordant, p: mc.pValue },
    pairs: pa.length,
    samples: pa.flat().length,
    unmatched,
    sentence: describeDifference(boot.difference, boot.low, boot.high, mc.pValue),
    accuracyA: boot.accuracyA,
    accuracyB: boot.accuracyB,
  };
}

export async function compareRuns(pathA: string, pathB: string): Promise<Comparison> {
  const [ra, rb] = await Promise.all([readRun(pathA), readRun(pathB)]);
  for (const [p, r] of [[pathA, ra], [pathB, rb]] as const) {
    if (!r.header) throw new UserError(`${p}: not a run file (no header)`, 2);
  }
  const c = compareVerdicts(ra.verdicts, rb.verdicts, ra.header!.seed);
  if (c.pairs === 0) throw new UserError('the two runs have no pairs in common', 2);
  const { accuracyA, accuracyB, ...rest } = c;
  return {
    a: { run: pathA, method: ra.header!.method, accuracy: accuracyA },
    b: { run: pathB, method: rb.header!.method, accuracy: accuracyB },
    ...rest,
  };
}
