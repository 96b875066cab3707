// Scaling: accuracy of persona+demos against the number of context pairs a fit may use. Each
// user's context is shuffled once (seeded) and the first `size` pairs are used, so a larger size
// always contains the smaller ones. Personas of each size are kept under
// .synthesizeme/bench/scaling/<model>/size-<n>/ and reused by a re-run.

import { join } from 'node:path';
import type { Llm } from '../llm/client';
import { evaluate, type EvalUser } from '../eval/evaluate';
import { createRng, shuffled } from '../random';
import { pairsBySplit } from '../workspace/open-workspace';
import { fitSettingsOf } from '../method/fit';
import { fitAndStore, modelSlug } from './fit-store';
import { fittable, usageDelta, type BenchJobOptions, type UsageDelta } from './run';
import { lineChartSvg, type LineChart } from './svg-chart';

export interface ScalingOptions extends BenchJobOptions {
  sizes: readonly number[];
  model: Llm;
  stateDir: string;
}

export interface ScalingPoint extends UsageDelta {
  size: number;
  /** Mean number of context pairs actually used (users with fewer use all of theirs). */
  meanContextUsed: number;
  accuracy: number;
  ci95: [number, number];
  consistency: number;
  pairs: number;
  users: number;
  run: string;
}

export interface ScalingResult {
  model: string;
  fitModel: string;
  method: 'persona+demos';
  points: ScalingPoint[];
  /** Least-squares slope of accuracy against size, in accuracy points per context pair. */
  slopePointsPerPair: number | null;
}

/** The first `size` pairs of a seeded shuffle of the context: nested across sizes. */
export function subsampleContext<T extends { pairId: string }>(
  userId: string,
  context: readonly T[],
  size: number,
  seed: number,
): T[] {
  return shuffled(context, createRng(`${seed}:scaling:${userId}`)).slice(0, size);
}

export function slope(points: readonly { x: number; y: number }[]): number | null {
  const p = points.filter((q) => Number.isFinite(q.y));
  if (p.length < 2) return null;
  const mx = p.reduce((s, q) => s + q.x, 0) / p.length;
  const my = p.reduce((s, q) => s + q.y, 0) / p.length;
  const sxx = p.reduce((s, q) => s + (q.x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return p.reduce((s, q) => s + (q.x - mx) * (q.y - my), 0) / sxx;
}

export async function scaling(opts: ScalingOptions): Promise<ScalingResult> {
  const fitModel = opts.fitModel ?? opts.model;
  const users = opts.users.filter(fittable);
  const points: ScalingPoint[] = [];
  for (const size of [...opts.sizes].sort((a, b) => a - b)) {
    const before = [opts.model.counters(), fitModel.counters()];
    const tasks = users.map((u) => {
      const s = pairsBySplit(u);
      return { userId: u.id, context: subsampleContext(u.id, s.context, size, opts.seed), validation: s.validation };
    });
    let done = 0;
    const { personas, failed } = await fitAndStore(tasks, {
      dir: join(opts.stateDir, modelSlug(fitModel.model), `size-${size}`),
      model: fitModel,
      prompts: opts.prompts,
      ...fitSettingsOf(opts),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onUser: () => opts.onProgress?.(`fit size ${size}`, ++done, tasks.length),
    });
    for (const f of failed) opts.log?.(`size ${size}: ${f.user} not fitted: ${f.reason}`);
    const evalUsers: EvalUser[] = users.map((u) => {
      const s = pairsBySplit(u);
      const p = personas.get(u.id);
      return {
        id: u.id,
        pairs: u.pairs,
        context: s.context,
        target: s.test,
        ...(p ? { persona: p.model, personaHash: p.hash } : {}),
      };
    });
    const r = await evaluate(evalUsers, {
      method: 'persona+demos',
      split: 'test',
      model: opts.model,
      prompts: { judge: opts.prompts.judge, memory: opts.prompts.memory },
      temperature: opts.temperature,
      seed: opts.seed,
      runsDir: opts.runsDir,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (d, t) => opts.onProgress?.(`eval size ${size}`, d, t),
    });
    const a = usageDelta(before[0]!, opts.model.counters());
    const b = fitModel === opts.model ? undefined : usageDelta(before[1]!, fitModel.counters());
    const used = tasks.map((t) => t.context.length);
    points.push({
      size,
      meanContextUsed: used.length ? used.reduce((x, y) => x + y, 0) / used.length : 0,
      accuracy: r.accuracy,
      ci95: r.ci95,
      consistency: r.consistency,
      pairs: r.pairs,
      users: r.users.length,
      run: r.run,
      calls: a.calls + (b?.calls ?? 0),
      cacheHits: a.cacheHits + (b?.cacheHits ?? 0),
      promptTokens: a.promptTokens + (b?.promptTokens ?? 0),
      completionTokens: a.completionTokens + (b?.completionTokens ?? 0),
      costUsd: a.costUsd === null ? null : a.costUsd + (b ? (b.costUsd ?? 0) : 0),
    });
  }
  const s = slope(points.map((p) => ({ x: p.size, y: 100 * p.accuracy })));
  return { model: opts.model.model, fitModel: fitModel.model, method: 'persona+demos', points, slopePointsPerPair: s };
}

/** The chart of a scaling run: the SVG file and the extension's Verdicts view draw this same data. */
export function scalingChart(r: ScalingResult): LineChart {
  const name = r.fitModel !== r.model ? `${r.model} (fitted with ${r.fitModel})` : r.model;
  const slope = r.slopePointsPerPair !== null ? ` (slope ${r.slopePointsPerPair.toFixed(2)} points/pair)` : '';
  return {
    title: `persona+demos accuracy vs context pairs${slope}`,
    xLabel: 'context pairs per user',
    yLabel: 'test accuracy (%)',
    yFormat: (y) => `${(Math.round(y * 10) / 10).toString()}`,
    series: [
      {
        name,
        points: r.points
          .filter((p) => Number.isFinite(p.accuracy))
          .map((p) => ({ x: p.size, y: 100 * p.accuracy, low: 100 * p.ci95[0], high: 100 * p.ci95[1] })),
      },
    ],
  };
}

export function scalingSvg(r: ScalingResult): string {
  return lineChartSvg(scalingChart(r));
}
