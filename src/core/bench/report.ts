// The preparation report in Markdown, like the slides' table: pairs and users left after each
// step, median pairs per user and the share of multi-turn conversations; then what the
// classifier and the judges did, and what could not be read.

import type { ImportProblem, SkipCount } from '../data/importers/native-record';
import type { PrepareReport } from './prepare';
import { percent as pct } from '../percent';

export interface ReportExtras {
  source: string;
  problems: readonly ImportProblem[];
  skipped: readonly SkipCount[];
  unreadable: readonly string[];
  out?: string;
  usage?: string;
}

export function prepareReportMarkdown(report: PrepareReport, extras: ReportExtras): string {
  const lines: string[] = [];
  lines.push(`# PersonalRewardBench preparation: ${extras.source}`, '');
  lines.push('| step | pairs | users | median pairs per user | multi-turn |', '| --- | ---: | ---: | ---: | ---: |');
  for (const s of report.steps) {
    const c = s.counts;
    lines.push(`| ${s.label} | ${c.pairs} | ${c.users} | ${c.medianPairsPerUser} | ${pct(c.multiTurnShare)} |`);
  }
  lines.push('');
  const k = report.classifier;
  const dropped = k.failed ? `, ${k.failed} without a usable label (dropped)` : '';
  lines.push(
    `- Personalizable classifier (${k.model}): ${k.personalizable} personalizable, ${k.notPersonalizable} not${dropped}.`,
  );
  if (report.judges.length) {
    const ok = report.judges.filter((j) => j.available);
    const votes = report.judges.map((j) => (j.available ? `${j.model} (${j.votes} votes)` : `${j.model} UNAVAILABLE`));
    lines.push(`- Judges (${ok.length} of ${report.judges.length} available, 2 orders each): ${votes.join(', ')}.`);
    for (const j of report.judges.filter((x) => !x.available))
      lines.push(`  - ${j.model} was left out of the disagreement filter: ${j.error}`);
    if (report.unjudged) lines.push(`- ${report.unjudged} pair(s) got no usable judge vote and were dropped.`);
    if (report.judgeNote) lines.push(`- **Note:** ${report.judgeNote}`);
  } else lines.push('- No judge models: the disagreement filter kept every pair.');
  lines.push(
    `- Splits: ${report.splits.context} context, ${report.splits.validation} validation, ${report.splits.test} test.`,
  );
  if (extras.skipped.length)
    lines.push(`- Rows without a pair: ${extras.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}.`);
  const errors = extras.problems.filter((p) => p.severity === 'error').length;
  const warnings = extras.problems.length - errors;
  if (extras.problems.length)
    lines.push(`- Input problems: ${errors} error(s), ${warnings} warning(s); the rows with errors were left out.`);
  for (const f of extras.unreadable) lines.push(`  - not read: ${f}`);
  if (extras.usage) lines.push(`- LLM usage: ${extras.usage}.`);
  if (extras.out) lines.push(`- Output: ${extras.out}`);
  return lines.join('\n') + '\n';
}
