// What the tools share: reading their input (the chat model's JSON, checked again here: a model can send
// anything) into the commands' own arguments, and the text result the model reads.

import * as vscode from 'vscode';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { type FolderUser, pickUser } from '../commands/run-inputs';

export function textResult(text: string): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
}

/** A non-empty string field, or an expected error that names it. */
export function stringField(input: unknown, key: string, required: true): string;
export function stringField(input: unknown, key: string, required?: false): string | undefined;
export function stringField(input: unknown, key: string, required = false): string | undefined {
  const v = (input as Record<string, unknown> | undefined)?.[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new UserError(`the input needs "${key}"`);
    return undefined;
  }
  if (typeof v !== 'string') throw new UserError(`"${key}" must be a string, not ${JSON.stringify(v)}`);
  return v;
}

/** The `folder` argument the commands take (a URI or path) from a workspace folder's name, URI or path. */
export function folderOf(ctx: Ctx, input: unknown): { folder?: string } {
  const given = stringField(input, 'folder');
  if (given === undefined) return {};
  const f = ctx.folders.all().find((x) => x.name === given || x.uri.toString() === given || x.uri.fsPath === given);
  if (!f)
    throw new UserError(
      `"${given}" is not a folder of this workspace (its folders: ${ctx.folders
        .all()
        .map((x) => x.name)
        .join(', ')})`,
    );
  return { folder: f.uri.toString() };
}

/**
 * The folder an input names, or the only one. A tool asks nothing (agent mode is waiting on it): with several
 * folders and none named, the model is told to name one.
 */
export function folderFor(ctx: Ctx, input: unknown): Folder {
  const { folder } = folderOf(ctx, input);
  const all = ctx.folders.all();
  const named =
    folder !== undefined ? all.find((f) => f.uri.toString() === folder) : all.length === 1 ? all[0] : undefined;
  if (named) return named;
  if (!all.length) throw new UserError('open a folder with preference files first');
  throw new UserError(`the workspace has several folders (${all.map((f) => f.name).join(', ')}): give "folder"`);
}

/** The user an input names (`userId`, and `folder` when several folders have it), as the commands find it. */
export async function userOf(ctx: Ctx, input: unknown, title: string): Promise<FolderUser> {
  const userId = stringField(input, 'userId', true);
  let { folder } = folderOf(ctx, input);
  if (folder === undefined) {
    // A user in several folders would be a quick pick in the commands; here the model names the folder.
    const holding: Folder[] = [];
    for (const f of ctx.folders.all()) if ((await f.files.get()).user(userId)) holding.push(f);
    if (holding.length > 1)
      throw new UserError(
        `user "${userId}" is in several workspace folders (${holding.map((f) => f.name).join(', ')}): give "folder"`,
      );
    folder = holding[0]?.uri.toString();
  }
  const picked = await pickUser(ctx, { userId, ...(folder !== undefined ? { folder } : {}) }, title);
  if (!picked) throw new UserError(`no folder was chosen for user "${userId}"`);
  return picked;
}

/** A confirmation before a tool spends model calls (agent mode shows it with Continue and Cancel). */
export function confirmation(title: string, message: string, progress: string): vscode.PreparedToolInvocation {
  return { invocationMessage: progress, confirmationMessages: { title, message: new vscode.MarkdownString(message) } };
}
