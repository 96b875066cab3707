// The Markdown report of a Θ search (report.md in its lineage folder): the outcome in one sentence,
// the figures behind it, the users by role, every candidate with its parent(s) and scores, and the
// best candidate's text. Text from models goes into code blocks or table cells with the table's
// own characters escaped: a report is read as Markdown, and a persona must not become markup.

import type { ThetaSearchResult } from './search';
import { accuracyOn, type Candidate } from './pool';
import { candidateFile } from './lineage';
import { MAX_THETA_CHARS, COPY_RUN } from './guards';
import { percent as pct } from '../percent';

export interface ReportInfo {
  runId: string;
  model: string;
  reflectModel: string;
  budget: number;
  seed: number;
  /** Where the adopted Θ was written, when it was. */
  adoptedTo?: string;
  /** Why an accepted Θ was not written (the prompt file changed during the search). */
  notWritten?: string;
}

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function fence(text: string): string {
  // A fence longer than any run of backticks in the text.
  const ticks = '`'.repeat(Math.max(3, ...(text.match(/`+/g) ?? []).map((t) => t.length + 1)));
  return `${ticks}text\n${text.trim()}\n${ticks}`;
}

function scoreCell(c: Candidate, users: readonly string[]): string {
  const a = accuracyOn(c, users);
  return a.samples ? `${pct(a.accuracy)} (${a.correct}/${a.samples})` : '-';
}

export function thetaReport(r: ThetaSearchResult, info: ReportInfo): string {
  const out = [...summary(r, info), ...heldOutSection(r), ...candidatesSection(r)];
  out.push('## Guards', '');
  out.push(
    `A candidate is rejected before any call is spent on it when it copies ${COPY_RUN} or more consecutive words ` +
      "from the users' data, names a topic of their conversations, " +
      `is longer than ${MAX_THETA_CHARS} characters (or the current Θ's length, if longer), ` +
      'states an output format, or stages a role-play.',
    '',
    `Topic words of this run: ${r.topics.length ? r.topics.map(cell).join(', ') : '(none)'}.`,
    '',
  );

  out.push(`## The best candidate (#${r.best.id})`, '', fence(r.best.text), '');
  if (r.best !== r.baseline) out.push('## The current Θ (#0)', '', fence(r.baseline.text), '');
  return out.join('\n');
}

/** The title, the outcome and the run's figures. */
function summary(r: ThetaSearchResult, info: ReportInfo): string[] {
  const { roles } = r.plan;
  const out: string[] = [];
  out.push(`# Θ search ${info.runId}`, '');
  out.push(
    `**${r.accepted ? (info.adoptedTo ? 'Adopted' : 'Accepted, not written') : 'Not adopted'}.** ` +
      `${cell(r.reason.replace(/^(?:not )?adopted: /, ''))}`,
    '',
  );
  if (info.adoptedTo)
    out.push(
      `The new Θ was written to \`${info.adoptedTo}\`; the text it replaced is kept in the prompt's history.`,
      '',
    );
  if (info.notWritten) out.push(info.notWritten, '');
  out.push('| | |', '| --- | --- |');
  out.push(`| model (persona synthesis, judge) | ${cell(info.model)} |`);
  out.push(`| reflection model | ${cell(info.reflectModel)} |`);
  out.push(
    `| calls | ${r.calls.used} of a budget of ${info.budget} (${r.calls.server} answered by the server, ${r.calls.cached} by the cache) |`,
  );
  out.push(
    `| requests sent | ${r.calls.requests} of a budget of ${info.budget}, retries and timed-out requests included (cache hits send none) |`,
  );
  out.push(`| search steps | ${r.steps} |`);
  out.push(
    `| candidates | ${r.candidates.length} (${r.candidates.filter((c) => c.status === 'pool').length} in the pool, ` +
      `${r.candidates.filter((c) => c.status === 'rejected').length} rejected by a guard, ` +
      `${r.candidates.filter((c) => c.status === 'discarded').length} discarded) |`,
  );
  out.push(`| seed | ${info.seed} |`);
  out.push(`| pairs per user | up to ${r.plan.pairsPerUser} (test pairs first), each judged in both orders |`);
  out.push(`| reflection users | ${cell(roles.reflection.join(', '))} |`);
  out.push(`| selection users | ${cell(roles.selection.join(', '))} |`);
  out.push(`| held-out users | ${cell(roles.heldOut.join(', '))} |`);
  if (r.plan.unused.length)
    out.push(`| not used | ${cell(r.plan.unused.map((u) => `${u.user} (${u.reason})`).join('; '))} |`);
  out.push('');
  return out;
}

function heldOutSection(r: ThetaSearchResult): string[] {
  const out: string[] = [];
  out.push('## The held-out check', '');
  if (!r.heldOut) {
    out.push(
      'Not run: no candidate did better than the current Θ on the selection users, so there was nothing to check.',
      '',
    );
  } else {
    const c = r.heldOut.comparison;
    out.push(
      `Best candidate #${r.best.id} against the current Θ on ${r.heldOut.users} held-out user(s), ${c.pairs} pairs: ` +
        `${pts(c.difference)} points (95% CI ${pts(c.ci95[0])} to ${pts(c.ci95[1])}, resampling ${c.resampling}; ` +
        `exact paired test p = ${c.pairedTest.p.toPrecision(2)}). ` +
        `A new Θ is adopted only when the interval excludes 0.`,
      '',
      '| user | pairs | current Θ | candidate | difference |',
      '| --- | --- | --- | --- | --- |',
      ...c.perUser.map(
        (u) => `| ${cell(u.user)} | ${u.pairs} | ${pct(u.accuracyA)} | ${pct(u.accuracyB)} | ${pts(u.difference)} |`,
      ),
      `| all | ${c.pairs} | ${pct(c.accuracyA)} (${pct(c.ci95A[0])}-${pct(c.ci95A[1])}) ` +
        `| ${pct(c.accuracyB)} (${pct(c.ci95B[0])}-${pct(c.ci95B[1])}) | ${pts(c.difference)} |`,
      '',
    );
  }
  return out;
}

/** Every candidate, then every candidate's score per user. */
function candidatesSection(r: ThetaSearchResult): string[] {
  const { roles } = r.plan;
  const out: string[] = [];
  out.push('## Candidates', '');
  out.push(
    'Selection accuracy is over the selection users; a child enters the pool only when it does strictly better ' +
      'than its parent on its minibatch of reflection users.',
    '',
  );
  out.push(
    '| # | parent(s) | origin | step | status | minibatch (parent → child) | selection | file |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of r.candidates) {
    const mb = c.minibatch ? `${c.minibatch.parent} → ${c.minibatch.child} of ${c.minibatch.samples}` : '-';
    const status = c.reason ? `${c.status}: ${c.reason}` : c.status;
    out.push(
      `| ${c.id}${c === r.best ? ' (best)' : ''} | ${c.parents.map((p) => `#${p}`).join(', ') || '-'} ` +
        `| ${c.origin} | ${c.step} | ${cell(status)} | ${mb} | ${scoreCell(c, roles.selection)} ` +
        `| candidates/${candidateFile(c.id)} |`,
    );
  }
  out.push('');
  const users = [...roles.selection, ...roles.reflection];
  out.push(
    '### Scores per user',
    '',
    `| # | ${users.map(cell).join(' | ')} |`,
    `| --- | ${users.map(() => '---').join(' | ')} |`,
  );
  for (const c of r.candidates.filter((x) => x.scores.size)) {
    out.push(
      `| ${c.id} | ${users.map((u) => (c.scores.get(u) ? `${c.scores.get(u)!.correct}/${c.scores.get(u)!.samples}` : '')).join(' | ')} |`,
    );
  }
  out.push('');
  return out;
}
