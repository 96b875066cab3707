// The chart message of the Verdicts view: the webview draws only what passes isHostToVerdicts,
// so every coordinate must be a finite number and every label bounded text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChartView, isHostToVerdicts, isVerdictsToHost, type ChartView } from '../../src/extension/protocol';
import { scalingChart } from '../../src/core/bench/scaling';

const chart: ChartView = {
  title: 'persona+demos accuracy vs context pairs',
  xLabel: 'context pairs per user',
  yLabel: 'test accuracy (%)',
  series: [
    {
      name: 'llama3.1:8b',
      points: [
        { x: 2, y: 60, low: 50, high: 70 },
        { x: 4, y: 62 },
      ],
    },
  ],
};

test('a chart of numbers and text is accepted', () => {
  assert.ok(isChartView(chart));
  assert.ok(isHostToVerdicts({ type: 'chart', chart, sentAt: 1 }));
});

test('markup or non-numbers in place of coordinates are rejected', () => {
  const withPoint = (p: unknown) => ({ ...chart, series: [{ name: 's', points: [p] }] });
  assert.ok(!isChartView(withPoint({ x: '2', y: 60 })), 'a string x');
  assert.ok(!isChartView(withPoint({ x: 2, y: NaN })), 'NaN');
  assert.ok(!isChartView(withPoint({ x: 2, y: Infinity })), 'Infinity');
  assert.ok(!isChartView(withPoint({ x: 2, y: 60, low: '<script>' })), 'a string interval');
  assert.ok(!isChartView({ ...chart, title: 7 }), 'a non-text title');
  assert.ok(!isChartView({ ...chart, series: 'svg' }), 'series not a list');
  assert.ok(
    !isChartView({ ...chart, series: Array.from({ length: 17 }, () => ({ name: 's', points: [] })) }),
    'too many series',
  );
  assert.ok(
    !isHostToVerdicts({
      type: 'chart',
      chart: { ...chart, svg: undefined, series: [{ name: 's', points: [{ x: 1 }] }] },
    }),
    'a point without y',
  );
  assert.ok(!isHostToVerdicts({ type: 'chart' }), 'no chart');
});

test('the webview reports a drawn chart with a whole count of points only', () => {
  assert.ok(isVerdictsToHost({ type: 'chartPainted', points: 3 }));
  assert.ok(!isVerdictsToHost({ type: 'chartPainted', points: 1.5 }));
  assert.ok(!isVerdictsToHost({ type: 'chartPainted', points: '3' }));
});

test('the scaling chart the extension sends is a valid chart view (without its formatter)', () => {
  const point = (size: number, accuracy: number) => ({
    size,
    meanContextUsed: size,
    accuracy,
    ci95: [accuracy - 0.1, accuracy + 0.1] as [number, number],
    consistency: 1,
    pairs: 10,
    users: 2,
    run: 'r',
    calls: 1,
    cacheHits: 0,
    promptTokens: 1,
    completionTokens: 1,
    costUsd: null,
  });
  const { yFormat: _format, ...view } = scalingChart({
    model: 'm',
    fitModel: 'm',
    method: 'persona+demos',
    points: [point(2, 0.6), point(4, 0.7), point(8, NaN)],
    slopePointsPerPair: 2.5,
  });
  assert.ok(isChartView(view));
  assert.deepEqual(
    view.series[0]!.points.map((p) => p.x),
    [2, 4],
    'a point without an accuracy is left out',
  );
  assert.match(view.title, /slope 2\.50 points\/pair/);
});
