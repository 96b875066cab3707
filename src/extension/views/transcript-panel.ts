// The transcript view's host side: one verdict's transcript (the engine's readTranscript / verdictTranscript):
// the messages sent for each order, the raw answer, the tokens with the server's cache share, the latency.
// Opened from the pair view, the grid, the Verdicts view and the lens hover (a command link).

import { promises as fsp } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { readTranscript, verdictTranscript, type Transcript } from '../../core/eval';
import type { PairVerdict } from '../../core/method';
import { UserError } from '../../core/user-error';
import { outside } from '../../core/write-guard';
import type { HostToTranscript, TranscriptToHost } from '../protocol';
import { CommandIds } from '../command-ids';

/** A verdict of a run file, or one of "Judge this pair" held by the session's verdict store. */
export type TranscriptTarget =
  { folder: Folder; run: string; user: string; pairId: string } | { folder: Folder; verdict: PairVerdict };

async function transcriptOf(t: TranscriptTarget): Promise<Transcript> {
  const { cacheDir } = await t.folder.files.layout();
  if ('verdict' in t) return verdictTranscript(t.verdict, { cacheDir });
  return readTranscript(t.run, { pairId: t.pairId, user: t.user }, { cacheDir, display: (p) => t.folder.relative(p) });
}

/** Shows the transcript; what it showed (for the tests), or undefined when it could not be read. */
export async function showTranscript(ctx: Ctx, target: TranscriptTarget): Promise<Transcript | undefined> {
  let message: HostToTranscript;
  let shown: Transcript | undefined;
  try {
    shown = await transcriptOf(target);
    const runName = 'run' in target ? target.folder.relative(target.run) : undefined;
    message = { type: 'transcript', transcript: { ...shown, ...(runName ? { runName } : {}) }, sentAt: Date.now() };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    message = { type: 'notFound', message: err.message };
  }
  const title = shown ? `Transcript ${shown.pairId}` : 'Transcript';
  ctx.webviews.panel('transcript').show(title, message, (m) => onMessage(ctx, target, shown, m));
  return shown;
}

async function onMessage(ctx: Ctx, target: TranscriptTarget, shown: Transcript | undefined, m: TranscriptToHost) {
  // Through the command, not pair-panel.ts: the pair view opens transcripts, and views must not import in a circle.
  if (m.type === 'openPair' && shown)
    await vscode.commands.executeCommand(CommandIds.openPair, {
      folder: target.folder.uri.toString(),
      user: shown.user,
      pairId: shown.pairId,
    });
  else if (m.type === 'painted')
    ctx.log.info('transcript', `painted ${m.orders} order(s), ${m.messages} message(s) in ${m.ms.toFixed(1)} ms`);
}

/**
 * The command: a run's verdict ({run, user, pairId}), a lens verdict ({uri, pairId, mode}: the hover's link), or,
 * without arguments, the newest run's verdict on the pair under the cursor.
 */
export async function openTranscriptCommand(ctx: Ctx, arg: unknown): Promise<Transcript | undefined> {
  const a = (arg ?? {}) as { run?: unknown; user?: unknown; pairId?: unknown; uri?: unknown; mode?: unknown };
  if (typeof a.run === 'string' && typeof a.user === 'string' && typeof a.pairId === 'string') {
    const { folder, run } = await runUnderRuns(ctx, a.run);
    return showTranscript(ctx, { folder, run, user: a.user, pairId: a.pairId });
  }
  if (typeof a.uri === 'string' && typeof a.pairId === 'string' && (a.mode === 'plain' || a.mode === 'persona')) {
    const uri = vscode.Uri.parse(a.uri);
    const verdict = ctx.verdicts.get(uri, a.pairId, a.mode);
    if (!verdict) throw new UserError(`no verdict of "Judge this pair" on pair ${a.pairId} in this session`);
    return showTranscript(ctx, { folder: ctx.folders.ofFile(uri), verdict });
  }
  throw new UserError(
    'open a transcript from a verdict: the pair view, the grid, the Verdicts view or the hover of a judged pair',
  );
}

/**
 * A command link can be run by anything that renders one, so the command reads only a run file of a workspace
 * folder's runs folder (links resolved), never an arbitrary path it is handed.
 */
async function runUnderRuns(ctx: Ctx, path: string): Promise<{ folder: Folder; run: string }> {
  const refuse = () =>
    new UserError(`a transcript opens from a run file under the workspace's runs folder, not ${path}`);
  if (!isAbsolute(path) || !path.endsWith('.run.jsonl')) throw refuse();
  const folder = ctx.folders.of(vscode.Uri.file(path));
  if (!folder) throw refuse();
  const { runsDir } = await folder.files.layout();
  const real = async (p: string) => fsp.realpath(p).catch(() => undefined);
  const [run, runs] = await Promise.all([real(path), real(runsDir)]);
  if (!run || !runs || outside(run, runs) || outside(resolve(path), runsDir)) throw refuse();
  return { folder, run: resolve(path) };
}
