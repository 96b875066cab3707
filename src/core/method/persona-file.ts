// The persona model file, `personas/<user_id>.persona.yaml`: the persona as a block scalar a
// person can edit comfortably, the demonstrations by pair reference, and provenance. A
// hand-edited file loads; a broken one gives an error with its line.

import { createHash } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Document, isMap, LineCounter, parseDocument, Scalar } from 'yaml';
import type { Order } from './render';
import type { CopiedRun } from './copied-runs';
import { promptHash } from './prompt-store';
import { checkWrite, mkdirChecked, removeChecked } from '../write-guard';
import { READ_LIMITS, readOwnText, readOwnTextIfExists, unlessRefused } from '../read-guard';
import { writeFailure } from '../fs-error';
import { replaceWhole } from '../atomic-write';
import { keepVersion } from '../versions/version-store';
import type { VersionOrigin } from '../versions/version-record';
import { UserError } from '../user-error';

export interface DemoRecord {
  pairId: string;
  file?: string;
  line?: number;
  order: Order;
  preference: 'A' | 'B';
  reasoning: string;
}

export interface Provenance {
  provider: string;
  model: string;
  baseUrl?: string;
  seed: number;
  temperature: number;
  k: number;
  stopScore: number;
  /** The demo count of the fit (fit.ts labeledDemos); absent in files written before it existed, which fitted with 0. */
  labeledDemos?: number;
  prompts: Record<string, string>;
  created: string;
  /** Selection score on validation (one order per pair) of the chosen demo set. */
  validation?: { accuracy: number; correct: number; evaluated: number; of: number };
  calls?: number;
  cacheHits?: number;
  /** Set when the persona text was edited by hand after the fit (re-validate records it). */
  edited?: boolean;
  /**
   * What the fit found copied word for word (copied-runs.ts): runs of the persona from the user's pairs (the
   * longest few), and the chosen demonstrations whose reasoning copies its pair's responses. Absent: none.
   */
  copies?: { persona?: CopiedRun[]; reasonings?: { pairId: string; run: CopiedRun }[] };
}

export interface PersonaModel {
  userId: string;
  persona: string;
  /** What persona synthesis said the choices have in common (a worked example in Θ reuses it). */
  personaReasoning?: string;
  demos: DemoRecord[];
  provenance: Provenance;
}

export class PersonaFileError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(`${file}:${line}:${column}: ${message}`, 2);
  }
}

/**
 * A user id as a file name, injective and readable. Ids come from data files and may hold anything
 * (`a/b`, `..`, `~`, CJK, 250 characters); the old mapping (every other character to `_`) sent
 * `a/b`, `a_b` and `a\b`, or any two CJK ids of one length, to one file, and a persona was lost.
 * An id that is already a plain lower-case name keeps it (`ada`); any other gets a readable slug and
 * `~` plus 12 hex digits of the SHA-256 of the exact id. Plain names never contain `~`, and the
 * hash tells any two other ids apart, also on case-insensitive file systems; the name stays far below
 * the 255-byte limit.
 */
export function personaStem(userId: string): string {
  if (PLAIN_ID.test(userId) && !RESERVED.test(userId)) return userId;
  const slug = userId
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 60)
    .replace(/[._]+$/, '');
  return `${slug || 'user'}~${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 12)}`;
}

/** Plain: lower-case letters, digits, `.`, `_`, `-`; starts with a letter or digit, no trailing dot. */
const PLAIN_ID = /^[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9_-])?$/;
/** Names Windows refuses as files. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/;

export function personaFileName(userId: string): string {
  return `${personaStem(userId)}.persona.yaml`;
}

/** The lossy name of earlier versions: still read when the file's own user_id matches. */
export function legacyPersonaFileName(userId: string): string {
  const safe = userId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || '_'}.persona.yaml`;
}

export function serializePersona(model: PersonaModel): string {
  const block = (s: string) => {
    const n = new Scalar(s.endsWith('\n') ? s : s + '\n');
    n.type = Scalar.BLOCK_LITERAL;
    return n;
  };
  const doc = new Document({
    user_id: model.userId,
    persona: block(model.persona.trim()),
    demos: model.demos.map((d) => ({
      pair_id: d.pairId,
      ...(d.file ? { file: d.file } : {}),
      ...(d.line ? { line: d.line } : {}),
      order: d.order,
      preference: d.preference,
      // A labelled demonstration has no reasoning: the key is left out rather than written empty.
      ...(d.reasoning.trim() ? { reasoning: block(d.reasoning.trim()) } : {}),
    })),
    ...(model.personaReasoning?.trim() ? { persona_reasoning: block(model.personaReasoning.trim()) } : {}),
    provenance: model.provenance,
  });
  doc.commentBefore =
    ` SynthesizeMe persona model for user "${model.userId}".\n` +
    ' Edit the persona (or the demos) freely, then re-validate to measure the change.';
  return doc.toString({ lineWidth: 0 });
}

export function parsePersona(text: string, file: string): PersonaModel {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number | undefined, message: string): never => {
    const p = lc.linePos(offset ?? 0);
    throw new PersonaFileError(file, p.line, p.col, message);
  };
  if (doc.errors.length) at(doc.errors[0]!.pos[0], `YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const root = doc.contents;
  if (!isMap(root)) return at(0, 'expected a mapping with user_id, persona, demos and provenance');
  const offsetOf = (key: string) => {
    const item = root.items.find((it) => (it.key as Scalar | null)?.value === key);
    return (
      (item?.value as { range?: number[] } | null)?.range?.[0] ?? (item?.key as { range?: number[] } | null)?.range?.[0]
    );
  };
  const js = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const userId = js.user_id;
  if (typeof userId !== 'string' && typeof userId !== 'number') at(offsetOf('user_id'), 'missing or invalid "user_id"');
  if (typeof js.persona !== 'string')
    at(offsetOf('persona') ?? 0, '"persona" must be text (a block scalar: `persona: |` then indented lines)');
  // An empty persona would judge as the default judge while claiming to be personalized.
  if (!(js.persona as string).trim())
    at(offsetOf('persona') ?? 0, '"persona" is empty: write the persona, or fit the user again');
  const demosRaw = js.demos ?? [];
  if (!Array.isArray(demosRaw)) at(offsetOf('demos'), '"demos" must be a list');
  const demos: DemoRecord[] = [];
  const demoNodes = (root.get('demos', true) as { items?: { range?: number[] }[] } | undefined)?.items ?? [];
  (demosRaw as unknown[]).forEach((d, i) => {
    const off = demoNodes[i]?.range?.[0];
    const o = d as Record<string, unknown>;
    if (!o || typeof o !== 'object') at(off, `demo ${i + 1}: expected a mapping`);
    if (typeof o.pair_id !== 'string' && typeof o.pair_id !== 'number') at(off, `demo ${i + 1}: missing "pair_id"`);
    if (o.order !== 'AB' && o.order !== 'BA') at(off, `demo ${i + 1}: "order" must be AB or BA`);
    if (o.preference !== 'A' && o.preference !== 'B') at(off, `demo ${i + 1}: "preference" must be A or B`);
    demos.push({
      pairId: String(o.pair_id),
      ...(typeof o.file === 'string' ? { file: o.file } : {}),
      ...(typeof o.line === 'number' ? { line: o.line } : {}),
      order: o.order as Order,
      preference: o.preference as 'A' | 'B',
      reasoning: typeof o.reasoning === 'string' ? o.reasoning : '',
    });
  });
  const prov = (js.provenance ?? {}) as Partial<Provenance>;
  if (typeof prov !== 'object' || Array.isArray(prov)) at(offsetOf('provenance'), '"provenance" must be a mapping');
  return {
    userId: String(userId),
    persona: js.persona as string,
    ...(typeof js.persona_reasoning === 'string' && js.persona_reasoning.trim()
      ? { personaReasoning: js.persona_reasoning.trim() }
      : {}),
    demos,
    provenance: {
      provider: String(prov.provider ?? 'unknown'),
      model: String(prov.model ?? 'unknown'),
      ...(prov.baseUrl ? { baseUrl: String(prov.baseUrl) } : {}),
      seed: Number(prov.seed ?? 0),
      temperature: Number(prov.temperature ?? 0),
      k: Number(prov.k ?? 10),
      stopScore: Number(prov.stopScore ?? 0.8),
      ...(prov.labeledDemos !== undefined ? { labeledDemos: Number(prov.labeledDemos) } : {}),
      prompts: (prov.prompts ?? {}) as Record<string, string>,
      created: String(prov.created ?? ''),
      ...(prov.validation ? { validation: prov.validation } : {}),
      ...(prov.calls !== undefined ? { calls: prov.calls } : {}),
      ...(prov.cacheHits !== undefined ? { cacheHits: prov.cacheHits } : {}),
      ...(prov.edited ? { edited: true } : {}),
      ...(prov.copies && typeof prov.copies === 'object' ? { copies: prov.copies } : {}),
    },
  };
}

/** A persona file with the hash of its text, or undefined when there is none yet. */
export async function readPersonaIfExists(
  path: string,
  displayName = path,
): Promise<{ model: PersonaModel; hash: string } | undefined> {
  const text = await readPersonaText(path);
  if (text === undefined) return undefined;
  return { model: parsePersona(text, displayName), hash: promptHash(text) };
}

export async function loadPersona(path: string, displayName = path): Promise<PersonaModel> {
  let text: string;
  try {
    text = await readOwnText(path, PERSONA_READ);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${displayName}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such persona file' : (err as Error).message}`,
    );
  }
  return parsePersona(text, displayName);
}

/** Persona files are read under the read guard (read-guard.ts): no link out, no FIFO or device, at most 4 MB. */
const PERSONA_READ = { what: 'persona file', maxBytes: READ_LIMITS.text };

/** A persona file's text, or undefined when there is none; refusals of the read guard throw. */
export function readPersonaText(path: string): Promise<string | undefined> {
  return readOwnTextIfExists(path, PERSONA_READ);
}

/** Personas above this many tokens (about 4 characters each) are said to be long: they fill the judge's context. */
export const LONG_PERSONA_TOKENS = 4000;

/** A note for a persona long enough to crowd the judge's context (a 1 MB persona is about 250,000 tokens), else undefined. */
export function longPersonaNote(model: PersonaModel, displayName: string): string | undefined {
  const tokens = Math.ceil(model.persona.length / 4);
  if (tokens <= LONG_PERSONA_TOKENS) return undefined;
  return (
    `${displayName}: the persona is about ${tokens.toLocaleString('en-US')} tokens long; every judge prompt ` +
    "carries it, so the model needs a context of more than that (Ollama's is sized per run, up to the model's " +
    'length; a longer prompt fails with a context-length error, it is never cut)'
  );
}

/** A persona file must be the user's own: a planted or renamed file is refused, not used for someone else. */
export function checkPersonaUser(model: PersonaModel, userId: string, displayName: string): void {
  if (model.userId !== userId)
    throw new UserError(
      `${displayName} holds the persona of user_id ${JSON.stringify(model.userId)}, ` +
        `not of ${JSON.stringify(userId)}: rename or remove the file`,
      2,
    );
}

/**
 * Where a user's persona is in a folder: its own (injective) name, else the name of earlier versions
 * when that file's user_id is this user (files written before the names changed keep loading).
 */
export async function findPersonaFile(dir: string, userId: string): Promise<string | undefined> {
  const own = join(dir, personaFileName(userId));
  if (await exists(own)) return own;
  const legacy = join(dir, legacyPersonaFileName(userId));
  if (legacy === own) return undefined;
  // A refusal (a link out, a FIFO) is reported, not taken for "no file"; a damaged file is no one's.
  const found = await readPersonaIfExists(legacy).catch((err: unknown) => {
    if (err instanceof UserError && err.message.startsWith('refusing to read')) throw err;
    return undefined;
  });
  return found?.model.userId === userId ? legacy : undefined;
}

/** A user's persona in a folder, its user_id checked; undefined when there is none. */
export async function readUserPersonaFile(
  dir: string,
  userId: string,
  display: (path: string) => string = (p) => p,
): Promise<{ model: PersonaModel; hash: string; path: string } | undefined> {
  const path = await findPersonaFile(dir, userId);
  if (!path) return undefined;
  const found = await readPersonaIfExists(path, display(path));
  if (!found) return undefined;
  checkPersonaUser(found.model, userId, display(path));
  return { ...found, path };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Temporary files of a writer that died (kill -9) before its rename: removed by the next writer. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /\.persona\.yaml\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await removeChecked(join(dir, name)).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The one writer of persona files (fit, re-validate, benchmarks). Nothing is ever lost:
 * - the file it replaces is kept in `historyDir` first, also when an editor saved over the fitted
 *   version (history holds every version the tool wrote, so the fitted one is there too);
 * - the new version goes into history as well, so concurrent writers each keep theirs;
 * - a file of another user at this path is refused, never overwritten;
 * - a file under the name of earlier versions becomes the previous version and is removed.
 * Who made each version is recorded beside it (version-record.ts): the file it replaces, when history
 * does not hold it yet, was changed by hand (the tool keeps every text it writes); the new one is
 * `origin`, by default a re-validation's when it keeps the replaced file's fit (the same
 * provenance.created: a re-validation rewrites the figures of the fit, a fit makes a new one), else a fit.
 */
export async function savePersona(
  path: string,
  model: PersonaModel,
  historyDir: string,
  origin?: VersionOrigin,
): Promise<{ previous?: string; version: string }> {
  // Neither the persona nor its history may be written through a link out of the workspace.
  await checkWrite(path);
  await checkWrite(historyDir);
  for (const dir of [dirname(path), historyDir]) {
    await mkdirChecked(dir).catch((err: unknown) => {
      throw writeFailure(dir, err, 'folder');
    });
  }
  await removeStaleTemps(dirname(path));
  const text = serializePersona(model);
  let previous: string | undefined;
  let legacy: string | undefined;
  let replacedCreated: string | undefined;
  const current = await readPersonaText(path);
  if (current !== undefined) {
    let owner: string | undefined;
    try {
      const found = parsePersona(current, path);
      owner = found.userId;
      replacedCreated = found.provenance.created;
    } catch {
      // A damaged file is still a version someone may want back: kept, then replaced.
    }
    if (owner !== undefined && owner !== model.userId)
      throw new UserError(
        `${path} holds the persona of user_id ${JSON.stringify(owner)}, not of ${JSON.stringify(model.userId)}: ` +
          'refusing to overwrite it (rename or remove the file)',
        2,
      );
    previous = await keepVersion(historyDir, current, '.persona.yaml', 'hand edit');
  } else {
    const old = join(dirname(path), legacyPersonaFileName(model.userId));
    // The legacy name may be too long for the file system, or unreadable: no legacy file then.
    const found = old !== path ? await unlessRefused(readPersonaText(old)) : undefined;
    if (
      found !== undefined &&
      (() => {
        try {
          return parsePersona(found, old).userId === model.userId;
        } catch {
          return false;
        }
      })()
    ) {
      previous = await keepVersion(historyDir, found, '.persona.yaml');
      legacy = old;
    }
  }
  await replaceWhole(path, text, 'persona file');
  const made = origin ?? (replacedCreated && replacedCreated === model.provenance.created ? 'revalidate' : 'fit');
  const version = await keepVersion(historyDir, text, '.persona.yaml', made);
  if (legacy) await removeChecked(legacy);
  return { ...(previous ? { previous } : {}), version };
}
