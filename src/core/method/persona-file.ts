// The persona model file, `personas/<user_id>.persona.yaml`: the persona as a block scalar a
// person can edit comfortably, the demonstrations by pair reference, and provenance. A
// hand-edited file loads; a broken one gives an error with its line.

import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Document, isMap, LineCounter, parseDocument, Scalar } from 'yaml';
import type { Order } from './render';
import { promptHash } from './prompt-store';
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
  prompts: Record<string, string>;
  created: string;
  /** Selection score on validation (one order per pair) of the chosen demo set. */
  validation?: { accuracy: number; correct: number; evaluated: number; of: number };
  calls?: number;
  cacheHits?: number;
  /** Set when the persona text was edited by hand after the fit (re-validate records it). */
  edited?: boolean;
}

export interface PersonaModel {
  userId: string;
  persona: string;
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

/** A user id made safe as a file name (ids come from data files and may hold anything). */
export function personaFileName(userId: string): string {
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
      reasoning: block(d.reasoning.trim()),
    })),
    provenance: model.provenance,
  });
  doc.commentBefore = ` SynthesizeMe persona model for user "${model.userId}".\n Edit the persona (or the demos) freely, then re-validate to measure the change.`;
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
    return (item?.value as { range?: number[] } | null)?.range?.[0] ?? (item?.key as { range?: number[] } | null)?.range?.[0];
  };
  const js = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const userId = js.user_id;
  if (typeof userId !== 'string' && typeof userId !== 'number') at(offsetOf('user_id'), 'missing or invalid "user_id"');
  if (typeof js.persona !== 'string') at(offsetOf('persona') ?? 0, '"persona" must be text (a block scalar: `persona: |` then indented lines)');
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
    demos,
    provenance: {
      provider: String(prov.provider ?? 'unknown'),
      model: String(prov.model ?? 'unknown'),
      ...(prov.baseUrl ? { baseUrl: String(prov.baseUrl) } : {}),
      seed: Number(prov.seed ?? 0),
      temperature: Number(prov.temperature ?? 0),
      k: Number(prov.k ?? 10),
      stopScore: Number(prov.stopScore ?? 0.8),
      prompts: (prov.prompts ?? {}) as Record<string, string>,
      created: String(prov.created ?? ''),
      ...(prov.validation ? { validation: prov.validation } : {}),
      ...(prov.calls !== undefined ? { calls: prov.calls } : {}),
      ...(prov.cacheHits !== undefined ? { cacheHits: prov.cacheHits } : {}),
      ...(prov.edited ? { edited: true } : {}),
    },
  };
}

/** A persona file with the hash of its text, or undefined when there is none yet. */
export async function readPersonaIfExists(path: string, displayName = path): Promise<{ model: PersonaModel; hash: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { model: parsePersona(text, displayName), hash: promptHash(text) };
}

export async function loadPersona(path: string, displayName = path): Promise<PersonaModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${displayName}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such persona file' : (err as Error).message}`);
  }
  return parsePersona(text, displayName);
}

/**
 * Writes a persona model; an existing file is first copied into `historyDir` so that no
 * version is ever lost (the inspector's history and "compare with previous" read them).
 */
export async function savePersona(path: string, model: PersonaModel, historyDir?: string): Promise<{ previous?: string }> {
  await mkdir(dirname(path), { recursive: true });
  let previous: string | undefined;
  if (historyDir) {
    try {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      previous = join(historyDir, `${stamp}.persona.yaml`);
      await mkdir(historyDir, { recursive: true });
      await copyFile(path, previous);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      previous = undefined;
    }
  }
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, serializePersona(model));
  await rename(tmp, path);
  return previous ? { previous } : {};
}
