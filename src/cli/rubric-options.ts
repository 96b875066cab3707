// --rubric-context, read once for every command that evaluates a rubric method (eval, bench run), with the same
// check and message; the workspace's `synthesizeme.rubric.contextPairs` is the fallback, then the method's default.

import { intOption, stringOption, type OptionSpec, type ParsedArgs } from './command';
import { DEFAULT_RUBRIC_CONTEXT } from '../core/method';
import type { WorkspaceSettings } from '../core/workspace';

export const rubricOptionSpec: OptionSpec = { 'rubric-context': { type: 'string' } };

export const rubricOptionHelp =
  `  --rubric-context N         rubric, rubric+persona: how many of each user's context pairs the judge reads ` +
  `(default synthesizeme.rubric.contextPairs, else ${DEFAULT_RUBRIC_CONTEXT})`;

/** The context size of a rubric judge: the command line's, else the workspace setting's, else the default. */
export function rubricContextFrom(args: ParsedArgs, settings: Pick<WorkspaceSettings, 'rubricContextPairs'>): number {
  const fallback = settings.rubricContextPairs ?? DEFAULT_RUBRIC_CONTEXT;
  return stringOption(args, 'rubric-context') !== undefined ? intOption(args, 'rubric-context', fallback, 1) : fallback;
}
