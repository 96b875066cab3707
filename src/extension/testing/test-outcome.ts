// How a Testing panel item ends, decided by the engine's paired comparison (its verdict field, never its
// sentence's words): a significant drop fails, too few pairs to tell is skipped with the reason, anything
// else passes. No `vscode` here, so the rule is unit-tested in plain Node.

import { accuracyHeadline, comparisonPowerNote, type DifferenceVerdict, SMALL_SAMPLE_PAIRS } from '../../core/eval';

export type TestState = 'passed' | 'failed' | 'skipped' | 'errored';

export interface TestOutcome {
  state: TestState;
  /** One or two sentences for the Test Results view: the engine's sentence with its interval, or why skipped. */
  text: string;
  /** The runs behind the outcome: the grid (two runs) or the Verdicts view (one) opens them. */
  runs: string[];
}

/** One side of a comparison as the message names it: what was judged and its figures. */
export interface ComparedSide {
  name: string;
  accuracy: number;
  ci95: readonly [number, number];
}

/** What the outcome needs of a comparison: the engine's fields (compare.ts Comparison). */
export interface ComparedRuns {
  verdict: DifferenceVerdict;
  difference: number;
  sentence: string;
  /** Pairs judged on both sides. */
  pairs: number;
  /** Users the pairs belong to (the paired test is over users when there are several). */
  users: number;
  split: string;
  /** The side compared against (the previous version, the baseline) and the side under test. */
  before: ComparedSide;
  after: ComparedSide;
  runs: string[];
}

/**
 * A significant drop is a failure whatever the count (significance already allowed for it); below
 * SMALL_SAMPLE_PAIRS pairs a result that is not a significant drop says too little to pass.
 */
export function comparisonOutcome(c: ComparedRuns): TestOutcome {
  const figures =
    `${c.after.name} ${accuracyHeadline(c.after.accuracy, c.after.ci95, c.pairs)} vs ` +
    `${c.before.name} ${accuracyHeadline(c.before.accuracy, c.before.ci95, c.pairs)}`;
  const said = `${figures}: ${c.sentence}`;
  if (c.verdict === 'significant' && c.difference < 0) return { state: 'failed', text: said, runs: c.runs };
  if (c.pairs < SMALL_SAMPLE_PAIRS) {
    const why = `too few pairs to tell (${c.pairs} of at least ${SMALL_SAMPLE_PAIRS}; ${comparisonPowerNote(c.pairs, c.split, c.users)})`;
    return { state: 'skipped', text: `${why}. ${said}`, runs: c.runs };
  }
  return { state: 'passed', text: said, runs: c.runs };
}

/** An item that ran but compared nothing (no earlier version, no pairs): skipped, with the reason. */
export function skippedOutcome(reason: string, runs: string[] = []): TestOutcome {
  return { state: 'skipped', text: reason, runs };
}
