// One pair across every run of a workspace: how each run judged it, newest run first, and with which
// version of the user's persona (the run header records the persona file's hash; the persona's
// history folder and the file as it is now say which version that hash is).

import type { WorkspaceLayout } from '../workspace/layout';
import { gridCellOf, type GridOrder, type GridRunInfo } from './comparison-grid';
import { lensRunsDir } from './lens-run';
import { readRun, verdictKey } from './run-file';
import { listRuns } from './runs-list';
import { personaVersionNames } from './persona-version-names';

export interface PairJudgement {
  run: GridRunInfo;
  orders: GridOrder[];
  score: number | null;
  personaHash?: string;
  /** the history file name of that persona version, 'current' when it is the persona file as it is now, undefined when unknown */
  personaVersion?: string;
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
