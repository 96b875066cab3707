// Training data out: a workspace's pairs as the preference data a trainer reads (TRL's RewardTrainer and
// DPOTrainer), one JSON line per pair with `prompt`, `chosen` and `rejected`, so that a reward model can be
// trained from the same pairs the methods are evaluated on, collected ones included.
//
// Every line is in TRL's conversational form (lists of {role, content} messages), single-turn ones too: one
// file must hold one form (a dataset's columns have one type, and TRL tells the form from the first line),
// a conversation of several turns only fits that form, and the persona's system message needs it. The test
// split is left out unless asked: a trainer must never see the pairs a method is scored on by accident.

import { lstat, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Pair, Split } from '../data/pair';
import type { UserEntry } from '../data/workspace-index';
import { replaceWhole } from '../atomic-write';
import { UserError } from '../user-error';
import { mkdirChecked } from '../write-guard';
import { pairsBySplit, readUserPersona, type Workspace } from './open-workspace';

/** One message of a conversational line. */
export interface PreferenceMessage {
  role: string;
  content: string;
}

/** One line of the file: TRL's conversational preference format (explicit prompt). */
export interface PreferenceLine {
  prompt: PreferenceMessage[];
  chosen: PreferenceMessage[];
  rejected: PreferenceMessage[];
}

/** Which pairs: one split, or all three; none given is context and validation (never the test set unasked). */
export type PreferenceSplitChoice = Split | 'all';

export interface PreferenceDataInputs {
  users: readonly UserEntry[];
  split?: PreferenceSplitChoice;
  /** Put each user's persona (their persona file's) first, as a system message. */
  persona: boolean;
}

export interface PreferenceData {
  /** The splits exported, in order; each has its lines (maybe none). */
  splits: Split[];
  lines: Record<Split, PreferenceLine[]>;
  /** Test pairs left out because the test split was not asked for. */
  testLeftOut: number;
  /** One line each, to say: what was left out and why. */
  notes: string[];
}

export const PREFERENCE_SPLIT_CHOICES: readonly PreferenceSplitChoice[] = ['context', 'validation', 'test', 'all'];

export function isPreferenceSplitChoice(s: string): s is PreferenceSplitChoice {
  return (PREFERENCE_SPLIT_CHOICES as readonly string[]).includes(s);
}

/** The splits a choice exports, in file order. */
export function preferenceSplits(choice: PreferenceSplitChoice | undefined): Split[] {
  if (choice === undefined) return ['context', 'validation'];
  return choice === 'all' ? ['context', 'validation', 'test'] : [choice];
}

/**
 * A pair as one line. The responses are assistant messages whatever role the file gave them (a response is
 * the assistant's turn). The persona comes first as a system message; a conversation that opens with its own
 * system message gets the persona prepended to it, since many chat templates take one system message only.
 */
export function preferenceLine(pair: Pair, persona?: string): PreferenceLine {
  const prompt: PreferenceMessage[] = pair.context.map((t) => ({ role: t.role, content: t.content }));
  if (persona !== undefined) {
    const text = persona.trim();
    if (prompt[0]?.role === 'system') prompt[0] = { role: 'system', content: `${text}\n\n${prompt[0].content}` };
    else prompt.unshift({ role: 'system', content: text });
  }
  return {
    prompt,
    chosen: [{ role: 'assistant', content: pair.chosen.content }],
    rejected: [{ role: 'assistant', content: pair.rejected.content }],
  };
}

/** Each user's persona text, or an error that names every user without a persona file (nothing is written then). */
async function personasOf(ws: Workspace, users: readonly UserEntry[], cwd: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const missing: string[] = [];
  for (const u of users) {
    const loaded = await readUserPersona(ws, u.id, cwd);
    if (loaded) out.set(u.id, loaded.model.persona);
    else missing.push(u.id);
  }
  if (missing.length) {
    const shown = missing.slice(0, 8).map((id) => `"${id}"`);
    const more = missing.length > 8 ? ` and ${missing.length - 8} more` : '';
    throw new UserError(
      `--persona: no persona file for ${missing.length === 1 ? 'user' : 'users'} ${shown.join(', ')}${more} ` +
        `in ${ws.layout.personaDir}; fit ${missing.length === 1 ? 'it' : 'them'} first, or export without --persona`,
      2,
    );
  }
  return out;
}

/** The preference data of the users asked about, split as the workspace splits them (as eval sees them). */
export async function preparePreferenceData(
  ws: Workspace,
  inputs: PreferenceDataInputs,
  cwd = process.cwd(),
): Promise<PreferenceData> {
  const splits = preferenceSplits(inputs.split);
  const personas = inputs.persona ? await personasOf(ws, inputs.users, cwd) : undefined;
  const lines: Record<Split, PreferenceLine[]> = { context: [], validation: [], test: [] };
  let testLeftOut = 0;
  for (const u of inputs.users) {
    const bySplit = pairsBySplit(u);
    for (const s of splits) for (const p of bySplit[s]) lines[s].push(preferenceLine(p, personas?.get(u.id)));
    if (!splits.includes('test')) testLeftOut += bySplit.test.length;
  }
  const notes: string[] = [];
  if (testLeftOut && inputs.split === undefined)
    notes.push(
      `left out ${testLeftOut} test pair(s), which eval scores methods on (a trainer must not see them); ` +
        '--split test or --split all to export them',
    );
  return { splits, lines, testLeftOut, notes };
}

/** The file's text: one JSON object a line. */
export function preferenceJsonl(lines: readonly PreferenceLine[]): string {
  return lines.map((l) => JSON.stringify(l) + '\n').join('');
}

export interface WrittenPreferenceFile {
  path: string;
  split?: Split;
  records: number;
}

/** Where to write: one file with every split asked for, or one file a split in a folder (`<dir>/<split>.jsonl`). */
export type PreferenceDataTarget = { file: string; force?: boolean } | { dir: string; force?: boolean };

/**
 * Writes the data whole (a reader sees the old file or the new one) through the write guard. A file that
 * exists is refused unless `force`, and a preference file of the workspace always is: exporting must never
 * replace the data it was made from. The caller registers a named path first (write-guard.ts allowNamedOutput).
 */
export async function writePreferenceData(
  ws: Workspace,
  data: PreferenceData,
  target: PreferenceDataTarget,
): Promise<WrittenPreferenceFile[]> {
  const files: { path: string; split?: Split; lines: PreferenceLine[] }[] =
    'file' in target
      ? [{ path: resolve(target.file), lines: data.splits.flatMap((s) => data.lines[s]) }]
      : data.splits.map((s) => ({ path: resolve(target.dir, `${s}.jsonl`), split: s, lines: data.lines[s] }));
  const sources = await realPaths(ws.index.fileNames().map((f) => resolve(ws.root, f)));
  for (const f of files) {
    if (sources.has(await realpath(f.path).catch(() => f.path)))
      throw new UserError(`refusing to write ${f.path}: it is a preference file of the workspace ${ws.root}`, 2);
    if (!target.force && (await exists(f.path)))
      throw new UserError(`${f.path} exists: choose another path, or pass --force to replace it`, 2);
  }
  if ('dir' in target) await mkdirChecked(resolve(target.dir));
  for (const f of files) await replaceWhole(f.path, preferenceJsonl(f.lines), 'preference data file');
  return files.map((f) => ({ path: f.path, ...(f.split ? { split: f.split } : {}), records: f.lines.length }));
}

async function realPaths(paths: readonly string[]): Promise<Set<string>> {
  return new Set(await Promise.all(paths.map((p) => realpath(p).catch(() => p))));
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
