// Comparing two runs on the same pairs (e.g. a persona before and after a hand edit): a paired
// comparison over the pairs both runs judged (METHOD.md section 4). Its unit is the pair for one
// user and the user when the pairs belong to several: the difference's interval is cluster-robust
// over users (difference-interval.ts) and the test flips users' signs (paired-test.ts), so the
// printed p and the interval answer the same question ("users in general?").

import type { PairVerdict } from '../method/judge';
import {
  accuracyWithInterval,
  describeDifference,
  type DifferenceVerdict,
  differenceVerdict,
  pairedBootstrap,
  type Resampling,
} from './statistics';
import { pairedTest } from './paired-test';
import { readRun, runProblemLines, testSetOf, verdictKey, type RunContents } from './run-file';
import { comparisonPowerNote } from './sample-size';
import { UserError } from '../user-error';

export interface UserComparison {
  user: string;
  pairs: number;
  accuracyA: number;
  accuracyB: number;
  /** accuracyB - accuracyA over this user's order-samples. */
  difference: number;
}

export interface PairLevelTest {
  /** Pairs on which B scored higher than A (counted in pairs, not order-samples). */
  b01: number;
  /** Pairs on which A scored higher than B. */
  b10: number;
  discordant: number;
  /** Discordant pairs that differ in one order only. */
  halfDiscordant: number;
  p: number;
  /** 'exact' for pairs judged in one or two orders (always, in this studio). */
  method: 'exact' | 'monte-carlo';
  /** What p treats as independent: the pairs (one user) or the users (several). */
  unit: 'pairs' | 'users';
}

export interface Comparison {
  a: { run: string; method: string; accuracy: number; ci95: [number, number] };
  b: { run: string; method: string; accuracy: number; ci95: [number, number] };
  /** b - a, as a proportion. */
  difference: number;
  ci95: [number, number];
  /** The difference interval's unit: pairs (one user) or users. */
  resampling: Resampling;
  /** The exact sign-flip test: on pair differences for one user, on users' differences for several. */
  pairedTest: PairLevelTest;
  /**
   * The same counts and p as pairedTest, under the name older callers read (the extension's
   * revalidation and verdicts panel). It used to be McNemar over order-samples; it now counts
   * pairs, and its p is pairedTest's (over users when there are several).
   */
  mcnemar: { b01: number; b10: number; discordant: number; p: number };
  pairs: number;
  samples: number;
  /** Pairs judged in only one of the runs (left out of the comparison). */
  unmatched: number;
  /** Users whose accuracy went up, down, or stayed the same from A to B. */
  users: { improved: number; hurt: number; unchanged: number };
  perUser: UserComparison[];
  sentence: string;
  /** What the sentence concludes, for callers that act on it (the Testing panel): never parse the sentence. */
  verdict: DifferenceVerdict;
}

/** What compareRuns adds: what the two runs differ in besides what is compared, and what the pairs can show. */
export interface RunComparison extends Comparison {
  /** Reasons to doubt the comparison: an unfinished or incomplete run, runs that differ in more than one thing. */
  warnings: string[];
  /** The smallest difference this many pairs could show as significant (sample-size.ts). */
  power: string;
}

export type VerdictComparison = Omit<Comparison, 'a' | 'b'> & {
  accuracyA: number;
  accuracyB: number;
  ci95A: [number, number];
  ci95B: [number, number];
};

/**
 * Two runs on their common pairs, in sorted key order, each pair's orders aligned by name (not by their
 * position in the record): the samples every paired statistic works on, with the users as clusters.
 */
export function alignRuns(
  a: ReadonlyMap<string, PairVerdict>,
  b: ReadonlyMap<string, PairVerdict>,
): { keys: string[]; pa: boolean[][]; pb: boolean[][]; users: string[] } {
  const keys = [...a.keys()].filter((k) => b.has(k)).sort();
  const pa: boolean[][] = [];
  const pb: boolean[][] = [];
  const users: string[] = [];
  for (const k of keys) {
    const va = a.get(k)!;
    const ob = new Map(b.get(k)!.orders.map((o) => [o.order, o.correct]));
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
      users.push(va.userId);
    }
  }
  return { keys, pa, pb, users };
}

export function compareVerdicts(
  a: ReadonlyMap<string, PairVerdict>,
  b: ReadonlyMap<string, PairVerdict>,
  seed = 0,
): VerdictComparison {
  const { keys, pa, pb, users } = alignRuns(a, b);
  const unmatched = a.size + b.size - 2 * keys.length;
  const boot = pairedBootstrap(pa, pb, { seed, users });
  const accA = accuracyWithInterval(pa, { seed, users });
  const accB = accuracyWithInterval(pb, { seed, users });
  const test = pairedTest(pa, pb, { seed, users });
  const { perUser, users: outcomes } = outcomesOf(pa, pb, users);
  return {
    difference: boot.difference,
    ci95: [boot.low, boot.high],
    resampling: boot.resampling,
    pairedTest: {
      b01: test.b01,
      b10: test.b10,
      discordant: test.discordant,
      halfDiscordant: test.halfDiscordant,
      p: test.pValue,
      method: test.method,
      unit: test.unit ?? 'pairs',
    },
    mcnemar: { b01: test.b01, b10: test.b10, discordant: test.discordant, p: test.pValue },
    pairs: pa.length,
    samples: boot.samples,
    unmatched,
    users: outcomes,
    perUser,
    sentence: describeDifference(boot.difference, boot.low, boot.high, test.pValue),
    verdict: differenceVerdict(boot.low, boot.high, test.pValue),
    accuracyA: boot.accuracyA,
    accuracyB: boot.accuracyB,
    ci95A: [accA.low, accA.high],
    ci95B: [accB.low, accB.high],
  };
}

/** Two evaluations of one command (`eval --table` of several methods), compared as `compare` compares their run files. */
export function compareEvaluations(
  a: { verdicts: readonly PairVerdict[] },
  b: { verdicts: readonly PairVerdict[] },
  seed: number,
): VerdictComparison {
  const byKey = (vs: readonly PairVerdict[]) => new Map(vs.map((v) => [verdictKey(v.userId, v.pairId), v]));
  return compareVerdicts(byKey(a.verdicts), byKey(b.verdicts), seed);
}

/** Who improved, who was hurt (Comparison's `users` and `perUser`), without the bootstraps: the report's per-user outcomes. */
export function perUserOutcomes(
  a: ReadonlyMap<string, PairVerdict>,
  b: ReadonlyMap<string, PairVerdict>,
): Pick<Comparison, 'users' | 'perUser'> {
  const { pa, pb, users } = alignRuns(a, b);
  return outcomesOf(pa, pb, users);
}

function outcomesOf(
  pa: readonly boolean[][],
  pb: readonly boolean[][],
  users: readonly string[],
): Pick<Comparison, 'users' | 'perUser'> {
  const perUser = byUser(pa, pb, users);
  return {
    users: {
      improved: perUser.filter((u) => u.difference > 0).length,
      hurt: perUser.filter((u) => u.difference < 0).length,
      unchanged: perUser.filter((u) => u.difference === 0).length,
    },
    perUser,
  };
}

/** Per-user accuracies, sorted by user id. The sign of a difference comes from whole counts, so "unchanged" is exact. */
function byUser(pa: readonly boolean[][], pb: readonly boolean[][], users: readonly string[]): UserComparison[] {
  const tally = new Map<string, { pairs: number; samples: number; rightA: number; rightB: number }>();
  users.forEach((u, i) => {
    const t = tally.get(u) ?? { pairs: 0, samples: 0, rightA: 0, rightB: 0 };
    t.pairs++;
    t.samples += pa[i]!.length;
    t.rightA += pa[i]!.filter(Boolean).length;
    t.rightB += pb[i]!.filter(Boolean).length;
    tally.set(u, t);
  });
  return [...tally]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([user, t]) => ({
      user,
      pairs: t.pairs,
      accuracyA: t.rightA / t.samples,
      accuracyB: t.rightB / t.samples,
      difference: t.rightB === t.rightA ? 0 : (t.rightB - t.rightA) / t.samples,
    }));
}

/** The refusal of a file with no header, naming its first damaged line when there is one. */
export function noHeader(path: string, r: RunContents): string {
  const first = r.problems[0];
  return `${path}: not a run file (no header${first ? `; line ${first.line}: ${first.why}` : ''})`;
}

/** @param display how a run file's path is shown in the warnings about its skipped lines */
export async function compareRuns(
  pathA: string,
  pathB: string,
  display: (path: string) => string = (p) => p,
): Promise<RunComparison> {
  const [ra, rb] = await Promise.all([readRun(pathA), readRun(pathB)]);
  for (const [p, r] of [
    [pathA, ra],
    [pathB, rb],
  ] as const) {
    if (!r.header) throw new UserError(noHeader(p, r), 2);
  }
  const ha = ra.header!;
  const hb = rb.header!;
  // A run against itself would report a difference of exactly 0 as if it were a finding.
  if (ha.id === hb.id)
    throw new UserError(`${pathA} and ${pathB} are the same run (id ${ha.id}): nothing to compare`, 2);
  const c = compareVerdicts(ra.verdicts, rb.verdicts, ha.seed);
  if (c.pairs === 0) throw new UserError('the two runs have no pairs in common', 2);
  const { accuracyA, accuracyB, ci95A, ci95B, ...rest } = c;
  return {
    a: { run: pathA, method: ha.method, accuracy: accuracyA, ci95: ci95A },
    b: { run: pathB, method: hb.method, accuracy: accuracyB, ci95: ci95B },
    ...rest,
    // A damaged line is skipped, and said at its file and line.
    warnings: [
      ...runProblemLines(display(pathA), ra.problems),
      ...runProblemLines(display(pathB), rb.problems),
      ...runWarnings(ra, rb),
    ],
    power: comparisonPowerNote(c.pairs, ha.split === hb.split ? ha.split : 'common', c.perUser.length),
  };
}

/**
 * Runs judged on different pairs (the splits changed between them, or other users): said, and only their
 * common pairs are compared (alignRuns). Older files without a test set are taken by the pairs they judged.
 */
export function testSetWarning(ra: RunContents, rb: RunContents): string | undefined {
  if (testSetOf(ra) === testSetOf(rb)) return undefined;
  let common = 0;
  for (const k of ra.verdicts.keys()) if (rb.verdicts.has(k)) common++;
  return (
    `the runs were judged on different test sets: ${common} pairs in common of ${ra.verdicts.size} and ${rb.verdicts.size}; ` +
    'only the common pairs are compared'
  );
}

/** What makes a comparison of two runs doubtful, one sentence each. */
export function runWarnings(ra: RunContents, rb: RunContents): string[] {
  const out: string[] = [];
  for (const [label, r] of [
    ['A', ra],
    ['B', rb],
  ] as const) {
    if (!r.summary)
      out.push(
        `run ${label} is unfinished (interrupted, no summary): it covers only the pairs judged so far; run it again to finish it`,
      );
    else if (r.summary.complete === false)
      out.push(
        `run ${label} is incomplete: ${r.summary.failed?.calls ?? 'some'} call(s) failed and their pairs are left out; ` +
          'run it again to judge them',
      );
  }
  const ha = ra.header!;
  const hb = rb.header!;
  const sets = testSetWarning(ra, rb);
  if (sets) out.push(sets);
  for (const k of ['model', 'split', 'seed', 'temperature'] as const) {
    if (ha[k] !== hb[k])
      out.push(
        `the runs differ in ${k} (${String(ha[k])} vs ${String(hb[k])}): the difference is not only the method's or the persona's`,
      );
  }
  // An unsampled run is one sample per order.
  if ((ha.samples ?? 1) !== (hb.samples ?? 1))
    out.push(
      `the runs differ in samples per order (${ha.samples ?? 1} vs ${hb.samples ?? 1}): ` +
        "the difference is not only the method's or the persona's",
    );
  // When the persona is what changed, the prompts must not have changed too.
  const personaChanged = Object.keys({ ...ha.inputs, ...hb.inputs }).some(
    (k) =>
      k.startsWith('persona:') &&
      ha.inputs[k] !== undefined &&
      hb.inputs[k] !== undefined &&
      ha.inputs[k] !== hb.inputs[k],
  );
  const promptsChanged = Object.keys({ ...ha.inputs, ...hb.inputs }).filter(
    (k) =>
      !k.startsWith('persona:') &&
      ha.inputs[k] !== undefined &&
      hb.inputs[k] !== undefined &&
      ha.inputs[k] !== hb.inputs[k],
  );
  if (promptsChanged.length && (personaChanged || ha.method === hb.method))
    out.push(
      `the runs were made with different ${promptsChanged.join(', ')} prompt(s)` +
        `${personaChanged ? ' as well as different personas' : ''}: the difference is not the persona's alone`,
    );
  return out;
}
