// What every LLM command needs, gathered the same way from one workspace folder: the index, the
// layout, the prompts, the model and the sampling settings.

import * as vscode from 'vscode';
import { type PreferenceIndex, type UserEntry } from '../../core/data';
import { type Llm } from '../../core/llm';
import { PromptStore } from '../../core/method';
import { type WorkspaceLayout } from '../../core/workspace';
import type { Ctx } from '../ctx';
import { folderArg, type Folder } from '../folders';
import { UserError } from '../../core/user-error';

export interface RunInputs {
  folder: Folder;
  index: PreferenceIndex;
  layout: WorkspaceLayout;
  prompts: PromptStore;
  llm: Llm;
  temperature: number;
  seed: number;
  /** The rubric methods: context pairs per judge prompt. */
  rubricContext: number;
  /** Judge calls per order, aggregated (`synthesizeme.samples`). */
  samples: number;
}

/** @param forRun false for an estimate, which writes nothing: a legacy workspace's splits are pinned only by a run (split-record.ts) */
export async function runInputs(folder: Folder, forRun = true): Promise<RunInputs> {
  if (forRun) await folder.files.pinSplits();
  const [index, layout, llm] = await Promise.all([folder.files.get(), folder.files.layout(), folder.model.get()]);
  const c = folder.files.config;
  return {
    folder,
    index,
    layout,
    prompts: new PromptStore(layout.promptDir),
    llm,
    temperature: c.temperature,
    seed: c.split.seed,
    rubricContext: c.rubricContext,
    samples: c.samples,
  };
}

export interface FolderUser {
  folder: Folder;
  user: UserEntry;
}

/**
 * A user from a command argument (a tree item, `{ userId, folder }`, a bare id) or a quick pick. A bare
 * id is looked up in every folder; when several folders have it, the user picks the folder.
 */
export async function pickUser(ctx: Ctx, arg: unknown, title: string): Promise<FolderUser | undefined> {
  const given =
    typeof arg === 'string'
      ? arg
      : typeof (arg as { userId?: unknown })?.userId === 'string'
        ? (arg as { userId: string }).userId
        : undefined;
  const named = folderArg(arg);
  const folders = named !== undefined ? [(await ctx.folders.choose(arg, title))!] : ctx.folders.all();
  if (!folders.length) await ctx.folders.choose(undefined, title);
  const entries: FolderUser[] = [];
  for (const folder of folders) {
    const index = await folder.files.get();
    for (const user of given !== undefined
      ? [index.user(given)].filter((u): u is UserEntry => u !== undefined)
      : index.users())
      entries.push({ folder, user });
  }
  if (given !== undefined && !entries.length)
    throw new UserError(
      `no user "${given}" in ${folders.length === 1 ? `the workspace folder ${folders[0]!.name}` : 'the workspace'}`,
    );
  if (given !== undefined && entries.length === 1) return entries[0];
  if (!entries.length) throw new UserError('the workspace has no preference pairs');
  const several = ctx.folders.multiple;
  const pick = await vscode.window.showQuickPick(
    entries.map((e) => {
      const persona = e.folder.files.hasPersona(e.user.id) ? ' · persona' : '';
      return {
        label: e.user.id,
        description: `${several ? `${e.folder.name} · ` : ''}${e.user.pairs.length} pairs${persona}`,
        entry: e,
      };
    }),
    { title, placeHolder: given !== undefined ? `"${given}" is in several folders: which one?` : 'Which user?' },
  );
  return pick?.entry;
}

// Read by the views too: it lives beside them, outside the commands.
export { readPersonaOf, type UserPersona } from '../persona-of';
