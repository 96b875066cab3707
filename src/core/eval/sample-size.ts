// What a number of pairs can and cannot show, said before anyone reads too much into a figure.
//
// The paired test works on pairs (METHOD.md: the two orders of a pair are one observation). An exact
// two-sided sign or sign-flip test needs at least 6 pairs that differ, all one way, for p < 0.05
// (2 * 0.5^6 = 0.031; with 5 it is 0.0625). A pair differs by at most 1 (0 -> 1) and at least 0.5
// (one order flipped), so with N pairs no difference below 3/N can be significant, and with fewer
// than 6 pairs none at all.

/** The fewest pairs that must differ, all in one direction, for an exact two-sided test to reach p < 0.05. */
export const MIN_DISCORDANT_FOR_SIGNIFICANCE = 6;

/** Below this many pairs an accuracy interval is too wide to say much: the figure gets a warning. */
export const SMALL_SAMPLE_PAIRS = 10;

/** The smallest paired difference (as a fraction) N pairs could show as significant, or undefined when none can. */
export function smallestDetectableDifference(pairs: number): number | undefined {
  if (pairs < MIN_DISCORDANT_FOR_SIGNIFICANCE) return undefined;
  return (MIN_DISCORDANT_FOR_SIGNIFICANCE * 0.5) / pairs;
}

/** One sentence for a comparison over `pairs` pairs (a re-validation, `compare`), before its result. */
export function comparisonPowerNote(pairs: number, split: string): string {
  const d = smallestDetectableDifference(pairs);
  if (d === undefined) return `with ${pairs} ${split} pair(s) no difference can be significant: evaluate on more pairs or the test split`;
  return `with ${pairs} ${split} pair(s), no difference below ${(100 * d).toFixed(1)} points can be significant`;
}

/** A warning for an accuracy over few pairs (none for enough pairs). */
export function smallSampleNote(pairs: number): string | undefined {
  if (pairs === 0) return 'no pairs were judged: there is no accuracy to report';
  if (pairs < SMALL_SAMPLE_PAIRS) return `only ${pairs} pair(s): an accuracy over so few pairs says little (its interval is wide, and ${pairs === 1 ? 'one pair gives 0%, 50% or 100%' : 'a single pair moves it a lot'}); evaluate on more pairs`;
  return undefined;
}

/** A rate for display: a percentage, or "n/a" when there is nothing to divide (never "NaN%"). */
export function rateText(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : 'n/a';
}
