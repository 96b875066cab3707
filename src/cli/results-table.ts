// The paper-style results table (methods x accuracy ± interval) in Markdown.

import type { EvalResult } from '../core/eval/evaluate';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : 'n/a');
/** A rate with its % sign, or n/a (never "NaN%"). */
const rate = (x: number) => (Number.isFinite(x) ? `${pct(x)}%` : 'n/a');

export function accuracyCell(accuracy: number, ci: [number, number]): string {
  if (!Number.isFinite(accuracy)) return 'n/a';
  const half = Math.max(accuracy - ci[0], ci[1] - accuracy);
  return `${pct(accuracy)}% ± ${(100 * half).toFixed(2)}`;
}

export function markdownTable(results: readonly EvalResult[]): string {
  const rows = [
    '| method | model | split | accuracy (95% CI) | consistency | unparseable | pairs | users |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.method} | ${r.model} | ${r.split} | ${accuracyCell(r.accuracy, r.ci95)}${r.complete ? '' : ' (incomplete)'} | ${rate(r.consistency)} | ${r.samples ? rate(r.unparseable / r.samples) : 'n/a'} | ${r.pairs} | ${r.users.length} |`,
    ),
  ];
  return rows.join('\n');
}
