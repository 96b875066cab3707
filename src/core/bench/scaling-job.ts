// `bench scaling` as one engine job, shared by the CLI and VS Code's "Scaling Plot": plan it (users, sizes,
// the chart's files, checked before any call), bound its calls (the dry run), then fit and evaluate each
// size and write the SVG chart and its JSON. The callers only format.

import { join } from 'node:path';
import type { Llm } from '../llm/client';
import { checkWrite } from '../write-guard';
import { UserError } from '../user-error';
import { benchCallBound, benchPrompts, checkUsers, jobOptions, type BenchHooks, type BenchEstimate } from './bench-job';
import { benchDir, writeBenchText } from './bench-output';
import { modelSlug } from './fit-store';
import { fittable } from './run';
import { scaling, scalingSvg, type ScalingResult } from './scaling';
import type { BenchJobInputs } from './bench-job';

export interface ScalingInputs extends BenchJobInputs {
  /** Context pairs per user, each a positive integer. */
  sizes: readonly number[];
  /** The evaluation model. */
  model: Llm;
  /** The chart's file; default .synthesizeme/bench/scaling-<model>.svg. Its JSON goes beside it. */
  svgFile?: string;
  /** How the runs are named in the JSON (relative to the workspace or the working folder). */
  display?: (path: string) => string;
}

export interface ScalingPlan {
  inputs: ScalingInputs;
  sizes: number[];
  svgFile: string;
  jsonFile: string;
}

export interface ScalingOutcome {
  result: ScalingResult;
  svgFile: string;
  jsonFile: string;
  /** What the JSON file holds: the result, with each run named by `display`. */
  data: ScalingResult;
}

/** Checks the sizes and the users, and the chart's two files before any call. */
export async function prepareScaling(inputs: ScalingInputs): Promise<ScalingPlan> {
  if (!inputs.sizes.length || inputs.sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new UserError(`sizes: expected positive integers like 2,4,8, got "${inputs.sizes.join(',')}"`, 2);
  checkUsers(inputs.users);
  const svgFile = inputs.svgFile ?? join(benchDir(inputs.layout), `scaling-${modelSlug(inputs.model.model)}.svg`);
  const jsonFile = svgFile.replace(/\.svg$/i, '') + '.json';
  await checkWrite(svgFile);
  await checkWrite(jsonFile);
  return {
    inputs,
    sizes: [...new Set(inputs.sizes)].sort((a, b) => a - b),
    svgFile,
    jsonFile,
  };
}

export function estimateScaling(plan: ScalingPlan): BenchEstimate {
  return benchCallBound(plan.inputs.users.filter(fittable), ['persona+demos'], plan.inputs, {
    models: 1,
    fitModels: 1,
    sizes: plan.sizes.length,
  });
}

export async function runScaling(plan: ScalingPlan, hooks: BenchHooks = {}): Promise<ScalingOutcome> {
  const { inputs } = plan;
  const result = await scaling({
    ...jobOptions(inputs, await benchPrompts(inputs.prompts), hooks),
    sizes: plan.sizes,
    model: inputs.model,
    stateDir: join(benchDir(inputs.layout), 'scaling'),
  });
  const show = inputs.display ?? ((p: string) => p);
  const data = { ...result, points: result.points.map((p) => ({ ...p, run: show(p.run) })) };
  await writeBenchText(plan.svgFile, scalingSvg(result));
  await writeBenchText(plan.jsonFile, JSON.stringify(data, null, 2) + '\n');
  return { result, svgFile: plan.svgFile, jsonFile: plan.jsonFile, data };
}
