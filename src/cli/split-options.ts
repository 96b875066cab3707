// --splits, --seed, --temporal, --min-pairs: shared by every command that reads a workspace.

import type { OptionSpec, ParsedArgs } from './command';
import { flag, intOption, stringOption } from './command';
import { DEFAULT_SPLIT_OPTIONS, type SplitOptions } from '../core/data';
import { UsageError } from './usage-error';

export const splitOptionSpec: OptionSpec = {
  splits: { type: 'string' },
  seed: { type: 'string' },
  temporal: { type: 'boolean' },
  'min-pairs': { type: 'string' },
};

export const splitOptionHelp = `  --splits C/V/T      context/validation/test ratios for pairs without a split (default 50/20/30)
  --seed N            seed of each pair's split, which follows the seed, its user and its id (default 0)
  --temporal          keep file order instead (earliest pairs become context; its boundaries move as
                      pairs are added)
  --min-pairs N       users with fewer pairs are reported as too small to split (default 5)`;

export function parseRatios(text: string, option = '--splits'): [number, number, number] {
  const parts = text.split(/[/:,]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n) || n < 0) || parts.every((n) => n === 0)) {
    throw new UsageError(`${option}: expected three non-negative numbers like 50/20/30, got "${text}"`);
  }
  return parts as [number, number, number];
}

export function splitOptionsFrom(args: ParsedArgs): SplitOptions {
  const ratios = stringOption(args, 'splits');
  return {
    ratios: ratios ? parseRatios(ratios) : DEFAULT_SPLIT_OPTIONS.ratios,
    seed: intOption(args, 'seed', DEFAULT_SPLIT_OPTIONS.seed),
    temporal: flag(args, 'temporal'),
    minPairs: intOption(args, 'min-pairs', DEFAULT_SPLIT_OPTIONS.minPairs, 1),
  };
}
