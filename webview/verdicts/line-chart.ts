// A line chart drawn from numbers with createElementNS: the webview never parses SVG markup
// from data. Labels are set with textContent, coordinates are numbers the protocol validated.
// Same layout as the engine's SVG file (src/core/bench/svg-chart.ts), so both look alike.

import { niceTicks } from '../../src/core/bench/svg-chart';
import { chartScale } from '../../src/core/bench/chart-scale';
import type { ChartView } from '../../src/extension/protocol';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const n = (v: number) => (Math.round(v * 100) / 100).toString();

/** The chart as an <svg> element; also returns how many points it drew. */
export function lineChart(chart: ChartView, W = 640, H = 400): { node: SVGSVGElement; points: number } {
  const points = chart.series.flatMap((s) => s.points);
  const { margin: m, pw, ph, y0, y1, sx, sy } = chartScale(points, W, H);
  const xs = points.map((p) => p.x);
  const root = svg('svg', {
    width: W,
    height: H,
    viewBox: `0 0 ${W} ${H}`,
    'font-size': 12,
    class: 'line-chart',
    role: 'img',
    'aria-label': chart.title,
    'data-testid': 'line-chart',
  });
  root.append(
    svg('title', {}, chart.title),
    svg('text', { x: W / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15, class: 'chart-text' }, chart.title),
  );
  for (const t of niceTicks(y0, y1)) {
    root.append(svg('line', { x1: m.left, x2: m.left + pw, y1: n(sy(t)), y2: n(sy(t)), class: 'chart-grid' }));
    root.append(svg('text', { x: m.left - 6, y: n(sy(t) + 4), 'text-anchor': 'end', class: 'chart-text' }, n(t)));
  }
  for (const t of [...new Set(xs)].sort((a, b) => a - b)) {
    root.append(svg('text', { x: n(sx(t)), y: m.top + ph + 18, 'text-anchor': 'middle', class: 'chart-text' }, n(t)));
    root.append(svg('line', { x1: n(sx(t)), x2: n(sx(t)), y1: m.top + ph, y2: m.top + ph + 5, class: 'chart-axis' }));
  }
  root.append(svg('line', { x1: m.left, y1: m.top + ph, x2: m.left + pw, y2: m.top + ph, class: 'chart-axis' }));
  root.append(svg('line', { x1: m.left, y1: m.top, x2: m.left, y2: m.top + ph, class: 'chart-axis' }));
  root.append(
    svg('text', { x: m.left + pw / 2, y: H - 12, 'text-anchor': 'middle', class: 'chart-text' }, chart.xLabel),
  );
  root.append(
    svg(
      'text',
      { transform: `translate(18 ${m.top + ph / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'chart-text' },
      chart.yLabel,
    ),
  );
  let drawn = 0;
  // A legend entry per series; a name of several parts (`test · persona · qwen2.5`) one part a line, so a
  // long model name stays inside the chart's right margin.
  let ly = m.top + 10;
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const g = svg('g', { class: 'series' });
    if (sorted.length > 1)
      g.append(
        svg('polyline', {
          fill: 'none',
          stroke: color,
          'stroke-width': 2,
          points: sorted.map((p) => `${n(sx(p.x))},${n(sy(p.y))}`).join(' '),
        }),
      );
    for (const p of sorted) {
      if (p.low !== undefined && p.high !== undefined) {
        const x = sx(p.x);
        g.append(
          svg('line', { x1: n(x), x2: n(x), y1: n(sy(p.low)), y2: n(sy(p.high)), stroke: color, class: 'interval' }),
        );
        for (const v of [p.low, p.high])
          g.append(svg('line', { x1: n(x - 4), x2: n(x + 4), y1: n(sy(v)), y2: n(sy(v)), stroke: color }));
      }
      const dot = svg('circle', { cx: n(sx(p.x)), cy: n(sy(p.y)), r: 4, fill: color, class: 'point' });
      dot.append(
        svg(
          'title',
          {},
          `${s.name}: x=${n(p.x)}, y=${n(p.y)}${p.low !== undefined && p.high !== undefined ? ` [${n(p.low)}, ${n(p.high)}]` : ''}`,
        ),
      );
      g.append(dot);
      drawn++;
    }
    root.append(g);
    root.append(
      svg('line', { x1: m.left + pw + 14, x2: m.left + pw + 34, y1: ly, y2: ly, stroke: color, 'stroke-width': 2 }),
    );
    s.name.split(' · ').forEach((part, k) => {
      root.append(svg('text', { x: m.left + pw + 40, y: ly + 4 + k * 14, class: 'chart-text' }, part));
    });
    ly += 18 + 14 * (s.name.split(' · ').length - 1);
  });
  return { node: root, points: drawn };
}
