// The pair view's host side: finds the pair in its folder's index, gathers every run's verdict on
// it (the engine's pair history), and moves to the next or previous pair in the file, the list it
// was opened from (a Verdicts or grid filter), or the user's pairs.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { pairsBySplit } from '../../core/workspace';
import { pairJudgements } from '../../core/eval';
import { type Pair } from '../../core/data';
import { type HostToPair, type PairScope, type PairToHost, type PairViewData } from '../protocol';
import { openAt } from './open-at';
import { UserError } from '../../core/user-error';
import { showTranscript } from './transcript-panel';

export interface PairKey {
  user: string;
  pairId: string;
}

/** Where a pair view was opened from: the pair, and the list to move through (a filtered list of rows). */
export interface PairTarget {
  folder: Folder;
  key: PairKey;
  list?: { name: string; keys: PairKey[] };
}

const sameKey = (a: PairKey, b: PairKey) => a.user === b.user && a.pairId === b.pairId;

/** The pair of a file at a 1-based line (the pair whose lines hold it), by the folder's index. */
export async function pairAt(folder: Folder, file: string, line: number): Promise<Pair | undefined> {
  const index = await folder.files.get();
  return index.file(file)?.pairs.find((p) => p.source.line <= line && line <= (p.source.endLine ?? p.source.line));
}

async function findPair(folder: Folder, key: PairKey): Promise<Pair | undefined> {
  const index = await folder.files.get();
  return index.user(key.user)?.pairs.find((p) => p.pairId === key.pairId);
}

/** The pair's place in each scope it can be moved through: its file, the list it was opened from, its user. */
function positionsOf(t: PairTarget, file: string, inFile: readonly Pair[], userPairs: readonly Pair[]) {
  const at = (i: number) => Math.max(0, i);
  const positions: PairViewData['positions'] = [
    {
      scope: 'file',
      index: at(inFile.findIndex((p) => sameKey({ user: p.userId, pairId: p.pairId }, t.key))),
      total: inFile.length,
      name: file,
    },
  ];
  if (t.list)
    positions.push({
      scope: 'list',
      index: at(t.list.keys.findIndex((k) => sameKey(k, t.key))),
      total: t.list.keys.length,
      name: t.list.name,
    });
  positions.push({
    scope: 'user',
    index: at(userPairs.findIndex((p) => p.pairId === t.key.pairId)),
    total: userPairs.length,
    name: `user ${t.key.user}`,
  });
  return positions;
}

type Judgement = Awaited<ReturnType<typeof pairJudgements>>[number];

function judgementView(j: Judgement): PairViewData['judgements'][number] {
  return {
    runId: j.run.id,
    method: j.run.method,
    model: j.run.model,
    split: j.run.split,
    created: j.run.created,
    ...(j.run.label ? { label: j.run.label } : {}),
    ...(j.personaVersion ? { personaVersion: j.personaVersion } : {}),
    score: j.score,
    orders: j.orders.map((o) => ({
      order: o.order,
      preference: o.preference,
      correct: o.correct,
      reasoning: o.reasoning,
      ...(o.rubric ? { rubric: o.rubric } : {}),
      ...(o.noDecision ? { noDecision: o.noDecision } : {}),
    })),
  };
}

async function viewOf(ctx: Ctx, t: PairTarget, scope: PairScope): Promise<PairViewData | string> {
  const index = await t.folder.files.get();
  const entry = index.user(t.key.user);
  const pair = entry?.pairs.find((p) => p.pairId === t.key.pairId);
  if (!entry || !pair)
    return `pair ${t.key.pairId} of user ${t.key.user} is not in ${t.folder.name} any more (the file changed?)`;
  const positions = positionsOf(t, pair.source.file, index.file(pair.source.file)?.pairs ?? [pair], entry.pairs);
  const splits = pairsBySplit(entry);
  const split =
    (['context', 'validation', 'test'] as const).find((s) => splits[s].some((p) => p.pairId === pair.pairId)) ??
    'unassigned';
  const judgements = await pairJudgements(await t.folder.files.layout(), t.key).catch((err: unknown) => {
    ctx.log.error('pair view', err instanceof Error ? err : String(err));
    return [];
  });
  return {
    user: entry.id,
    pairId: pair.pairId,
    file: pair.source.file,
    line: pair.source.line,
    split,
    context: pair.context.map((c) => ({ role: c.role, content: c.content })),
    chosen: pair.chosen.content,
    rejected: pair.rejected.content,
    judgements: judgements.map(judgementView),
    positions,
    scope: positions.some((p) => p.scope === scope) ? scope : 'file',
  };
}

export async function showPair(
  ctx: Ctx,
  target: PairTarget,
  scope: PairScope = target.list ? 'list' : 'file',
): Promise<PairViewData | undefined> {
  const view = await viewOf(ctx, target, scope);
  const message: HostToPair =
    typeof view === 'string' ? { type: 'notFound', message: view } : { type: 'pair', pair: view, sentAt: Date.now() };
  const title = typeof view === 'string' ? 'Pair' : `Pair ${view.pairId}`;
  ctx.webviews.panel('pair').show(title, message, (m) => onMessage(ctx, target, m));
  return typeof view === 'string' ? undefined : view;
}

/** What the page asks of the pair it shows: its line, the next or previous pair (the keys j/k in a scope). */
async function onMessage(ctx: Ctx, target: PairTarget, m: PairToHost): Promise<void> {
  if (m.type === 'openLine') {
    const pair = await findPair(target.folder, target.key);
    if (pair) await openAt(target.folder, pair.source.file, pair.source.line);
  } else if (m.type === 'navigate') {
    const next = await neighbour(target, m.scope, m.delta);
    if (next) await showPair(ctx, { ...target, key: next }, m.scope);
  } else if (m.type === 'transcript') {
    // The run's file, by its id among the runs that judged the pair (the page knows ids, never paths).
    const judged = await pairJudgements(await target.folder.files.layout(), target.key);
    const run = judged.find((j) => j.run.id === m.runId)?.run;
    if (run) await showTranscript(ctx, { folder: target.folder, run: run.path, ...target.key });
  } else if (m.type === 'painted') ctx.log.info('pair view', `painted in ${m.ms.toFixed(1)} ms`);
}

/** The pair before or after in a scope (wrapping around), or undefined when there is no other. */
async function neighbour(t: PairTarget, scope: PairScope, delta: 1 | -1): Promise<PairKey | undefined> {
  const index = await t.folder.files.get();
  let keys: PairKey[];
  if (scope === 'list') keys = t.list?.keys ?? [];
  else if (scope === 'user')
    keys = (index.user(t.key.user)?.pairs ?? []).map((p) => ({ user: p.userId, pairId: p.pairId }));
  else {
    const pair = await findPair(t.folder, t.key);
    keys = pair ? (index.file(pair.source.file)?.pairs ?? []).map((p) => ({ user: p.userId, pairId: p.pairId })) : [];
  }
  if (keys.length < 2) return undefined;
  const at = keys.findIndex((k) => sameKey(k, t.key));
  return keys[(at + delta + keys.length) % keys.length];
}

/**
 * The command: a pair from a lens ({uri, line} or {uri, pairId}), a key ({folder, user, pairId}), the active editor's
 * cursor, or a pick.
 */
export async function openPairCommand(ctx: Ctx, arg: unknown): Promise<PairViewData | undefined> {
  const a = (arg ?? {}) as { uri?: unknown; line?: unknown; pairId?: unknown; user?: unknown; folder?: unknown };
  if (typeof a.uri === 'string') {
    const uri = vscode.Uri.parse(a.uri);
    const folder = ctx.folders.ofFile(uri);
    const file = folder.files.nameOf(uri);
    const pair =
      typeof a.pairId === 'string'
        ? (await folder.files.get()).file(file)?.pairs.find((p) => p.pairId === a.pairId)
        : typeof a.line === 'number'
          ? await pairAt(folder, file, a.line)
          : undefined;
    if (!pair) throw new UserError(`no pair at ${file}${typeof a.line === 'number' ? `:${a.line}` : ''}`);
    return showPair(ctx, { folder, key: { user: pair.userId, pairId: pair.pairId } });
  }
  if (typeof a.user === 'string' && typeof a.pairId === 'string') {
    const folder = await ctx.folders.choose(arg, 'Open the pair of which folder?');
    if (!folder) return undefined;
    return showPair(ctx, { folder, key: { user: a.user, pairId: a.pairId } });
  }
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    const folder = ctx.folders.of(editor.document.uri);
    if (folder?.files.owns(editor.document.uri)) {
      const pair = await pairAt(folder, folder.files.nameOf(editor.document.uri), editor.selection.active.line + 1);
      if (pair) return showPair(ctx, { folder, key: { user: pair.userId, pairId: pair.pairId } });
    }
  }
  const folder = await ctx.folders.choose(arg, 'Open a pair of which folder?');
  if (!folder) return undefined;
  const index = await folder.files.get();
  const items = index.users().flatMap((u) =>
    u.pairs.map((p) => ({
      label: `${u.id} · ${p.pairId}`,
      description: `${p.source.file}:${p.source.line}`,
      detail: (p.context.filter((t) => t.role === 'user').pop()?.content ?? '').replace(/\s+/g, ' ').slice(0, 120),
      key: { user: u.id, pairId: p.pairId },
    })),
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Open which pair?',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return pick ? showPair(ctx, { folder, key: pick.key }) : undefined;
}
