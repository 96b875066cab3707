// Re-validate persona: judge the validation split with the persona as it is now (hand edits
// included) and with the previous version from history, and report the paired difference
// ("+4.2 points (95% CI -1.0 to 9.5, p = 0.18): not yet significant"). The current file is then
// written again with the new validation figures; its old content goes to history first.

import * as vscode from 'vscode';
import { compareVerdicts, comparisonPowerNote, type EvalResult, previousPersonaVersion } from '../../core/eval';
import { type PairVerdict, parsePersona, type PersonaModel, savePersona } from '../../core/method';
import { personaHistoryDir } from '../../core/workspace';
import { type UserEntry } from '../../core/data';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { accuracyText, evaluateUsers } from './evaluate';
import { pickUser, readPersonaOf } from './run-inputs';
import { UserError } from '../../core/user-error';
import { percent } from '../../core/percent';

export interface RevalidateOutcome {
  user: string;
  accuracy: number;
  previous?: string;
  previousAccuracy?: number;
  sentence?: string;
  comparison?: { difference: number; ci95: [number, number]; p: number; pairs: number };
}

/**
 * The version the current persona is compared with: the engine's choice (the CLI's too), the newest kept
 * version whose persona text or demonstrations differ.
 */
export async function previousVersion(
  historyDir: string,
  current: PersonaModel,
): Promise<{ path: string; model: PersonaModel; hash: string } | undefined> {
  const prev = await previousPersonaVersion(historyDir, current);
  return prev?.ref.path ? { path: prev.ref.path, model: prev.model, hash: prev.ref.hash } : undefined;
}

export async function revalidateCommand(ctx: Ctx, arg: unknown): Promise<RevalidateOutcome | undefined> {
  // From the persona file's lens or editor the argument is its URI; from the tree, a user.
  let userArg = arg;
  if (arg instanceof vscode.Uri || typeof (arg as { fsPath?: unknown })?.fsPath === 'string')
    userArg = await personaFileUser(ctx, arg as vscode.Uri);
  else if (arg === undefined && vscode.window.activeTextEditor?.document.fileName.endsWith('.persona.yaml'))
    userArg = await personaFileUser(ctx, vscode.window.activeTextEditor.document.uri);
  const picked = await pickUser(ctx, userArg, 'Re-validate a persona');
  if (!picked) return undefined;
  const { user, folder } = picked;
  const current = await readPersonaOf(folder, user.id);
  if (!current) throw new UserError(`user "${user.id}" has no persona yet: run Fit User first`);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === current.path);
  if (open?.isDirty) await open.save();

  const layout = await folder.files.layout();
  const historyDir = personaHistoryDir(layout, user.id);
  const prev = await previousVersion(historyDir, current.model);
  const { now, out } = await compareWithPrevious(ctx, folder, user, current, prev);
  // Figures with failed calls left out are not written into the persona: say so, and let a re-run finish them.
  if (!now.complete)
    throw new UserError(
      `re-validation of ${user.id} is incomplete: ${now.failed.calls} call(s) failed (${now.failed.reasons[0]?.message ?? ''}); run it again to judge the missing pairs`,
    );

  // The new figures go into the file; savePersona keeps the version it replaces.
  const samples = now.samples;
  const correct = Math.round(now.accuracy * samples);
  await savePersona(
    current.path,
    {
      ...current.model,
      provenance: {
        ...current.model.provenance,
        edited: prev !== undefined || current.model.provenance.edited === true,
        validation: { accuracy: now.accuracy, correct, evaluated: samples, of: samples },
      },
    },
    historyDir,
  );

  // What this many pairs can show at all, said with the result (3 validation pairs can show nothing).
  const power = comparisonPowerNote(now.pairs, 'validation');
  const message = out.sentence
    ? `SynthesizeMe: ${user.id} on validation ${accuracyText(now)} vs previous ${percent(out.previousAccuracy!)}: ${out.sentence} (${power})`
    : `SynthesizeMe: ${user.id} on validation ${accuracyText(now)} (no earlier version to compare with; ${power}).`;
  ctx.log.info('revalidate', message);
  void vscode.window.showInformationMessage(message, 'Show Verdicts').then((pick) => {
    if (pick)
      void vscode.commands.executeCommand('synthesizeme.showVerdicts', {
        run: now.run,
        ...(out.sentence ? { comparison: comparisonBanner(user.id, out) } : {}),
      });
  });
  return out;
}

/**
 * Judges the validation split with the current persona and, when there is one, with the previous
 * version (the cache makes a repeated comparison free), and compares them pair by pair.
 */
export async function compareWithPrevious(
  ctx: Ctx,
  folder: Folder,
  user: UserEntry,
  current: { model: PersonaModel; hash: string },
  prev: { path: string; model: PersonaModel; hash: string } | undefined,
): Promise<{ now: EvalResult; before?: EvalResult; out: RevalidateOutcome }> {
  const now = await evaluateUsers(
    ctx,
    folder,
    [user],
    'persona+demos',
    'validation',
    new Map([[user.id, { model: current.model, hash: current.hash }]]),
  );
  if (now.pairs === 0)
    throw new UserError(
      `user "${user.id}" has no validation pairs${now.skipped[0] ? ` (${now.skipped[0].reason})` : ''}`,
    );
  const out: RevalidateOutcome = { user: user.id, accuracy: now.accuracy };
  if (!prev) return { now, out };
  const before = await evaluateUsers(
    ctx,
    folder,
    [user],
    'persona+demos',
    'validation',
    new Map([[user.id, { model: prev.model, hash: prev.hash }]]),
  );
  const key = (v: PairVerdict) => `${v.userId}\u0000${v.pairId}`;
  const c = compareVerdicts(
    new Map(before.verdicts.map((v) => [key(v), v])),
    new Map(now.verdicts.map((v) => [key(v), v])),
    folder.files.config.split.seed,
  );
  Object.assign(out, {
    previous: prev.path,
    previousAccuracy: before.accuracy,
    sentence: c.sentence,
    comparison: { difference: c.difference, ci95: c.ci95, p: c.mcnemar.p, pairs: c.pairs },
  });
  return { now, before, out };
}

export function comparisonBanner(userId: string, out: RevalidateOutcome): string {
  return `${userId}, validation: current persona ${percent(out.accuracy)} vs previous version ${percent(out.previousAccuracy ?? 0)} over ${out.comparison?.pairs ?? 0} pairs: ${out.sentence}`;
}

/** The user of a persona file, with the folder it lies in: `{ userId, folder }` for pickUser. */
export async function personaFileUser(ctx: Ctx, uri: vscode.Uri): Promise<{ userId: string; folder: string }> {
  const folder = ctx.folders.ofFile(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  return { userId: parsePersona(doc.getText(), folder.relative(doc.uri)).userId, folder: folder.uri.toString() };
}
