// The two jobs a Testing panel item runs, each the engine's own through the commands' helpers (Re-validate
// Persona's and Evaluate's): a persona against its previous version, and persona+demos against the default
// baseline. They only turn the engine's result into a TestOutcome; the Testing panel run cancels them.

import type * as vscode from 'vscode';
import { accuracyHeadline, compareRuns, type VerdictComparison } from '../../core/eval';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { evaluateUsers } from '../commands/evaluate';
import { judgePersona, preparePersona } from '../commands/revalidate';
import { readPersonaOf } from '../commands/run-inputs';
import { comparisonOutcome, skippedOutcome, type TestOutcome } from './test-outcome';

export type TestJob = 'revalidate' | 'evaluate';

export const TEST_JOBS: Record<TestJob, string> = {
  revalidate: 're-validate persona',
  evaluate: 'evaluate persona+demos',
};

export function runTestJob(
  ctx: Ctx,
  job: TestJob,
  folder: Folder,
  userId: string,
  cancel: vscode.CancellationToken,
): Promise<TestOutcome> {
  return job === 'revalidate' ? revalidateJob(ctx, folder, userId, cancel) : evaluateJob(ctx, folder, userId, cancel);
}

/** Failed calls leave pairs out of both sides: such a run is no verdict on the persona. */
function incomplete(what: string, calls: number, reason: string | undefined): UserError {
  return new UserError(`${what} is incomplete: ${calls} call(s) failed (${reason ?? 'no reason given'}); run it again`);
}

/**
 * The persona as it is now against its newest differing version (Re-validate Persona's job). The figures are
 * not written into the persona file, so a continuous run is not set off by its own run; the text judged is
 * kept as a version, so the next edit is compared with it.
 */
async function revalidateJob(
  ctx: Ctx,
  folder: Folder,
  userId: string,
  cancel: vscode.CancellationToken,
): Promise<TestOutcome> {
  const persona = await readPersonaOf(folder, userId);
  if (!persona) return skippedOutcome(`${userId} has no persona file`);
  const r = await judgePersona(ctx, await preparePersona(folder, { path: persona.path }), {}, cancel);
  if (!r.complete) throw incomplete(`re-validation of ${userId}`, r.failed.calls, r.failed.reasons[0]?.message);
  const now = r.figures.current;
  if (!r.comparison || !r.previous) {
    const judged = now ? `; judged alone: ${accuracyHeadline(now.accuracy, now.ci95, now.pairs)} on validation` : '';
    return skippedOutcome(`no previous version to compare with (${r.message ?? 'nothing compared'})${judged}`, [
      ...r.runs.current,
    ]);
  }
  return comparisonOutcome({
    ...fieldsOf(r.comparison),
    split: r.split,
    before: { name: `previous version ${r.previous.id}`, accuracy: r.comparison.accuracyA, ci95: r.comparison.ci95A },
    after: { name: 'current persona', accuracy: r.comparison.accuracyB, ci95: r.comparison.ci95B },
    runs: [...r.runs.previous, ...r.runs.current],
  });
}

function fieldsOf(c: Pick<VerdictComparison, 'verdict' | 'difference' | 'sentence' | 'pairs' | 'perUser'>) {
  return {
    verdict: c.verdict,
    difference: c.difference,
    sentence: c.sentence,
    pairs: c.pairs,
    users: c.perUser.length,
  };
}

/** persona+demos against the default judge on the user's test pairs (Evaluate's job, twice), compared pair by pair. */
async function evaluateJob(
  ctx: Ctx,
  folder: Folder,
  userId: string,
  cancel: vscode.CancellationToken,
): Promise<TestOutcome> {
  const user = (await folder.files.get()).users().find((u) => u.id === userId);
  if (!user) return skippedOutcome(`${userId} has no pairs in ${folder.name}`);
  const base = await evaluateUsers(ctx, folder, [user], 'default', 'test', undefined, cancel);
  if (!base.complete)
    throw incomplete(`the default baseline of ${userId}`, base.failed.calls, base.failed.reasons[0]?.message);
  const mine = await evaluateUsers(ctx, folder, [user], 'persona+demos', 'test', undefined, cancel);
  if (!mine.complete)
    throw incomplete(`persona+demos of ${userId}`, mine.failed.calls, mine.failed.reasons[0]?.message);
  if (!base.pairs || !mine.pairs) {
    const why = [...base.skipped, ...mine.skipped].map((s) => s.reason)[0] ?? 'no test pairs were judged';
    return skippedOutcome(`nothing to compare: ${why}`, [base.run, mine.run]);
  }
  const c = await compareRuns(base.run, mine.run, (p) => folder.relative(p));
  for (const w of c.warnings) ctx.log.warn('testing', w);
  return comparisonOutcome({
    ...fieldsOf(c),
    split: 'test',
    before: { name: 'default', accuracy: c.a.accuracy, ci95: c.a.ci95 },
    after: { name: 'persona+demos', accuracy: c.b.accuracy, ci95: c.b.ci95 },
    runs: [base.run, mine.run],
  });
}
