// Opening a folder's file at a line, for the views' links (a verdict row, a demonstration, a pair).

import * as vscode from 'vscode';
import type { Folder } from '../folders';

/** Opens a folder's file (a name its index knows, or a folder-relative path) at a 1-based line. */
export async function openAt(folder: Folder, file: string, line: number): Promise<void> {
  const root = folder.uri;
  const uri = folder.files.uriOf(file) ?? vscode.Uri.joinPath(root, file);
  if (!uri.fsPath.startsWith(root.fsPath)) return;
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: true });
}
