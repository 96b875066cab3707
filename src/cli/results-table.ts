// The paper-style results table (methods x accuracy ± interval) in Markdown, and under it each method's paired
// difference from the baseline, as `compare` computes it (compareEvaluations over the pairs both judged).

import { accuracyCell, compareEvaluations, type EvalResult, rateText } from '../core/eval';

/** A rate with its % sign, or n/a (never "NaN%"). */
const rate = (x: number) => rateText(x, 2);

// The accuracy cell is the engine's (the language-model tools say the figures in the same words).
export { accuracyCell } from '../core/eval';

export function markdownTable(results: readonly EvalResult[]): string {
  // Sampled runs (`--samples k`) add how far each order's k samples agreed; unsampled ones have nothing to say there.
  const sampled = results.some((r) => r.sampleConsistency !== undefined);
  const rows = [
    '| method | model | split | accuracy (95% CI) | consistency | unparseable | pairs | users |' +
      (sampled ? ' sample consistency |' : ''),
    '| --- | --- | --- | --- | --- | --- | --- | --- |' + (sampled ? ' --- |' : ''),
    ...results.map((r) => {
      const accuracy = `${accuracyCell(r.accuracy, r.ci95, r.pairs)}${r.complete ? '' : ' (incomplete)'}`;
      // A rubric method's unparseable answers are ties and unreadable scores, said apart.
      const kinds = r.ties !== undefined ? ` (${r.ties} tie(s), ${r.unreadable ?? 0} unreadable)` : '';
      const unparseable = r.samples ? `${rate(r.unparseable / r.samples)}${kinds}` : 'n/a';
      const consistency = rate(r.consistency);
      const cells = [r.method, r.model, r.split, accuracy, consistency, unparseable, r.pairs, r.users.length];
      if (sampled) cells.push(sampleConsistencyCell(r));
      return `| ${cells.join(' | ')} |`;
    }),
  ];
  return rows.join('\n');
}

/** "80.00% of 3": the mean share of an order's samples that agreed with its most frequent answer, and k. */
function sampleConsistencyCell(r: EvalResult): string {
  if (r.sampleConsistency === undefined) return 'n/a';
  return `${rate(r.sampleConsistency)}${r.samplesPerOrder ? ` of ${r.samplesPerOrder}` : ''}`;
}

/** The method every other is compared with: SynthesizeMe (persona+demos) when it was evaluated, else the first. */
export function baselineOf(results: readonly EvalResult[]): EvalResult | undefined {
  return results.find((r) => r.method === 'persona+demos') ?? results[0];
}

/**
 * One line per method but the baseline: its accuracy minus the baseline's over the pairs both judged, with the
 * paired interval and p that `synthesizeme compare` gives for their two run files. Empty for a single method.
 */
export function pairedDifferenceLines(results: readonly EvalResult[], seed: number): string[] {
  const base = baselineOf(results);
  if (!base || results.length < 2) return [];
  return results
    .filter((r) => r !== base)
    .map((r) => {
      const c = compareEvaluations(base, r, seed);
      const unit = c.perUser.length > 1 ? `, interval and test over ${c.perUser.length} users` : '';
      return `paired difference ${r.method} - ${base.method} over ${c.pairs} pairs${unit}: ${c.sentence}`;
    });
}
