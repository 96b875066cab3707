// One pair across every run of a workspace: how each run judged it, newest run first, and with which
// version of the user's persona (the run header records the persona file's hash; the persona's
// history folder and the file as it is now say which version that hash is).

import { basename } from 'node:path';
import { findPersonaFile, readPersonaText } from '../method/persona-file';
import { unlessRefused } from '../read-guard';
import { textHash } from '../text-hash';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { listVersions } from '../versions/version-store';
import { gridCellOf, type GridOrder, type GridRunInfo } from './comparison-grid';
import { lensRunsDir } from './lens-run';
import { readRun, verdictKey } from './run-file';
import { listRuns } from './runs-list';

export interface PairJudgement {
  run: GridRunInfo;
  orders: GridOrder[];
  score: number | null;
  personaHash?: string;
  /** the history file name of that persona version, 'current' when it is the persona file as it is now, undefined when unknown */
  personaVersion?: string;
}

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

/**
 * Every run in the layout's runs folder that judged the pair, with the lens's one-pair runs (lens-run.ts),
 * newest run first.
 */
export async function pairJudgements(
  layout: WorkspaceLayout,
  key: { user: string; pairId: string },
): Promise<PairJudgement[]> {
  const k = verdictKey(key.user, key.pairId);
  // A run judges only the users in its header: the others' files are not read again.
  const [runs, lens] = await Promise.all([listRuns(layout), listRuns({ ...layout, runsDir: lensRunsDir(layout) })]);
  const listed = [...runs, ...lens]
    .filter((l) => l.users.includes(key.user))
    .sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.path < b.path ? -1 : 1));
  const found = await Promise.all(
    listed.map(async (l) => (await readRun(l.path).catch(() => undefined))?.verdicts.get(k)),
  );
  const versionOf = await personaVersionNames(layout, key.user);
  const out: PairJudgement[] = [];
  listed.forEach((l, i) => {
    const cell = gridCellOf(found[i]);
    if (!cell) return;
    const personaHash = l.inputs[`persona:${key.user}`];
    const personaVersion = personaHash ? versionOf(personaHash) : undefined;
    out.push({
      run: {
        id: l.id,
        path: l.path,
        ...(l.label ? { label: l.label } : {}),
        method: l.method,
        model: l.model,
        split: l.split,
        created: l.created,
        stale: l.stale,
        status: l.status,
      },
      orders: cell.orders,
      score: cell.score,
      ...(personaHash ? { personaHash } : {}),
      ...(personaVersion ? { personaVersion } : {}),
    });
  });
  return out;
}
