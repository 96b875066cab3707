// The result of an Evaluate run and of a re-validation as lines of text: what the CLI prints and what the
// language-model tools hand to the chat model, so both read the same figures in the same words.

import { isRewardMethod } from '../method';
import { percentPlusMinus, signedPoints as points } from '../percent';
import type { EvalResult } from './evaluate';
import type { RevalidateResult } from './revalidate';
import { accuracyHeadline, rateText, SMALL_SAMPLE_PAIRS, smallSampleNote } from './sample-size';

/**
 * An accuracy in a table or a line: "71.30% ± 4.12", or under SMALL_SAMPLE_PAIRS pairs (when `pairs`
 * is given) the headline of sample-size.ts, interval first: "3 pairs, too few to tell: 95% CI ...".
 */
export function accuracyCell(accuracy: number, ci: [number, number], pairs?: number): string {
  if (!Number.isFinite(accuracy)) return 'n/a';
  if (pairs !== undefined && pairs < SMALL_SAMPLE_PAIRS) return accuracyHeadline(accuracy, ci, pairs);
  return percentPlusMinus(accuracy, ci);
}

/** One Evaluate run: the figures, the run file, a small-sample warning and each user's accuracy. */
export function evalResultText(r: EvalResult, rel: (p: string) => string): string {
  const unparseable = rateText(r.samples ? r.unparseable / r.samples : Number.NaN);
  const accuracy = accuracyCell(r.accuracy, r.ci95, r.pairs);
  const lines = [
    `${r.method} on ${r.split} (${r.model}): accuracy ${accuracy} over ${r.samples} samples of ${r.pairs} pairs, ` +
      `consistency ${rateText(r.consistency)}, unparseable answers ${r.unparseable} of ${r.samples} (${unparseable})` +
      `${r.ties !== undefined && !isRewardMethod(r.method) ? `: ${r.ties} tie(s), ${r.unreadable ?? 0} unreadable` : ''}` +
      `${r.samplesPerOrder ? `, sample consistency ${rateText(r.sampleConsistency ?? Number.NaN)} of ${r.samplesPerOrder}` : ''}` +
      `${r.complete ? '' : ' (INCOMPLETE)'}\n`,
    `  run file: ${rel(r.run)}\n`,
    ...(isRewardMethod(r.method) ? [`  ${pointwiseText(r)}\n`] : []),
  ];
  const small = smallSampleNote(r.pairs);
  if (small) lines.push(`  warning: ${small}\n`);
  for (const u of r.users) lines.push(`  ${u.id}: ${accuracyCell(u.accuracy, u.ci95, u.pairs)} (${u.pairs} pairs)\n`);
  return lines.join('');
}

/**
 * What a reward method reports instead of a consistency: a pointwise scorer sees one response at a time, so the
 * two orders carry one outcome; the mean score margin says by how much it prefers the user's choice.
 */
export function pointwiseText(r: EvalResult): string {
  const m = r.margin;
  const f = (x: number) => x.toFixed(3);
  const margin = m
    ? `score margin ${f(m.mean)} [${f(m.ci95[0])}, ${f(m.ci95[1])}] (chosen - rejected, mean over pairs)`
    : 'no pair scored';
  const ties = `${r.ties ?? 0} tie(s) of ${r.pairs} pairs, counted wrong`;
  return `pointwise scores: order does not apply (both orders carry one outcome); ${margin}; ${ties}`;
}

/** A persona judged alone: why, then its accuracy over the pairs judged. */
function aloneText(r: RevalidateResult, methods: string, rel: (p: string) => string): string {
  const now = r.figures.current!;
  // Under SMALL_SAMPLE_PAIRS the cell already says how many pairs (and that they are too few to tell).
  const over = now.pairs < SMALL_SAMPLE_PAIRS ? '' : ` over ${now.pairs} pair(s)`;
  return (
    `${r.message}.\n` +
    `  ${r.target} on ${r.split}: current ${accuracyCell(now.accuracy, now.ci95, now.pairs)}${over}\n` +
    `  method: ${methods}\n` +
    `  runs: ${r.runs.current.map(rel).join(', ')}\n`
  );
}

function usersMoved(u: { improved: number; hurt: number; unchanged: number }): string {
  return `users: ${u.improved} improved, ${u.hurt} hurt, ${u.unchanged} unchanged`;
}

/** A re-validation: the paired sentence, both sides' accuracy, each user, the flipped pairs and the runs. */
export function revalidateResultText(r: RevalidateResult, rel: (p: string) => string): string {
  const methods = r.methods.map((m) => `${m.method} for ${m.users.join(', ') || 'nobody'}`).join('; ');
  if (!r.comparison) return r.figures.current ? aloneText(r, methods, rel) : `${r.message}.\n`;
  const c = r.comparison;
  let text =
    `${r.target} on ${r.split}: current vs previous (${r.previous!.id}): ${c.sentence}\n` +
    `  previous ${accuracyCell(c.accuracyA, c.ci95A)}, current ${accuracyCell(c.accuracyB, c.ci95B)} over ${r.pairs} pair(s)` +
    `${r.users > 1 ? ` of ${r.users} users (intervals resample users, then pairs); ${usersMoved(c.users)}` : ''}\n` +
    `  method: ${methods}\n` +
    `  (${r.power})\n`;
  if (r.users > 1)
    for (const u of c.perUser)
      text +=
        `  ${u.user}: ${rateText(u.accuracyA)} -> ${rateText(u.accuracyB)} ` +
        `(${u.difference === 0 ? '0.0' : points(u.difference)} points, ${u.pairs} pairs)\n`;
  const order = (s: { AB: number | null; BA: number | null; score: number }) =>
    `AB ${s.AB ?? '-'} BA ${s.BA ?? '-'} (${s.score})`;
  text += r.flipped.length
    ? `  flipped pairs (${r.flipped.length}):\n` +
      `${r.flipped.map((f) => `    ${f.user} ${f.pair}: ${order(f.before)} -> ${order(f.after)}`).join('\n')}\n`
    : '  no pair flipped\n';
  text += `  runs: ${[...r.runs.previous, ...r.runs.current].map(rel).join(', ')}\n`;
  return text;
}
