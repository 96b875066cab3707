// --k, --stop-score and --labeled-demos, read once for every command that fits or replays a fit (fit, bench run,
// revalidate, theta optimize), with the same checks and messages.

import { intOption, stringOption, type ParsedArgs } from './command';
import { DEFAULT_FIT_OPTIONS, type FitKnobs } from '../core/method';
import { UsageError } from './usage-error';
import type { OptionSpec } from './command';

/** The options of the fit's search, for every command that fits or replays a fit. */
export const fitOptionSpec: OptionSpec = {
  k: { type: 'string' },
  'stop-score': { type: 'string' },
  'labeled-demos': { type: 'string' },
};

/** Their help lines; `what` says whose settings they are in that command. */
export function fitOptionHelp(what = 'fit options'): string {
  const { k, stopScore, labeledDemos } = DEFAULT_FIT_OPTIONS;
  return [
    `  --k N                      ${what}: random candidate demo sets besides the full one (default ${k})`,
    `  --stop-score X             ${what}: first candidate reaching this validation accuracy wins (default ${stopScore})`,
    `  --labeled-demos N          ${what}: the demo count; the labelled-only candidate has N raw labelled pairs, and`,
    `                             each candidate with fewer verified demonstrations is topped up to N ` +
      `(default ${labeledDemos}; 0: off)`,
  ].join('\n');
}

/** Only what the command line says: undefined for an option not given (the caller has its own fallback). */
export function fitOptionOverrides(args: ParsedArgs): Partial<FitKnobs> {
  const raw = stringOption(args, 'stop-score');
  const stopScore = raw === undefined ? undefined : Number(raw);
  if (stopScore !== undefined && !(stopScore > 0 && stopScore <= 1))
    throw new UsageError(`--stop-score: expected a number in (0, 1], got "${raw}"`);
  const k = stringOption(args, 'k') !== undefined ? intOption(args, 'k', DEFAULT_FIT_OPTIONS.k, 0) : undefined;
  const labeledDemos =
    stringOption(args, 'labeled-demos') !== undefined
      ? intOption(args, 'labeled-demos', DEFAULT_FIT_OPTIONS.labeledDemos, 0)
      : undefined;
  return {
    ...(k !== undefined ? { k } : {}),
    ...(stopScore !== undefined ? { stopScore } : {}),
    ...(labeledDemos !== undefined ? { labeledDemos } : {}),
  };
}

/** The fit's k, stop score and demo count: the command line's, else the fit's defaults. */
export function fitOptionsFrom(args: ParsedArgs): Required<FitKnobs> {
  const o = fitOptionOverrides(args);
  return {
    k: o.k ?? DEFAULT_FIT_OPTIONS.k,
    stopScore: o.stopScore ?? DEFAULT_FIT_OPTIONS.stopScore,
    labeledDemos: o.labeledDemos ?? DEFAULT_FIT_OPTIONS.labeledDemos,
  };
}
