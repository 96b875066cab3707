// One workspace, opened the same way by every CLI command (and by the extension): its settings,
// its folders, its preference index (split as split-record.ts says) and its prompts.

import { checkNamedFolder } from '../write-guard';
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { Pair, Split } from '../data/pair';
import { loadWorkspace, PathNotFoundError } from '../data/load-workspace';
import { DEFAULT_SPLIT_OPTIONS, type SplitOptions } from '../data/splits';
import type { PreferenceIndex, UserEntry } from '../data/workspace-index';
import { readUserPersonaFile, type PersonaModel } from '../method/persona-file';
import { PromptStore } from '../method/prompt-store';
import { workspaceLayout, type WorkspaceLayout } from './layout';
import { readWorkspaceSettingsWithNotes, type WorkspaceSettings } from './settings';
import { readSplitState, type SplitState } from './split-record';
import { UserError } from '../user-error';

// Every run that writes calls this once, CLI and extension alike (split-record.ts).
export { pinLegacySplits } from './split-record';

export interface Workspace {
  root: string;
  settings: WorkspaceSettings;
  /** Settings of the workspace's file that were not used, one line each (say them: nothing is ignored silently). */
  settingsIgnored: string[];
  layout: WorkspaceLayout;
  index: PreferenceIndex;
  prompts: PromptStore;
  split: SplitOptions;
  /** Which rule splits the pairs (by id, a pinned record, or the earlier rule until pinned), and its notes. */
  splits: SplitState;
}

export interface OpenOptions {
  split?: Partial<SplitOptions>;
  cacheDir?: string;
  signal?: AbortSignal;
  /** --trust-workspace: the workspace's own settings may choose servers and folders outside it. */
  trustWorkspace?: boolean;
  /** Named on the command line: a link on the way to it must stay in its folder (write-guard.ts checkNamedFolder). */
  named?: boolean;
}

export async function openWorkspace(path: string, options: OpenOptions = {}): Promise<Workspace> {
  const root = resolve(path);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new PathNotFoundError(path);
  if (!info.isDirectory()) throw new UserError(`${path}: a workspace is a folder`, 2);
  if (options.named) checkNamedFolder(root);
  const { settings, ignored: settingsIgnored } = await readWorkspaceSettingsWithNotes(
    root,
    options.trustWorkspace === true,
  );
  const split: SplitOptions = {
    ratios: options.split?.ratios ?? settings.splitRatios ?? DEFAULT_SPLIT_OPTIONS.ratios,
    seed: options.split?.seed ?? settings.seed ?? DEFAULT_SPLIT_OPTIONS.seed,
    temporal: options.split?.temporal ?? settings.splitTemporal ?? DEFAULT_SPLIT_OPTIONS.temporal,
    minPairs: options.split?.minPairs ?? settings.minPairs ?? DEFAULT_SPLIT_OPTIONS.minPairs,
  };
  const layout = workspaceLayout(root, settings, options.cacheDir ? { cacheDir: options.cacheDir } : {});
  // Reading never writes: a legacy workspace is read under the earlier rule until a run pins it.
  const splits = await readSplitState(layout, split);
  const index = await loadWorkspace([root], {
    split,
    basis: splits.basis,
    // Files are named from the workspace, whoever opens it and from wherever: the names go into run files,
    // verdicts and logs, which VS Code and the CLI must read alike (a name relative to the CLI's current
    // folder made a run's pairs unfindable from VS Code, and from the CLI started elsewhere).
    cwd: root,
    ...(settings.include ? { include: settings.include } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { root, settings, settingsIgnored, layout, index, prompts: new PromptStore(layout.promptDir), split, splits };
}

export function pairsBySplit(user: UserEntry): Record<Split, Pair[]> {
  const out: Record<Split, Pair[]> = { context: [], validation: [], test: [] };
  for (const p of user.pairs) {
    const s = user.split.assignment.get(p.pairId);
    if (s) out[s].push(p);
  }
  return out;
}

export interface LoadedPersona {
  model: PersonaModel;
  hash: string;
  path: string;
}

export async function readUserPersona(
  ws: Workspace,
  userId: string,
  cwd = process.cwd(),
): Promise<LoadedPersona | undefined> {
  // The user's own file (or the name of earlier versions), its user_id checked.
  return readUserPersonaFile(ws.layout.personaDir, userId, (path) => relative(cwd, path) || path);
}

/** The users a command was asked about: one (--user), or all of them (--all). */
export function selectUsers(ws: Workspace, userId: string | undefined, all: boolean): UserEntry[] {
  if (all) return ws.index.users();
  const u = ws.index.user(userId ?? '');
  if (!u) {
    const known = ws.index.users().map((x) => x.id);
    const hint = known.length
      ? ` (users: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''})`
      : ' (the workspace has no users)';
    throw new UserError(`no user "${userId}" in ${ws.root}${hint}`, 2);
  }
  return [u];
}
