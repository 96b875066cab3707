// Which version of a user's persona a hash is (a run header records the persona file's hash): the file as
// it is now, or one of its history files. Used by pair history and by the grid's run names.

import { basename } from 'node:path';
import { findPersonaFile, readPersonaText } from '../method/persona-file';
import { unlessRefused } from '../read-guard';
import { textHash } from '../text-hash';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { listVersions } from '../versions/version-store';

const PERSONA_VERSION = '.persona.yaml';

/** Which version a persona hash is: 'current', a history file's name, or undefined. */
export async function personaVersionNames(
  layout: WorkspaceLayout,
  userId: string,
): Promise<(hash: string) => string | undefined> {
  const path = await findPersonaFile(layout.personaDir, userId).catch(() => undefined);
  const text = path ? await unlessRefused(readPersonaText(path)) : undefined;
  const current = text !== undefined ? textHash(text) : undefined;
  const kept = new Map<string, string>();
  // Oldest first, so that a text kept twice (never, by keepVersion; by hand, maybe) names its first version.
  for (const v of (await listVersions(personaHistoryDir(layout, userId), PERSONA_VERSION)).reverse())
    if (!kept.has(v.hash)) kept.set(v.hash, basename(v.path));
  return (hash) => (hash === current ? 'current' : kept.get(hash));
}
