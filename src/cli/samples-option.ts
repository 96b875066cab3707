// --samples K, read once for every command that judges (eval, bench run), with the same check and message; the
// workspace's `synthesizeme.samples` is the fallback, then one call per order.

import { intOption, stringOption, type OptionSpec, type ParsedArgs } from './command';
import { MAX_SAMPLES, SAMPLING_TEMPERATURE } from '../core/method';
import type { WorkspaceSettings } from '../core/workspace';
import { UsageError } from './usage-error';

export const samplesOptionSpec: OptionSpec = { samples: { type: 'string' } };

export const samplesOptionHelp =
  `  --samples K                judge each order K times (1-${MAX_SAMPLES}, default synthesizeme.samples, else 1) at a ` +
  `temperature above 0 (${SAMPLING_TEMPERATURE} when --temperature is 0) and aggregate: the majority letter, or the mean ` +
  `weighted sum for rubric scores; reports the samples' consistency. K times the calls; a reward model is not sampled`;

/** Samples per order: the command line's, else the workspace setting's, else 1. */
export function samplesFrom(args: ParsedArgs, settings: Pick<WorkspaceSettings, 'samples'>): number {
  const fallback = settings.samples ?? 1;
  if (stringOption(args, 'samples') === undefined) return fallback;
  const k = intOption(args, 'samples', fallback, 1);
  // A typo (--samples 300) would multiply the run's calls by hundreds.
  if (k > MAX_SAMPLES) throw new UsageError(`--samples: expected an integer from 1 to ${MAX_SAMPLES}, got "${k}"`);
  return k;
}
