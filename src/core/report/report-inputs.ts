// Which runs a report covers, and of which workspace: run files named one by one, or a folder (a workspace
// a benchmark ran in), whose newest run of each method, model and label on the test split is taken, the
// `default` method's first (the baseline the benchmark compares with). A report covers one workspace: runs
// of two are refused, since their pairs and personas would be looked up in one of them only.

import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readRunFile } from '../eval/comparison-grid';
import { LENS_SPLIT } from '../eval/lens-run';
import { listRuns, type RunListing } from '../eval/runs-list';
import type { RunContents } from '../eval/run-file';
import { readWorkspaceSettingsWithNotes } from '../workspace/settings';
import { workspaceLayout } from '../workspace/layout';
import { chooseFileToRead, enclosingWorkspace } from '../write-guard';
import { UserError } from '../user-error';

export interface ResolvedRuns {
  paths: string[];
  contents: RunContents[];
  /** The workspace the runs lie in, when they lie in one (or the one given). */
  workspace?: string;
}

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => undefined,
  );

const isRunsFolder = (p: string) => basename(p) === 'runs' && basename(dirname(p)) === '.synthesizeme';

/** The run files of every input, in order, read and checked; a folder's runs chosen as the module says. */
export async function resolveRuns(
  inputs: readonly string[],
  workspace: string | undefined,
  opts: { cwd: string; trust: boolean },
): Promise<ResolvedRuns> {
  if (!inputs.length) throw new UserError('report: give run files or a workspace folder of runs', 2);
  const paths: string[] = [];
  const homes = new Map<string, string>();
  for (const input of inputs) {
    const given = resolve(opts.cwd, input);
    // The runs folder itself (`ws/.synthesizeme/runs`) stands for its workspace.
    const path = isRunsFolder(given) ? dirname(dirname(given)) : given;
    const dir = await isDir(path);
    if (dir === undefined) throw new UserError(`${input}: no such file or folder`, 2);
    if (dir) {
      const found = await folderRuns(path, opts.trust);
      paths.push(...found);
      homes.set(path, input);
      continue;
    }
    chooseFileToRead(path);
    paths.push(path);
    const home = enclosingWorkspace(path);
    if (home) homes.set(home, input);
  }
  const root = oneWorkspace(homes, workspace === undefined ? undefined : resolve(opts.cwd, workspace));
  const contents = await Promise.all(paths.map((p) => readRunFile(p)));
  refuseRepeats(paths, contents);
  return { paths, contents, ...(root ? { workspace: root } : {}) };
}

/** The one workspace of the runs (the given one, when given); two are refused with the inputs that name them. */
function oneWorkspace(homes: ReadonlyMap<string, string>, given: string | undefined): string | undefined {
  const all = [...homes];
  const root = given ? resolve(given) : all[0]?.[0];
  const other = all.find(([home]) => home !== root);
  if (root && other) {
    const mine = all.find(([home]) => home === root)?.[1];
    throw new UserError(
      `the runs belong to different workspaces: ${other[1]} lies in ${other[0]}, ` +
        `${mine ? `${mine} in ${root}` : `not in ${root}`}; a report covers the runs of one workspace`,
      2,
    );
  }
  return root;
}

function refuseRepeats(paths: readonly string[], contents: readonly RunContents[]): void {
  const seen = new Map<string, string>();
  contents.forEach((c, i) => {
    const id = c.header!.id;
    const before = seen.get(id);
    if (before !== undefined)
      throw new UserError(`${before} and ${paths[i]} are the same run (id ${id}): give each run once`, 2);
    seen.set(id, paths[i]!);
  });
}

/** A folder's runs: its newest run of each method, model, split and label, on the test split when it has one. */
async function folderRuns(folder: string, trustWorkspace: boolean): Promise<string[]> {
  const { settings } = await readWorkspaceSettingsWithNotes(folder, trustWorkspace);
  const layout = workspaceLayout(folder, settings);
  const all = (await listRuns(layout)).filter((r) => r.split !== LENS_SPLIT);
  const onTest = all.filter((r) => r.split === 'test');
  const pool = onTest.length ? onTest : all;
  const newest = new Map<string, RunListing>();
  // listRuns lists newest first: the first of each kind is kept.
  for (const r of pool) {
    const kind = JSON.stringify([r.method, r.model, r.split, r.label ?? '']);
    if (!newest.has(kind)) newest.set(kind, r);
  }
  const runs = [...newest.values()].sort(
    (a, b) =>
      Number(b.method === 'default') - Number(a.method === 'default') ||
      a.method.localeCompare(b.method) ||
      a.model.localeCompare(b.model) ||
      (a.label ?? '').localeCompare(b.label ?? ''),
  );
  if (!runs.length)
    throw new UserError(
      `${basename(folder)}: no runs under ${join(basename(folder), '.synthesizeme', 'runs')} ` +
        '(synthesizeme eval or bench run writes them)',
      2,
    );
  return runs.map((r) => r.path);
}
