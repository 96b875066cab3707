// The versions of a persona file or a prompt file as a timeline: each version with who made it (its
// record, version-record.ts, or an inference for versions kept before records existed), when, its
// hash, and the runs made with it (runs whose header records that hash for that persona or prompt).
// Reads only: nothing here writes, and a missing or damaged record or version never fails the list.

import { stat } from 'node:fs/promises';
import { READ_LIMITS, readOwnText, unlessRefused } from '../read-guard';
import { basename, join } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from '../method/default-prompts';
import { findPersonaFile, parsePersona, readPersonaText, type PersonaModel } from '../method/persona-file';
import { UserError } from '../user-error';
import { promptFileName, promptHistoryDir } from '../method/prompt-store';
import { listRuns, type RunListing } from './runs-list';
import { readRun, testSetId } from './run-file';
import { textHash } from '../text-hash';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { readVersionRecord, type VersionOrigin } from '../versions/version-record';
import { listVersions, type Version } from '../versions/version-store';

export type { VersionOrigin } from '../versions/version-record';

export interface VersionRun {
  id: string;
  path: string;
  method: string;
  split: string;
  model: string;
  created: string;
  /**
   * For a persona version: the user's figures in that run (its summary's per-user line); for a prompt:
   * the run's. Null while the run has no summary.
   */
  accuracy: number | null;
  ci95: [number, number] | null;
  pairs?: number;
  label?: string;
  /** The pairs it judged (for a persona version: that user's pairs in the run), as an identity (testSetId). */
  testSet?: string;
}

export interface VersionEntry {
  kind: 'persona' | 'prompt';
  /** The user id (persona) or the prompt's name. */
  name: string;
  /** The history file's name; 'current' for the file as it is now, 'default' for the shipped default prompt. */
  id: string;
  /** The history file; for the current entry, the persona or prompt file itself (absent for a default never written). */
  path?: string;
  hash: string;
  /** When the version was written ('' for the shipped default). */
  created: string;
  origin: VersionOrigin;
  current: boolean;
  /** A persona version's provenance.validation.accuracy. */
  validation?: number;
  runs: VersionRun[];
  /** The current entry's text is also kept in history, under this file name. */
  keptAs?: string;
}

const PERSONA_VERSION = '.persona.yaml';
const PROMPT_VERSION = '.prompt.md';

/** The time in a history file's name (versions/version-store.ts versionName), or '' when the name holds none. */
function nameTime(name: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2})-(\d{3})Z/.exec(name);
  return m ? `${m[1]}:${m[2]}:${m[3]}.${m[4]}Z` : '';
}

async function modifiedTime(path: string): Promise<string> {
  return stat(path).then(
    (s) => s.mtime.toISOString(),
    () => '',
  );
}

function tryParse(text: string, path: string): PersonaModel | undefined {
  try {
    return parsePersona(text, path);
  } catch {
    return undefined;
  }
}

/** Provenance aside, the same persona and demonstrations (what re-validation compares, too). */
function sameContent(a: PersonaModel, b: PersonaModel): boolean {
  const demos = (m: PersonaModel) =>
    JSON.stringify(m.demos.map((d) => [d.pairId, d.order, d.preference, d.reasoning.trim()]));
  return a.persona.trim() === b.persona.trim() && demos(a) === demos(b);
}

/**
 * Who made a persona version kept without a record. A fit writes a new provenance.created; a hand edit
 * and a re-validation keep the one of the version before: with the same content, only the figures
 * changed (a re-validation), else the text did (a hand edit). provenance.edited says a hand edit too.
 */
function inferPersonaOrigin(model: PersonaModel | undefined, before: PersonaModel | undefined): VersionOrigin {
  if (!model) return 'unknown';
  const created = model.provenance.created;
  if (before && created && before.provenance.created === created) {
    if (!sameContent(before, model)) return 'hand edit';
    return JSON.stringify(before.provenance.validation) !== JSON.stringify(model.provenance.validation)
      ? 'revalidate'
      : 'hand edit';
  }
  return model.provenance.edited ? 'hand edit' : 'fit';
}

interface Kept {
  version: Version;
  id: string;
  created: string;
  origin: VersionOrigin;
  model?: PersonaModel;
}

/** A user's figures in each run that judged them with a persona, read from the runs' summaries once. */
async function personaRunsByHash(runs: readonly RunListing[], userId: string): Promise<Map<string, VersionRun[]>> {
  const key = `persona:${userId}`;
  const used = runs.filter((r) => r.inputs[key] !== undefined);
  const contents = await Promise.all(used.map((r) => readRun(r.path).catch(() => undefined)));
  const out = new Map<string, VersionRun[]>();
  used.forEach((r, i) => {
    const mine = contents[i]?.summary?.users.find((u) => u.id === userId);
    // This user's pairs in the run: a persona version's runs compare on the user's test set, not the run's.
    const own = contents[i] ? [...contents[i]!.verdicts.values()].filter((v) => v.userId === userId) : [];
    const run: VersionRun = {
      ...runOf(r),
      accuracy: mine ? mine.accuracy : null,
      ci95: mine ? mine.ci95 : null,
      ...(mine ? { pairs: mine.pairs } : {}),
      ...(own.length ? { testSet: testSetId(own) } : {}),
    };
    const list = out.get(r.inputs[key]!) ?? [];
    list.push(run);
    out.set(r.inputs[key]!, list);
  });
  return out;
}

function runOf(r: RunListing): VersionRun {
  return {
    id: r.id,
    path: r.path,
    method: r.method,
    split: r.split,
    model: r.model,
    created: r.created,
    accuracy: r.accuracy,
    ci95: r.ci95,
    pairs: r.pairs,
    ...(r.label ? { label: r.label } : {}),
    testSet: r.testSet,
  };
}

/**
 * What a reader of a history must know before comparing its versions' figures: per split, when the runs
 * were judged on different sets of pairs (pairs were added, or the split rule changed), one line. Their
 * accuracies are then not pair-for-pair comparable; Compare with current compares only the common pairs.
 */
export function historyWarnings(versions: readonly VersionEntry[]): string[] {
  const bySplit = new Map<string, Set<string>>();
  for (const v of versions) {
    for (const r of v.runs) {
      if (!r.testSet) continue;
      const sets = bySplit.get(r.split) ?? new Set<string>();
      sets.add(r.testSet);
      bySplit.set(r.split, sets);
    }
  }
  return [...bySplit]
    .filter(([, sets]) => sets.size > 1)
    .map(
      ([split, sets]) =>
        `the ${split} runs of these versions were judged on ${sets.size} different sets of pairs: ` +
        'their accuracies are not comparable pair for pair (Compare with current compares only the pairs they share)',
    );
}

export interface HistoryPoint {
  /** The version's place, 1-based, oldest first. */
  x: number;
  y: number;
  low?: number;
  high?: number;
}

export interface HistorySeries {
  name: string;
  /** What the series holds: the fit's validation scores, or the runs of one split, method and model. */
  split?: string;
  method?: string;
  model?: string;
  points: HistoryPoint[];
}

/**
 * Scores over versions: the fit's validation score, then one series per split, method and model, each point
 * the newest run of that kind made with the version. A point is never a mix: one chart of runs from three
 * models (or two methods) would draw a model change as a version's effect. Drawing each apart, not
 * filtering to one, keeps every run in view and lets the reader see whether the models agree.
 */
export function historySeries(versions: readonly VersionEntry[]): HistorySeries[] {
  const fit: HistorySeries = { name: 'fit (validation)', points: [] };
  const byKind = new Map<string, HistorySeries>();
  versions.forEach((v, i) => {
    if (v.validation !== undefined) fit.points.push({ x: i + 1, y: v.validation });
    const newest = new Map<string, VersionRun>();
    for (const r of v.runs) {
      if (r.accuracy === null) continue;
      const key = JSON.stringify([r.split, r.method, r.model]);
      const had = newest.get(key);
      if (!had || had.created < r.created) newest.set(key, r);
    }
    for (const [key, r] of newest) {
      const series = byKind.get(key) ?? {
        name: `${r.split} · ${r.method} · ${r.model}`,
        split: r.split,
        method: r.method,
        model: r.model,
        points: [],
      };
      series.points.push({ x: i + 1, y: r.accuracy!, ...(r.ci95 ? { low: r.ci95[0], high: r.ci95[1] } : {}) });
      byKind.set(key, series);
    }
  });
  return [...(fit.points.length ? [fit] : []), ...byKind.values()];
}

/** Runs oldest first (listRuns gives them newest first). */
const oldestFirst = (runs: VersionRun[] | undefined) => [...(runs ?? [])].reverse();

/** A kept version that is not the current file: its history file, and the runs made with its text. */
function keptEntry(
  kind: VersionEntry['kind'],
  name: string,
  k: Kept,
  byHash: ReadonlyMap<string, VersionRun[]>,
): VersionEntry {
  return {
    kind,
    name,
    id: k.id,
    path: k.version.path,
    hash: k.version.hash,
    created: k.created,
    origin: k.origin,
    current: false,
    ...(k.model?.provenance.validation ? { validation: k.model.provenance.validation.accuracy } : {}),
    runs: oldestFirst(byHash.get(k.version.hash)),
  };
}

/** A user's persona versions, oldest first, the current file last (current: true). */
export async function personaVersions(layout: WorkspaceLayout, userId: string): Promise<VersionEntry[]> {
  const history = (await listVersions(personaHistoryDir(layout, userId), PERSONA_VERSION)).reverse();
  const [runs, currentPath] = await Promise.all([
    listRuns(layout),
    findPersonaFile(layout.personaDir, userId).catch(() => undefined),
  ]);
  const byHash = await personaRunsByHash(runs, userId);
  const currentText = currentPath ? await unlessRefused(readPersonaText(currentPath)) : undefined;
  const currentHash = currentText !== undefined ? textHash(currentText) : undefined;

  const kept: Kept[] = [];
  let before: PersonaModel | undefined;
  for (const version of history) {
    const id = basename(version.path);
    const model = tryParse(version.text, version.path);
    const record = await readVersionRecord(version.path);
    kept.push({
      version,
      id,
      created: record?.created || nameTime(id),
      origin: record?.origin ?? inferPersonaOrigin(model, before),
      ...(model ? { model } : {}),
    });
    if (model) before = model;
  }
  const out = kept.filter((k) => k.version.hash !== currentHash).map((k) => keptEntry('persona', userId, k, byHash));
  if (currentText !== undefined && currentPath && currentHash) {
    const same = kept.find((k) => k.version.hash === currentHash);
    const model = same?.model ?? tryParse(currentText, currentPath);
    // Not kept: the tool keeps every text it writes, so this one was written by hand (or, with no history
    // at all, by a tool that kept none).
    const origin = same ? same.origin : history.length ? 'hand edit' : inferPersonaOrigin(model, undefined);
    out.push({
      kind: 'persona',
      name: userId,
      id: 'current',
      path: currentPath,
      hash: currentHash,
      created: same ? same.created : await modifiedTime(currentPath),
      origin,
      current: true,
      ...(model?.provenance.validation ? { validation: model.provenance.validation.accuracy } : {}),
      runs: oldestFirst(byHash.get(currentHash)),
      ...(same ? { keptAs: same.id } : {}),
    });
  }
  return out;
}

/** A prompt's versions: the shipped default first when it differs from every kept version, oldest first, the current file last. */
export async function promptVersions(layout: WorkspaceLayout, name: PromptName): Promise<VersionEntry[]> {
  const shipped = DEFAULT_PROMPTS[name];
  const shippedHash = textHash(shipped);
  const history = (await listVersions(promptHistoryDir(layout.historyDir, name), PROMPT_VERSION)).reverse();
  const runs = await listRuns(layout);
  const byHash = new Map<string, VersionRun[]>();
  for (const r of runs) {
    const h = r.inputs[name];
    if (h === undefined) continue;
    const list = byHash.get(h) ?? [];
    list.push(runOf(r));
    byHash.set(h, list);
  }
  const currentPath = join(layout.promptDir, promptFileName(name));
  // A prompt file not written yet is its default (written on first use); one that cannot be read has no current entry.
  let currentText: string | undefined;
  let written = false;
  try {
    currentText = await readOwnText(currentPath, { what: 'prompt file', maxBytes: READ_LIMITS.text });
    written = true;
  } catch (err) {
    // A refusal of the read guard (a link out, a FIFO) is said, not taken for a missing file.
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') currentText = shipped;
  }
  const currentHash = currentText !== undefined ? textHash(currentText) : undefined;

  const kept: Kept[] = [];
  for (const version of history) {
    const id = basename(version.path);
    const record = await readVersionRecord(version.path);
    kept.push({
      version,
      id,
      created: record?.created || nameTime(id),
      origin: record?.origin ?? (version.hash === shippedHash ? 'default' : 'unknown'),
    });
  }
  const base = { kind: 'prompt' as const, name };
  const out: VersionEntry[] = [];
  if (!kept.some((k) => k.version.hash === shippedHash) && currentHash !== shippedHash) {
    out.push({
      ...base,
      id: 'default',
      hash: shippedHash,
      created: '',
      origin: 'default',
      current: false,
      runs: oldestFirst(byHash.get(shippedHash)),
    });
  }
  for (const k of kept) if (k.version.hash !== currentHash) out.push(keptEntry('prompt', name, k, byHash));
  if (currentText !== undefined && currentHash) {
    const same = kept.find((k) => k.version.hash === currentHash);
    // Not kept: the tool keeps every text it writes except the default on first use, so another text was written by hand.
    const origin = same ? same.origin : currentHash === shippedHash ? 'default' : 'hand edit';
    out.push({
      ...base,
      id: 'current',
      ...(written ? { path: currentPath } : {}),
      hash: currentHash,
      created: same ? same.created : written ? await modifiedTime(currentPath) : '',
      origin,
      current: true,
      runs: oldestFirst(byHash.get(currentHash)),
      ...(same ? { keptAs: same.id } : {}),
    });
  }
  return out;
}
