// The split record, `.synthesizeme/splits.json`: the splits a workspace fitted under the earlier rule
// (a seeded shuffle of each user's pairs, legacySplitUser) had, pinned so that they never move.
//
// A pair's split follows its id (splits.ts). A workspace fitted before that rule existed has personas or
// runs made on the shuffled splits, and must keep them: no result may silently change its test set. So:
// - reading (inspect, the index, the extension's views) never writes; a legacy workspace (persona or run
//   files, no record) is read under the earlier rule, so what is shown is what its next run uses;
// - the first run that writes anything (pinLegacySplits) records every pair's split under the earlier
//   rule, and says so once; from then on recorded pairs keep their split and new pairs follow their id;
// - a workspace without personas or runs gets an empty record on its first run, so that the personas that
//   run writes do not make it look legacy to the next one;
// - a record made under another seed or other ratios than the run's is not applied, and a note says so.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findJsonErrorOffset } from '../data/json-error-position';
import type { Split } from '../data/pair';
import { SPLITS } from '../data/pair';
import { legacySplitUser, type SplitBasis, type SplitOptions } from '../data/splits';
import type { PreferenceIndex } from '../data/workspace-index';
import { READ_LIMITS, readOwnTextIfExists } from '../read-guard';
import { UserError } from '../user-error';
import { mkdirChecked } from '../write-guard';
import { replaceWhole } from '../atomic-write';
import type { WorkspaceLayout } from './layout';
import { isRecord as isObject } from '../is-record';

export const SPLIT_RECORD = join('.synthesizeme', 'splits.json');

export interface SplitRecord {
  version: 1;
  seed: number;
  ratios: [number, number, number];
  /** user id -> pair id -> split. */
  users: Record<string, Record<string, Split>>;
}

/** How a workspace splits its pairs now, and what to say about it. */
export interface SplitState {
  basis: SplitBasis;
  /** Fitted under the earlier rule and not pinned yet: the first run that writes pins it. */
  legacy: boolean;
  /** No record yet: the first run that writes creates one (empty unless legacy). */
  unrecorded: boolean;
  /** One line each, said once by every command that opens the workspace (a record not applied). */
  notes: string[];
}

export function splitRecordPath(root: string): string {
  return join(root, SPLIT_RECORD);
}

/** The record, or undefined when there is none. A malformed record is an error naming its file and line (exit 2). */
export async function readSplitRecord(root: string): Promise<SplitRecord | undefined> {
  const path = splitRecordPath(root);
  const text = await readOwnTextIfExists(path, { what: 'split record', maxBytes: READ_LIMITS.log });
  if (text === undefined) return undefined;
  const fail = (line: number, why: string): never => {
    throw new UserError(
      `${path}:${line}: ${why}; fix or remove the file (removing it re-pins the earlier splits on the next run)`,
      2,
    );
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(lineAt(text, findJsonErrorOffset(text)), 'not valid JSON');
  }
  const rec = raw as Partial<SplitRecord> | null;
  if (!isObject(rec)) return fail(1, 'not a split record (an object with version, seed, ratios, users)');
  const lineOf = (key: string) => lineAt(text, Math.max(0, text.indexOf(`${JSON.stringify(key)}:`)));
  if (rec.version !== 1)
    fail(lineOf('version'), `unknown version ${JSON.stringify(rec.version)} (this tool reads version 1)`);
  if (typeof rec.seed !== 'number' || !Number.isInteger(rec.seed)) fail(lineOf('seed'), '"seed" is not an integer');
  const r = rec.ratios;
  if (!Array.isArray(r) || r.length !== 3 || !r.every((x) => typeof x === 'number' && x >= 0))
    fail(lineOf('ratios'), '"ratios" is not three numbers of at least 0');
  if (!isObject(rec.users)) return fail(lineOf('users'), '"users" is not an object');
  for (const [user, pairs] of Object.entries(rec.users)) {
    if (!isObject(pairs)) fail(lineOf(user), `user ${JSON.stringify(user)}: not an object of pair id -> split`);
    for (const [pair, split] of Object.entries(pairs as Record<string, unknown>)) {
      if (!SPLITS.includes(split as Split))
        fail(
          lineOf(user),
          `user ${JSON.stringify(user)}, pair ${JSON.stringify(pair)}: ${JSON.stringify(split)} is not context, validation or test`,
        );
    }
  }
  return rec as SplitRecord;
}

/** How the workspace's pairs are split under these options: by the record, by id, or (legacy, unpinned) the earlier rule. */
export async function readSplitState(
  layout: Pick<WorkspaceLayout, 'root' | 'personaDir' | 'runsDir'>,
  options: SplitOptions,
): Promise<SplitState> {
  const record = await readSplitRecord(layout.root);
  if (!record) {
    const legacy = !options.temporal && (await fittedBefore(layout));
    return { basis: legacy ? { rule: 'legacy' } : { rule: 'hash' }, legacy, unrecorded: true, notes: [] };
  }
  const pinned = Object.values(record.users).reduce((n, u) => n + Object.keys(u).length, 0);
  const hash: SplitState = { basis: { rule: 'hash' }, legacy: false, unrecorded: false, notes: [] };
  if (pinned === 0) return hash;
  if (options.temporal)
    return { ...hash, notes: [`splits: ${SPLIT_RECORD} is not applied: a temporal split keeps file order`] };
  if (record.seed !== options.seed || record.ratios.join('/') !== options.ratios.join('/')) {
    return {
      ...hash,
      notes: [
        `splits: ${SPLIT_RECORD} pins ${pinned} pairs for seed ${record.seed} and ratios ${record.ratios.join('/')}; ` +
          `the splits in use have seed ${options.seed} and ratios ${options.ratios.join('/')}, ` +
          'so the record is not applied and every pair is split by its id',
      ],
    };
  }
  const users = new Map(Object.entries(record.users).map(([u, pairs]) => [u, new Map(Object.entries(pairs))]));
  return { ...hash, basis: { rule: 'record', users } };
}

/** What pinLegacySplits needs of an open workspace: the CLI's Workspace and the extension's folder both have it. */
export interface PinTarget {
  root: string;
  index: PreferenceIndex;
  split: SplitOptions;
  splits: SplitState;
}

/**
 * Called once by every run that writes (fit, eval, revalidate, bench run, theta, collect), CLI and extension:
 * a legacy workspace's splits are recorded under the earlier rule, and the note to say once is returned; a
 * workspace with no record gets an empty one (nothing to say). Afterwards the index splits by the record.
 */
export async function pinLegacySplits(ws: PinTarget): Promise<string | undefined> {
  if (!ws.splits.unrecorded || ws.split.temporal) return undefined;
  const users: Record<string, Record<string, Split>> = {};
  let pinned = 0;
  if (ws.splits.legacy) {
    for (const u of ws.index.users()) {
      const assignment = legacySplitUser(u.id, u.pairs, ws.split).assignment;
      if (!assignment.size) continue;
      users[u.id] = Object.fromEntries(assignment);
      pinned += assignment.size;
    }
  }
  const record: SplitRecord = { version: 1, seed: ws.split.seed, ratios: [...ws.split.ratios], users };
  await writeSplitRecord(ws.root, record);
  const wasLegacy = ws.splits.legacy;
  ws.splits = { basis: { rule: 'hash' }, legacy: false, unrecorded: false, notes: [] };
  if (pinned)
    ws.splits.basis = {
      rule: 'record',
      users: new Map(Object.entries(users).map(([u, p]) => [u, new Map(Object.entries(p))])),
    };
  // The same splits as before (the earlier rule's), now from the record: pairs added later follow their id.
  ws.index.setSplitBasis(ws.splits.basis);
  if (!wasLegacy) return undefined;
  return (
    'splits pinned: this workspace was fitted under the earlier split rule; ' +
    `its ${pinned} pairs keep their splits (${SPLIT_RECORD}); pairs added from now on are split by their id`
  );
}

/** One user per line: a record of thousands of users stays readable, and an error names a useful line. */
export function formatSplitRecord(record: SplitRecord): string {
  const users = Object.entries(record.users).map(([u, pairs]) => `  ${JSON.stringify(u)}: ${JSON.stringify(pairs)}`);
  return [
    '{',
    `  "version": ${record.version},`,
    `  "seed": ${record.seed},`,
    `  "ratios": ${JSON.stringify(record.ratios)},`,
    users.length ? `  "users": {\n${users.join(',\n')}\n  }` : '  "users": {}',
    '}',
    '',
  ].join('\n');
}

/** Written whole or not at all (a temporary file, then a rename), through no link out of the workspace. */
async function writeSplitRecord(root: string, record: SplitRecord): Promise<void> {
  const path = splitRecordPath(root);
  await mkdirChecked(join(root, '.synthesizeme'));
  await replaceWhole(path, formatSplitRecord(record), 'split record');
}

/**
 * Persona files or run files: something was fitted or judged on the splits this workspace had. Run files
 * count only as regular files: the tool writes them itself, and a link planted in the runs folder (which
 * the run would refuse anyway) is no evidence of a fit.
 */
async function fittedBefore(layout: Pick<WorkspaceLayout, 'personaDir' | 'runsDir'>): Promise<boolean> {
  const entries = async (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  const [personas, runs] = await Promise.all([entries(layout.personaDir), entries(layout.runsDir)]);
  return (
    personas.some((e) => e.name.endsWith('.persona.yaml')) ||
    runs.some((e) => e.isFile() && e.name.endsWith('.run.jsonl'))
  );
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
