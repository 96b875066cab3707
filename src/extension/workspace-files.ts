// Reads the workspace's preference files into the engine's index, with the user's globs and splits.

import * as vscode from 'vscode';
import type { PreferenceIndex } from '../core/data/workspace-index';
import { readConfig } from './config';

export async function indexWorkspace(token?: vscode.CancellationToken): Promise<PreferenceIndex> {
  // The engine is loaded on first use, not at activation.
  const [{ PreferenceIndex }, { readPreferenceFile, sniffJsonlIsPreferences }] = await Promise.all([
    import('../core/data/workspace-index'),
    import('../core/data/read-file'),
  ]);
  const config = readConfig();
  const index = new PreferenceIndex(config.split);
  const seen = new Set<string>();
  for (const glob of config.include) {
    const uris = await vscode.workspace.findFiles(glob, '{**/node_modules/**,**/.synthesizeme/**}', undefined, token);
    for (const uri of uris) {
      if (token?.isCancellationRequested || seen.has(uri.fsPath)) continue;
      seen.add(uri.fsPath);
      if (!/\.prefs\./i.test(uri.fsPath) && uri.fsPath.endsWith('.jsonl') && !(await sniffJsonlIsPreferences(uri.fsPath))) continue;
      index.setFile(await readPreferenceFile(uri.fsPath, vscode.workspace.asRelativePath(uri)));
    }
  }
  return index;
}
