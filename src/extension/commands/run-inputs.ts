// What every LLM command needs, gathered the same way: the index, the folders, the prompts,
// the model and the sampling settings.

import * as vscode from 'vscode';
import type { PreferenceIndex, UserEntry } from '../../core/data/workspace-index';
import type { Llm } from '../../core/llm/client';
import type { PromptStore } from '../../core/method/prompt-store';
import type { PersonaModel } from '../../core/method/persona-file';
import type { WorkspaceLayout } from '../../core/workspace/layout';
import type { Ctx } from '../ctx';

export interface RunInputs {
  index: PreferenceIndex;
  layout: WorkspaceLayout;
  prompts: PromptStore;
  llm: Llm;
  temperature: number;
  seed: number;
}

export async function runInputs(ctx: Ctx): Promise<RunInputs> {
  const [index, layout, { PromptStore }, llm] = await Promise.all([ctx.files.get(), ctx.files.layout(), import('../../core/method/prompt-store'), ctx.model.get()]);
  return { index, layout, prompts: new PromptStore(layout.promptDir), llm, temperature: ctx.files.config.temperature, seed: ctx.files.config.split.seed };
}

/** A user id from a command argument (a tree item, a string) or a quick pick. */
export async function pickUser(ctx: Ctx, arg: unknown, title: string): Promise<UserEntry | undefined> {
  const index = await ctx.files.get();
  const given = typeof arg === 'string' ? arg : typeof (arg as { userId?: unknown })?.userId === 'string' ? (arg as { userId: string }).userId : undefined;
  if (given !== undefined) {
    const u = index.user(given);
    if (!u) throw Object.assign(new Error(`no user "${given}" in the workspace`), { expected: true });
    return u;
  }
  const users = index.users();
  if (!users.length) throw Object.assign(new Error('the workspace has no preference pairs'), { expected: true });
  const pick = await vscode.window.showQuickPick(
    users.map((u) => ({ label: u.id, description: `${u.pairs.length} pairs${ctx.files.hasPersona(u.id) ? ' · persona' : ''}`, user: u })),
    { title, placeHolder: 'Which user?' },
  );
  return pick?.user;
}

export interface UserPersona {
  model: PersonaModel;
  hash: string;
  path: string;
}

export async function readPersonaOf(ctx: Ctx, userId: string): Promise<UserPersona | undefined> {
  const [layout, { personaPath }, { parsePersona }, { promptHash }] = await Promise.all([
    ctx.files.layout(),
    import('../../core/workspace/layout'),
    import('../../core/method/persona-file'),
    import('../../core/method/prompt-store'),
  ]);
  const path = personaPath(layout, userId);
  let text: string;
  try {
    // The open editor's text, saved or not, is what the user sees.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
    text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
  } catch {
    return undefined;
  }
  return { model: parsePersona(text, vscode.workspace.asRelativePath(path)), hash: promptHash(text), path };
}
