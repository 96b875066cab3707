// Benchmark: Scaling Plot: the engine's scaling run (persona+demos accuracy against the number of
// context pairs a fit may use) on the workspace with the current model. Writes the SVG and its
// JSON where the CLI does, and shows the same chart, as data, in the Verdicts view.

import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ScalingResult } from '../../core/bench';
import type { ChartView } from '../protocol';
import type { Ctx } from '../ctx';
import { showChart } from '../views/verdicts-panel';
import { benchDir, benchJobOptions, benchPrompts, writeText } from './bench-files';
import { runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { percent, percentPoints } from '../../core/percent';

export interface ScalingOutcome {
  result: ScalingResult;
  svg: string;
  json: string;
}

/** "2,4,8" -> [2, 4, 8]; a message (for the input box) when it is not a list of positive integers. */
export function parseSizes(text: string): number[] | string {
  const sizes = [...new Set(text.split(',').map((s) => Number(s.trim())))];
  if (!text.trim() || sizes.some((s) => !Number.isInteger(s) || s < 1))
    return 'Positive integers separated by commas, like 2,4,8';
  return sizes.sort((a, b) => a - b);
}

async function sizesFrom(arg: unknown): Promise<number[] | undefined> {
  const given = (arg as { sizes?: unknown } | undefined)?.sizes;
  if (Array.isArray(given)) {
    const s = parseSizes(given.join(','));
    if (typeof s === 'string') throw new UserError(`sizes: ${s}`);
    return s;
  }
  const text = await vscode.window.showInputBox({
    title: 'Scaling plot: context pairs per user',
    value: '2,4,8',
    validateInput: (t) => {
      const s = parseSizes(t);
      return typeof s === 'string' ? s : undefined;
    },
  });
  if (text === undefined) return undefined;
  return parseSizes(text) as number[];
}

export async function benchScalingCommand(ctx: Ctx, arg: unknown): Promise<ScalingOutcome | undefined> {
  const sizes = await sizesFrom(arg);
  if (!sizes) return undefined;
  const folder = await ctx.folders.choose(arg, 'Scaling plot: which folder?');
  if (!folder) return undefined;
  const inputs = await runInputs(folder);
  const [{ scaling, scalingChart, scalingSvg }, { modelSlug }, { DEFAULT_FIT_OPTIONS }] = await Promise.all([
    import('../../core/bench/scaling'),
    import('../../core/bench/fit-store'),
    import('../../core/method/fit'),
  ]);
  const users = inputs.index.users();
  if (!users.length) throw new UserError('the workspace has no preference pairs');
  const dir = benchDir(inputs.layout);
  const prompts = await benchPrompts(inputs);
  const result = await ctx.runs.run(`scaling plot (${sizes.join(', ')} context pairs)`, (signal, report) =>
    scaling({
      ...benchJobOptions(ctx, inputs, { users, prompts, fit: DEFAULT_FIT_OPTIONS, signal, report, tag: 'scaling' }),
      sizes,
      model: inputs.llm,
      stateDir: join(dir, 'scaling'),
    }),
  );
  const svgPath = join(dir, `scaling-${modelSlug(result.model)}.svg`);
  const jsonPath = svgPath.replace(/\.svg$/, '.json');
  await writeText(svgPath, scalingSvg(result));
  await writeText(
    jsonPath,
    JSON.stringify(
      { ...result, points: result.points.map((p) => ({ ...p, run: vscode.workspace.asRelativePath(p.run) })) },
      null,
      2,
    ) + '\n',
  );
  for (const p of result.points)
    ctx.log.info(
      'scaling',
      `${p.size} context pairs (mean used ${p.meanContextUsed.toFixed(1)}): ${percent(p.accuracy)} [${percentPoints(p.ci95[0])}, ${percentPoints(p.ci95[1])}] over ${p.pairs} pairs, ${p.calls} calls`,
    );
  // The chart goes to the webview as numbers (its labels as text), never as SVG markup.
  const { yFormat: _format, ...chart } = scalingChart(result);
  const view: ChartView = { ...chart, svgFile: vscode.workspace.asRelativePath(svgPath) };
  showChart(ctx, folder, view);
  const slope =
    result.slopePointsPerPair === null ? '' : ` Slope ${result.slopePointsPerPair.toFixed(2)} points per context pair.`;
  void vscode.window.showInformationMessage(
    `SynthesizeMe: scaling plot written to ${vscode.workspace.asRelativePath(svgPath)}.${slope}`,
  );
  return { result, svg: svgPath, json: jsonPath };
}
