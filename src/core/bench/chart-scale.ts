// The axes of a line chart with interval bars: plot area, data ranges and the mappings from data
// to pixels. Pure, so that the SVG file the engine writes and the chart the Verdicts view draws
// (the same data) share one layout. Imported by the webview bundle too: no Node APIs here.

export interface ScalePoint {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

export interface ChartScale {
  margin: { left: number; right: number; top: number; bottom: number };
  /** Plot width and height. */
  pw: number;
  ph: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

export function chartScale(points: readonly ScalePoint[], width: number, height: number): ChartScale {
  const margin = { left: 70, right: 150, top: 40, bottom: 55 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  const xs = points.map((p) => p.x);
  const ys = points.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]).filter(Number.isFinite);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.05, y1 + 0.05];
  // A little room above and below so interval bars do not touch the frame.
  const pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  return {
    margin,
    pw,
    ph,
    x0,
    x1,
    y0,
    y1,
    sx: (x) => margin.left + ((x - x0) / (x1 - x0)) * pw,
    sy: (y) => margin.top + ph - ((y - y0) / (y1 - y0)) * ph,
  };
}
