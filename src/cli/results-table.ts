// The paper-style results table (methods x accuracy ± interval) in Markdown.

import { accuracyHeadline, type EvalResult, rateText, SMALL_SAMPLE_PAIRS } from '../core/eval';
import { percentPlusMinus } from '../core/percent';

/** A rate with its % sign, or n/a (never "NaN%"). */
const rate = (x: number) => rateText(x, 2);

/**
 * An accuracy in a table or a line: "71.30% ± 4.12", or under SMALL_SAMPLE_PAIRS pairs (when `pairs`
 * is given) the headline of sample-size.ts, interval first: "3 pairs, too few to tell: 95% CI ...".
 */
export function accuracyCell(accuracy: number, ci: [number, number], pairs?: number): string {
  if (!Number.isFinite(accuracy)) return 'n/a';
  if (pairs !== undefined && pairs < SMALL_SAMPLE_PAIRS) return accuracyHeadline(accuracy, ci, pairs);
  return percentPlusMinus(accuracy, ci);
}

export function markdownTable(results: readonly EvalResult[]): string {
  const rows = [
    '| method | model | split | accuracy (95% CI) | consistency | unparseable | pairs | users |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => {
      const accuracy = `${accuracyCell(r.accuracy, r.ci95, r.pairs)}${r.complete ? '' : ' (incomplete)'}`;
      const unparseable = r.samples ? rate(r.unparseable / r.samples) : 'n/a';
      const consistency = rate(r.consistency);
      return `| ${r.method} | ${r.model} | ${r.split} | ${accuracy} | ${consistency} | ${unparseable} | ${r.pairs} | ${r.users.length} |`;
    }),
  ];
  return rows.join('\n');
}
