// A user's persona as the extension reads it: the file under the read guard, or the open editor's text
// (saved or not, it is what the user sees). Shared by the commands and the views.

import * as vscode from 'vscode';
import {
  checkPersonaUser,
  findPersonaFile,
  parsePersona,
  type PersonaModel,
  promptHash,
  readPersonaText,
} from '../core/method';
import { UserError } from '../core/user-error';
import type { Folder } from './folders';

export interface UserPersona {
  model: PersonaModel;
  hash: string;
  path: string;
}

export async function readPersonaOf(folder: Folder, userId: string): Promise<UserPersona | undefined> {
  const layout = await folder.files.layout();
  // The user's own file (or the name of earlier versions when its user_id matches).
  const path = await findPersonaFile(layout.personaDir, userId);
  if (!path) return undefined;
  let text: string | undefined;
  try {
    // Under the read guard first, also when an editor has it open: a persona planted as a link out of the
    // workspace, a FIFO or a huge file is refused (its text would go to the model) whoever opened it.
    text = await readPersonaText(path);
    // The open editor's text, saved or not, is what the user sees.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
    if (open) text = open.getText();
  } catch (err) {
    if (err instanceof UserError) throw err;
    return undefined;
  }
  if (text === undefined) return undefined;
  const model = parsePersona(text, folder.relative(path));
  checkPersonaUser(model, userId, folder.relative(path));
  return { model, hash: promptHash(text), path };
}
