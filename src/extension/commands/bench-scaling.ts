// Benchmark: Scaling Plot: the engine's scaling run (persona+demos accuracy against the number of
// context pairs a fit may use) on the workspace with the current model. Writes the SVG and its
// JSON where the CLI does, and shows the same chart, as data, in the Verdicts view.

import * as vscode from 'vscode';
import {
  estimateScaling,
  prepareScaling,
  runScaling,
  scalingChart,
  type ScalingOutcome as EngineScalingOutcome,
  type ScalingResult,
} from '../../core/bench';
import type { ChartView } from '../protocol';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { showChart } from '../views/verdicts-panel';
import { benchHooks, benchJobInputs } from './bench-job-inputs';
import { runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';

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
  const plan = await prepareScaling({
    ...benchJobInputs(inputs),
    sizes,
    model: inputs.llm,
    display: (p) => vscode.workspace.asRelativePath(p),
  });
  const est = estimateScaling(plan);
  ctx.log.info('scaling', `at most ${est.fitCallsAtMost} fitting and ${est.evalCalls} evaluation call(s)`);
  const outcome = await ctx.runs.run(`scaling plot (${sizes.join(', ')} context pairs)`, (signal, report) =>
    runScaling(plan, benchHooks(ctx, 'scaling', signal, report)),
  );
  showScaling(ctx, folder, outcome);
  return { result: outcome.result, svg: outcome.svgFile, json: outcome.jsonFile };
}

/** Each point to the log, the chart to the Verdicts view (as numbers, never as SVG markup), and a message. */
function showScaling(ctx: Ctx, folder: Folder, outcome: EngineScalingOutcome): void {
  const { result } = outcome;
  const pct = (x: number) => (100 * x).toFixed(1);
  for (const p of result.points)
    ctx.log.info(
      'scaling',
      `${p.size} context pairs (mean used ${p.meanContextUsed.toFixed(1)}): ` +
        `${pct(p.accuracy)}% [${pct(p.ci95[0])}, ${pct(p.ci95[1])}] over ${p.pairs} pairs, ${p.calls} calls`,
    );
  const { yFormat: _format, ...chart } = scalingChart(result);
  const svgFile = vscode.workspace.asRelativePath(outcome.svgFile);
  const view: ChartView = { ...chart, svgFile };
  showChart(ctx, folder, view);
  const slope =
    result.slopePointsPerPair === null ? '' : ` Slope ${result.slopePointsPerPair.toFixed(2)} points per context pair.`;
  void vscode.window.showInformationMessage(`SynthesizeMe: scaling plot written to ${svgFile}.${slope}`);
}
