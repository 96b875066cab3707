// The paper-style results table (methods x accuracy ± interval) in Markdown.

import { accuracyHeadline, type EvalResult, SMALL_SAMPLE_PAIRS } from '../core/eval';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(2) : 'n/a');
/** A rate with its % sign, or n/a (never "NaN%"). */
const rate = (x: number) => (Number.isFinite(x) ? `${pct(x)}%` : 'n/a');

/**
 * An accuracy in a table or a line: "71.30% ± 4.12", or under SMALL_SAMPLE_PAIRS pairs (when `pairs`
 * is given) the headline of sample-size.ts, interval first: "3 pairs, too few to tell: 95% CI ...".
 */
export function accuracyCell(accuracy: number, ci: [number, number], pairs?: number): string {
  if (!Number.isFinite(accuracy)) return 'n/a';
  if (pairs !== undefined && pairs < SMALL_SAMPLE_PAIRS) return accuracyHeadline(accuracy, ci, pairs);
  const half = Math.max(accuracy - ci[0], ci[1] - accuracy);
  return `${pct(accuracy)}% ± ${(100 * half).toFixed(2)}`;
}

export function markdownTable(results: readonly EvalResult[]): string {
  const rows = [
    '| method | model | split | accuracy (95% CI) | consistency | unparseable | pairs | users |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.method} | ${r.model} | ${r.split} | ${accuracyCell(r.accuracy, r.ci95, r.pairs)}${r.complete ? '' : ' (incomplete)'} | ${rate(r.consistency)} | ${r.samples ? rate(r.unparseable / r.samples) : 'n/a'} | ${r.pairs} | ${r.users.length} |`,
    ),
  ];
  return rows.join('\n');
}
