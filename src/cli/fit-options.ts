// --k and --stop-score, read once for every command that fits or replays a fit (fit, bench run,
// revalidate, theta optimize), with the same checks and messages.

import { intOption, stringOption, type ParsedArgs } from './command';
import { DEFAULT_FIT_OPTIONS } from '../core/method/fit';
import { UsageError } from './usage-error';

/** Only what the command line says: undefined for an option not given (the caller has its own fallback). */
export function fitOptionOverrides(args: ParsedArgs): { k?: number; stopScore?: number } {
  const raw = stringOption(args, 'stop-score');
  const stopScore = raw === undefined ? undefined : Number(raw);
  if (stopScore !== undefined && !(stopScore > 0 && stopScore <= 1)) throw new UsageError(`--stop-score: expected a number in (0, 1], got "${raw}"`);
  const k = stringOption(args, 'k') !== undefined ? intOption(args, 'k', DEFAULT_FIT_OPTIONS.k, 0) : undefined;
  return { ...(k !== undefined ? { k } : {}), ...(stopScore !== undefined ? { stopScore } : {}) };
}

/** The fit's k and stop score: the command line's, else the fit's defaults. */
export function fitOptionsFrom(args: ParsedArgs): { k: number; stopScore: number } {
  const o = fitOptionOverrides(args);
  return { k: o.k ?? DEFAULT_FIT_OPTIONS.k, stopScore: o.stopScore ?? DEFAULT_FIT_OPTIONS.stopScore };
}
