// What every benchmark job takes from VS Code: the folder's workspace, users, prompts, model and sampling
// settings with the default fit parameters, and progress and notes wired to the run.

import { type BenchHooks, type BenchJobInputs } from '../../core/bench';
import { DEFAULT_FIT_OPTIONS } from '../../core/method';
import type { Ctx } from '../ctx';
import type { RunReport } from '../run-progress';
import type { RunInputs } from './run-inputs';

export function benchJobInputs(inputs: RunInputs): BenchJobInputs {
  return {
    layout: inputs.layout,
    prompts: inputs.prompts,
    users: inputs.index.users(),
    seed: inputs.seed,
    temperature: inputs.temperature,
    k: DEFAULT_FIT_OPTIONS.k,
    stopScore: DEFAULT_FIT_OPTIONS.stopScore,
  };
}

export function benchHooks(ctx: Ctx, tag: string, signal: AbortSignal, report: RunReport): BenchHooks {
  return {
    signal,
    onProgress: (label, done, total) => report(done, total, `${label}: ${done} of ${total}`),
    onNote: (m) => ctx.log.warn(tag, m),
  };
}
