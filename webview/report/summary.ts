// The report's first screen: what was compared, each run's accuracy with its interval, each later run
// against the first (the sentence `compare` prints, judged with Holm's p when several runs are compared),
// who improved and who was hurt, and what limits the figures.

import type { ReportComparison, ReportHead } from '../../src/core/report/report-model';
import { accuracyHeadline } from '../../src/core/eval/sample-size';
import { el, pct } from '../shared/dom';
import { points, runName, table } from './view';

export function summarySection(head: ReportHead): HTMLElement {
  const generated = new Date(head.generated);
  return el(
    'section',
    { attrs: { 'data-testid': 'report-summary' } },
    el('h1', {}, `SynthesizeMe report${head.workspace ? `: ${head.workspace}` : ''}`),
    el(
      'div',
      { class: 'muted' },
      `${head.runs.length} run(s), ${head.pairs.toLocaleString('en-US')} pairs, ${head.users.length} user(s) · ` +
        `written ${isNaN(generated.getTime()) ? head.generated : generated.toLocaleString()} by ${head.tool}`,
    ),
    el('h2', {}, 'Runs'),
    runsTable(head),
    ...comparisons(head),
    ...(head.warnings.length
      ? [el('h3', {}, 'What limits these figures'), ...head.warnings.map((w) => el('div', { class: 'warning' }, w))]
      : []),
  );
}

function runsTable(head: ReportHead): HTMLElement {
  const versus = new Map(head.comparisons.map((c) => [c.run, c]));
  const rows = head.runs.map((r, i) => {
    const c = versus.get(i);
    const vs = i === 0 ? 'the baseline' : c ? `${points(c.difference)} points` : 'no pairs in common';
    return [
      runName(r, i),
      r.personaVersion ?? '',
      r.split,
      String(r.pairs),
      r.accuracy === null ? 'no figures' : accuracyHeadline(r.accuracy, r.ci95, r.pairs),
      vs,
      r.status + (r.stale ? ', stale' : ''),
    ];
  });
  return table(['run', 'persona', 'split', 'pairs', 'accuracy (95% CI)', 'vs run 1', 'status'], rows, [3], 'runs');
}

function comparisons(head: ReportHead): HTMLElement[] {
  if (!head.comparisons.length) return [];
  const holm = head.comparisons.some((c) => c.holmSentence);
  return [
    el('h2', {}, 'Differences from run 1 (paired, over the pairs both judged)'),
    ...(holm
      ? [
          el(
            'p',
            { class: 'muted' },
            `${head.comparisons.length} runs are compared with run 1: each verdict is judged with Holm's p ` +
              '(corrected for the number of comparisons); the uncorrected p is given beside it.',
          ),
        ]
      : []),
    ...head.comparisons.map((c) => comparison(head, c)),
  ];
}

function comparison(head: ReportHead, c: ReportComparison): HTMLElement {
  const r = head.runs[c.run]!;
  const o = c.outcomes;
  return el(
    'div',
    { class: 'comparison', attrs: { 'data-testid': 'comparison' } },
    el('h3', {}, `${runName(r, c.run)} − ${runName(head.runs[0]!, 0)}`),
    el('div', { class: 'sentence' }, c.holmSentence ?? c.sentence),
    c.holmSentence ? el('div', { class: 'muted' }, `uncorrected: ${c.sentence}`) : null,
    el(
      'div',
      { class: 'muted' },
      `${c.pairs} pairs of ${c.users} user(s)${c.resampling ? `; interval resampled over ${c.resampling}` : ''}` +
        `${c.power ? `; ${c.power}` : ''}`,
    ),
    el('div', {}, `users: ${o.improved} improved, ${o.hurt} hurt, ${o.unchanged} unchanged`),
    c.perUser.length > 1 ? perUser(c) : null,
  );
}

function perUser(c: ReportComparison): HTMLElement {
  const rows = c.perUser.map((u) => [
    u.user,
    String(u.pairs),
    pct(u.accuracyA),
    pct(u.accuracyB),
    u.difference === 0 ? '0.0' : points(u.difference),
  ]);
  return el(
    'details',
    {},
    el('summary', {}, `per user (${c.perUser.length})`),
    table(['user', 'pairs', 'run 1', 'this run', 'difference (points)'], rows, [1, 2, 3, 4], 'per-user'),
  );
}
