// What a number of pairs can and cannot show, said before anyone reads too much into a figure.
//
// The paired test works on pairs (METHOD.md: the two orders of a pair are one observation). An exact
// two-sided sign or sign-flip test needs at least 6 pairs that differ, all one way, for p < 0.05
// (2 * 0.5^6 = 0.031; with 5 it is 0.0625). A pair differs by at most 1 (0 -> 1) and at least 0.5
// (one order flipped), so with N pairs no difference below 3/N can be significant, and with fewer
// than 6 pairs none at all. With several users the test's unit is the user (paired-test.ts): its
// smallest p is 2 / 2^U, so with fewer than 6 users no difference can be significant.
//
// This file is also the one home of how an accuracy and its interval are written for people
// (accuracyHeadline): the CLI, the notifications, the inspector and the webviews all call it, so
// "n pairs, too few to tell" reads the same everywhere.

import { percent, percentPoints } from '../percent';
import { wilsonInterval } from './statistics';

/** The fewest pairs that must differ, all in one direction, for an exact two-sided test to reach p < 0.05. */
export const MIN_DISCORDANT_FOR_SIGNIFICANCE = 6;

/** Below this many pairs an accuracy interval is too wide to say much: the figure gets a warning. */
export const SMALL_SAMPLE_PAIRS = 10;

/** The fewest users that must all move one way for the test over users to reach p < 0.05 (2 / 2^6 = 0.031). */
export const MIN_USERS_FOR_SIGNIFICANCE = 6;

/**
 * The smallest paired difference (as a fraction) N pairs could show as significant, or undefined when
 * none can: too few pairs, or (with `users` >= 2, when the test is over users) too few users.
 */
export function smallestDetectableDifference(pairs: number, users = 1): number | undefined {
  if (pairs < MIN_DISCORDANT_FOR_SIGNIFICANCE) return undefined;
  if (users >= 2 && users < MIN_USERS_FOR_SIGNIFICANCE) return undefined;
  return (MIN_DISCORDANT_FOR_SIGNIFICANCE * 0.5) / pairs;
}

/** One sentence for a comparison over `pairs` pairs of `users` user(s) (a re-validation, `compare`), before its result. */
export function comparisonPowerNote(pairs: number, split: string, users = 1): string {
  const d = smallestDetectableDifference(pairs, users);
  if (d === undefined && pairs >= MIN_DISCORDANT_FOR_SIGNIFICANCE) {
    return (
      `with ${users} users no difference can be significant: the test is over users, ` +
      `and it needs at least ${MIN_USERS_FOR_SIGNIFICANCE} that all move the same way`
    );
  }
  if (d === undefined)
    return `with ${pairs} ${split} pair(s) no difference can be significant: evaluate on more pairs or the test split`;
  return `with ${pairs} ${split} pair(s), no difference below ${percentPoints(d)} points can be significant`;
}

/** A warning for an accuracy over few pairs (none for enough pairs). */
export function smallSampleNote(pairs: number): string | undefined {
  if (pairs === 0) return 'no pairs were judged: there is no accuracy to report';
  if (pairs < SMALL_SAMPLE_PAIRS)
    return (
      `only ${pairs} pair(s): an accuracy over so few pairs says little (its interval is wide, ` +
      `and ${pairs === 1 ? 'one pair gives 0%, 50% or 100%' : 'a single pair moves it a lot'}); evaluate on more pairs`
    );
  return undefined;
}

/** An interval in percent, e.g. "95% CI 43.8 to 100.0". */
export function intervalText(ci: readonly [number, number], digits = 1): string {
  return `95% CI ${percentPoints(ci[0], digits)} to ${percentPoints(ci[1], digits)}`;
}

/**
 * An accuracy as people read it, everywhere (CLI, notifications, inspector, grid, Verdicts):
 * "71.3% (95% CI 65.0 to 77.1)", or under SMALL_SAMPLE_PAIRS pairs the interval first, after the
 * words that say what it means: "3 pairs, too few to tell: 95% CI 43.8 to 100.0 (100.0%)".
 * `ci` may be missing (a figure stored without one); then, with the correct count known, the Wilson
 * interval over pairs is shown, so a small figure never reads as certain.
 */
export function accuracyHeadline(
  accuracy: number,
  ci: readonly [number, number] | null | undefined,
  pairs: number,
  digits = 1,
): string {
  if (!Number.isFinite(accuracy)) return 'n/a';
  const shown = ci ?? (pairs > 0 ? wilsonInterval(accuracy * pairs, pairs) : undefined);
  const value = percent(accuracy, digits);
  if (pairs < SMALL_SAMPLE_PAIRS) {
    const interval = shown ? `: ${intervalText(shown, digits)}` : '';
    return `${pairs} pair${pairs === 1 ? '' : 's'}, too few to tell${interval} (${value})`;
  }
  return shown ? `${value} (${intervalText(shown, digits)})` : value;
}

/** A rate for display: a percentage, or "n/a" when there is nothing to divide (never "NaN%"). */
export function rateText(x: number, digits = 1): string {
  return Number.isFinite(x) ? percent(x, digits) : 'n/a';
}
