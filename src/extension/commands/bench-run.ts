// Benchmark: Run Methods...: the engine's whole-benchmark run on the workspace with the current
// model (every user fitted into personas/<model>/, each method evaluated on the test pairs, each
// compared with default). The results table is written as Markdown to .synthesizeme/bench/.

import { join } from 'node:path';
import * as vscode from 'vscode';
import { isMethod, type Method, METHODS } from '../../core/method';
import { type BenchRunResult } from '../../core/bench';
import type { Ctx } from '../ctx';
import { benchDir, benchJobOptions, benchPrompts, openMarkdownReport } from './bench-files';
import { runInputs } from './run-inputs';
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
  const [{ benchRun, benchRunMarkdown }, { modelSlug }, { DEFAULT_FIT_OPTIONS }] = await Promise.all([
    import('../../core/bench/run'),
    import('../../core/bench/fit-store'),
    import('../../core/method/fit'),
  ]);
  const users = inputs.index.users();
  if (!users.length) throw new UserError('the workspace has no preference pairs');
  const prompts = await benchPrompts(inputs);
  const result = await ctx.runs.run(`benchmark of ${methods.join(', ')}`, (signal, report) =>
    benchRun({
      ...benchJobOptions(ctx, inputs, { users, prompts, fit: DEFAULT_FIT_OPTIONS, signal, report, tag: 'bench' }),
      methods,
      models: [inputs.llm],
      personaRoot: inputs.layout.personaDir,
    }),
  );
  const lines = [benchRunMarkdown(result)];
  for (const c of result.comparisons) lines.push(`- ${c.method} vs default (${c.model}): ${c.sentence}`);
  for (const c of result.cells)
    for (const s of c.skipped) lines.push(`- ${c.method} (${c.model}): skipped ${s.user}: ${s.reason}`);
  const reportPath = join(benchDir(inputs.layout), `run-${modelSlug(inputs.llm.model)}.md`);
  const best = [...result.cells].sort((a, b) => b.accuracy - a.accuracy)[0];
  const summary = best
    ? `benchmark of ${result.cells.length} method(s) on ${users.length} user(s); best ${best.method} at ${percent(best.accuracy)}.`
    : 'benchmark finished with no results.';
  await openMarkdownReport(reportPath, lines.join('\n') + '\n', summary);
  return { result, report: reportPath };
}
