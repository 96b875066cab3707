// A small line chart as a plain SVG string: axes with ticks, one polyline per series, a point per
// value with its interval bar. Text is escaped; the output is well-formed XML.

import { chartScale } from './chart-scale';

export interface ChartPoint {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Format of y tick labels (default: the number). */
  yFormat?: (y: number) => string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9; k++) {
    const v = Number((k * step).toFixed(decimals));
    out.push(v === 0 ? 0 : v);
  }
  return out;
}

const n = (v: number) => (Math.round(v * 100) / 100).toString();

export function lineChartSvg(chart: LineChart): string {
  const W = chart.width ?? 640;
  const H = chart.height ?? 400;
  const points = chart.series.flatMap((s) => s.points);
  const { margin: m, pw, ph, x0, x1, y0, y1, sx, sy } = chartScale(points, W, H);
  const xs = points.map((p) => p.x);
  const fy = chart.yFormat ?? ((y: number) => n(y));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`);
  // Grid and ticks.
  out.push('<g class="y-axis" stroke="#dddddd">');
  for (const t of niceTicks(y0, y1))
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(sy(t))}" y2="${n(sy(t))}"/>`);
  out.push('</g><g class="y-labels" text-anchor="end" fill="#333333">');
  for (const t of niceTicks(y0, y1)) out.push(`<text x="${m.left - 6}" y="${n(sy(t) + 4)}">${escapeXml(fy(t))}</text>`);
  out.push('</g><g class="x-labels" text-anchor="middle" fill="#333333">');
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const t of xTicks.length ? xTicks : niceTicks(x0, x1)) {
    const x = n(sx(t));
    const label = `<text x="${x}" y="${m.top + ph + 18}">${escapeXml(n(t))}</text>`;
    out.push(`${label}<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333333"/>`);
  }
  out.push('</g>');
  out.push(
    `<line class="axis" x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333333"/>`,
  );
  out.push(`<line class="axis" x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...s.points].filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (sorted.length > 1)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${n(sx(p.x))},${n(sy(p.y))}`).join(' ')}"/>`,
      );
    for (const p of sorted) {
      if (p.low !== undefined && p.high !== undefined) {
        const x = n(sx(p.x));
        out.push(
          `<line class="interval" x1="${x}" x2="${x}" y1="${n(sy(p.low))}" y2="${n(sy(p.high))}" stroke="${color}"/>`,
        );
        for (const v of [p.low, p.high])
          out.push(
            `<line x1="${n(sx(p.x) - 4)}" x2="${n(sx(p.x) + 4)}" y1="${n(sy(v))}" y2="${n(sy(v))}" stroke="${color}"/>`,
          );
      }
      const tip = escapeXml(`${s.name}: x=${n(p.x)}, y=${fy(p.y)}`);
      out.push(
        `<circle class="point" cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="4" fill="${color}"><title>${tip}</title></circle>`,
      );
    }
    out.push('</g>');
    const ly = m.top + 10 + i * 18;
    const swatch = `<line x1="${m.left + pw + 14}" x2="${m.left + pw + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`;
    const legendName = `<text x="${m.left + pw + 40}" y="${ly + 4}">${escapeXml(s.name)}</text>`;
    out.push(`<g class="legend">${swatch}${legendName}</g>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
