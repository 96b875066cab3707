// Benchmark: Run Methods...: the engine's whole-benchmark run on the workspace with the current
// model (every user fitted into personas/<model>/, each method evaluated on the test pairs, each
// compared with default). The results table is written as Markdown to .synthesizeme/bench/.

import * as vscode from 'vscode';
import { isMethod, isRewardMethod, type Method, METHODS } from '../../core/method';
import type { RewardModel } from '../../core/llm';
import { benchReportFile, type BenchRunResult, estimateBench, prepareBench, runBench } from '../../core/bench';
import type { Ctx } from '../ctx';
import { openMarkdownReport } from './bench-files';
import { benchHooks, benchJobInputs } from './bench-job-inputs';
import { type RunInputs, runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { percent } from '../../core/percent';

export interface BenchRunOutcome {
  result: BenchRunResult;
  report: string;
}

async function methodsFrom(arg: unknown): Promise<Method[] | undefined> {
  const given = (arg as { methods?: unknown } | undefined)?.methods;
  if (Array.isArray(given)) {
    const bad = given.filter((m) => typeof m !== 'string' || !isMethod(m));
    if (bad.length || !given.length) throw new UserError(`methods: expected some of ${METHODS.join(', ')}`);
    return given as Method[];
  }
  const picks = await vscode.window.showQuickPick(
    METHODS.map((m) => ({ label: m, picked: m === 'default' || m === 'persona+demos' })),
    { title: 'Benchmark: which methods?', canPickMany: true },
  );
  if (!picks?.length) return undefined;
  return picks.map((p) => p.label as Method);
}

export async function benchRunCommand(ctx: Ctx, arg: unknown): Promise<BenchRunOutcome | undefined> {
  const methods = await methodsFrom(arg);
  if (!methods) return undefined;
  const folder = await ctx.folders.choose(arg, 'Benchmark: which folder?');
  if (!folder) return undefined;
  const inputs = await runInputs(folder);
  const users = inputs.index.users();
  // The reward methods' scorer (synthesizeme.reward.*), disposed with the run.
  const reward = methods.some(isRewardMethod) ? await folder.model.openReward() : undefined;
  try {
    return await benchWith(ctx, { inputs, methods, users: users.length, ...(reward ? { reward } : {}) });
  } finally {
    await reward?.dispose();
  }
}

async function benchWith(
  ctx: Ctx,
  run: { inputs: RunInputs; methods: Method[]; users: number; reward?: RewardModel },
): Promise<BenchRunOutcome> {
  const { inputs, methods } = run;
  const plan = prepareBench({
    ...benchJobInputs(inputs),
    methods,
    models: [inputs.llm],
    reportFile: benchReportFile(inputs.layout, inputs.llm.model),
    rubricContext: inputs.rubricContext,
    samples: inputs.samples,
    ...(run.reward ? { reward: run.reward } : {}),
  });
  const est = estimateBench(plan);
  ctx.log.info('bench', `at most ${est.fitCallsAtMost} fitting and ${est.evalCalls} evaluation call(s)`);
  const outcome = await ctx.runs.run(`benchmark of ${methods.join(', ')}`, (signal, report) =>
    runBench(plan, benchHooks(ctx, 'bench', signal, report)),
  );
  const { result } = outcome;
  const best = [...result.cells].sort((a, b) => b.accuracy - a.accuracy)[0];
  const summary = best
    ? `benchmark of ${result.cells.length} method(s) on ${run.users} user(s); ` +
      `best ${best.method} at ${percent(best.accuracy)}.`
    : 'benchmark finished with no results.';
  await openMarkdownReport(ctx, outcome.reportFile!, summary);
  // A cell with failed calls leaves pairs out: said, as the CLI says it (its exit code is 1).
  if (outcome.incomplete) void vscode.window.showWarningMessage(`SynthesizeMe: ${outcome.incomplete}`);
  return { result, report: outcome.reportFile! };
}
