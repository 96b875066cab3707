// Where a workspace keeps what the engine writes. Everything is a file in the workspace, so the
// CLI and the editor always agree and a crash loses nothing (ARCHITECTURE.md).

import { isAbsolute, join } from 'node:path';
import { personaFileName, personaStem } from '../method/persona-file';
import type { WorkspaceSettings } from './settings';
import { allowWritesUnder, outside } from '../write-guard';

export interface WorkspaceLayout {
  root: string;
  personaDir: string;
  promptDir: string;
  runsDir: string;
  cacheDir: string;
  historyDir: string;
}

export function workspaceLayout(
  root: string,
  settings: WorkspaceSettings = {},
  overrides: { cacheDir?: string } = {},
): WorkspaceLayout {
  const at = (p: string) => (isAbsolute(p) ? p : join(root, p));
  const state = join(root, '.synthesizeme');
  const layout: WorkspaceLayout = {
    root,
    personaDir: at(settings.personaDir ?? 'personas'),
    promptDir: at(settings.promptDir ?? 'prompts'),
    runsDir: join(state, 'runs'),
    cacheDir: overrides.cacheDir ? overrides.cacheDir : at(settings.cacheDir ?? join('.synthesizeme', 'cache')),
    historyDir: join(state, 'history'),
  };
  // Writes may go into the workspace, and into the folders outside it that someone chose (a flag, the
  // user's settings, a trusted workspace: an untrusted one's outside folders were dropped by the
  // settings table). A folder inside the workspace is not registered: a planted link must not pass.
  allowWritesUnder(root);
  for (const dir of [layout.personaDir, layout.promptDir, layout.cacheDir])
    if (outside(dir, root)) allowWritesUnder(dir);
  return layout;
}

export function personaPath(layout: WorkspaceLayout, userId: string): string {
  return join(layout.personaDir, personaFileName(userId));
}

export function personaHistoryDir(layout: WorkspaceLayout, userId: string): string {
  return join(layout.historyDir, personaStem(userId));
}
