// Appending collected pairs to a user's preference file: one write at the end, never a rewrite of the
// lines already there. The whole file is read ONCE per session, when the appender is opened (its kind,
// encoding, problems, YAML form, and the pair ids already in it); each append then costs about the size
// of the pick: the record is checked alone with the workspace's own parser, and only the file's last
// line is read (to know whether it ends with a newline, and that an editor is not half-way through
// saving it). Reading and re-parsing the whole file around every append cost 14 s and 1.37 GB for 5
// picks on a 63 MB file. JSONL files and YAML lists of pairs can be appended to; a JSON array or a YAML
// mapping cannot be without rewriting it, and is refused before anything is generated.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { stringify } from 'yaml';
import { parseJsonlText } from '../data/parse-jsonl';
import { parseYamlText } from '../data/parse-yaml';
import { readPreferenceFile } from '../data/read-file';
import { MAX_WHOLE_FILE_BYTES } from '../data/file-text';
import { kindName, notRegularMessage, statRegularFile } from '../file-kind';
import { detectEncoding } from '../data/text-encoding';
import { checkWrite } from '../write-guard';
import { UserError } from '../user-error';
import type { Turn } from '../data/pair';
import { yamlAppendRefusal, yamlTailRefusal } from './yaml-form';

/** A native pair as it is written: the fields of METHOD.md section 1, plus how it was collected. */
export interface CollectedRecord {
  user_id: string;
  pair_id: string;
  context: Turn[];
  chosen: string;
  rejected: string;
  /** Collected pairs go to context or validation, never test (unless asked): a test set never grows from collecting. */
  split?: 'context' | 'validation';
  meta: {
    collected: {
      at: string;
      /** The source of each response: a model and system prompt label. */
      sources: { chosen: string; rejected: string };
      /** What was shown as 1 and as 2 (chosen or rejected): the order is random and recorded. */
      shown: ['chosen' | 'rejected', 'chosen' | 'rejected'];
      reason?: string;
    };
  };
}

export type AppendableKind = 'jsonl' | 'yaml';

export function appendableKind(path: string): AppendableKind {
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  const why = /\.json$/i.test(path)
    ? 'a JSON array cannot be appended to without rewriting it (collect into a .jsonl file beside it)'
    : 'name a .jsonl, .yaml or .yml file';
  throw new UserError(`${path}: collected pairs are appended to a .jsonl file or a YAML list of pairs; ${why}`, 2);
}

/** The file's end cannot take an append right now (a half-saved line, a document marker): worth a retry. */
export class FileNotReadyError extends UserError {}

/** How the appender opens the file (tests count the bytes read through it). */
export interface AppendIo {
  open(path: string, flags: number, mode?: number): Promise<FileHandle>;
}

const FIRST_TAIL = 8 * 1024;
/** The last line is looked at up to this size; a longer one (a huge last record) was checked at the session's start. */
const TAIL_LIMIT = 16 * 1024 * 1024;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

interface Tail {
  endsWithNewline: boolean;
  /** The last line with something on it, when it could be read whole. */
  lastLine?: string;
}

/** The end of the file: read backwards in doubling windows until the last non-blank line is whole. */
async function readTail(fh: FileHandle, size: number): Promise<Tail> {
  for (let want = FIRST_TAIL; ; want *= 2) {
    const start = Math.max(0, size - want);
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    const bytes = buf.subarray(0, bytesRead);
    const endsWithNewline = bytes[bytes.length - 1] === 10;
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13 || bytes[end - 1] === 32 || bytes[end - 1] === 9))
      end--;
    const nl = end > 0 ? bytes.lastIndexOf(10, end - 1) : -1;
    if (end > 0 && (nl >= 0 || start === 0))
      return { endsWithNewline, lastLine: bytes.subarray(nl + 1, end).toString('utf8') };
    if (start === 0) return { endsWithNewline };
    if (want >= TAIL_LIMIT) return { endsWithNewline };
  }
}

/** Refuses what is not a regular file now (a FIFO planted since the session began would block an open). */
async function openRegular(io: AppendIo, path: string, display: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await io.open(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | NONBLOCK, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'EISDIR')
      throw new UserError(`${display}: not a regular file: nothing appended`, 2);
    throw err;
  }
  const s = await fh.stat();
  if (!s.isFile()) {
    await fh.close();
    throw new UserError(`${display}: ${notRegularMessage(kindName(s))}`, 2);
  }
  return fh;
}

export class PreferenceAppender {
  private constructor(
    readonly path: string,
    readonly display: string,
    readonly kind: AppendableKind,
    private readonly ids: Set<string>,
    private readonly io: AppendIo,
  ) {}

  /**
   * Whether the file can take appended pairs, checked once, before anything is generated: its kind, a
   * regular UTF-8 file (or none yet), no problems already, and for YAML a form an append cannot break.
   */
  static async open(path: string, display = path, io: AppendIo = { open }): Promise<PreferenceAppender> {
    const kind = appendableKind(path);
    await checkWrite(path);
    let regular;
    try {
      regular = await statRegularFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return new PreferenceAppender(path, display, kind, new Set(), io);
      throw new UserError(`${display}: cannot be read (${(err as Error).message})`, 2);
    }
    if ('refused' in regular) throw new UserError(`${display}: ${regular.refused}`, 2);
    if (!regular.stats.size) return new PreferenceAppender(path, display, kind, new Set(), io);
    const head = Buffer.alloc(Math.min(4096, regular.stats.size));
    await readAt(path, head);
    const enc = detectEncoding(head);
    if ('refused' in enc) throw new UserError(`${display}: ${enc.refused}`, 2);
    if (enc.encoding !== 'utf8')
      throw new UserError(
        `${display} is ${enc.encoding.toUpperCase()} text: collected pairs are written as UTF-8; save it as UTF-8 first`,
        2,
      );
    if (kind === 'yaml' && regular.stats.size <= MAX_WHOLE_FILE_BYTES) {
      // The form first: its refusal says what to do, where the parser's problems would not.
      const text = Buffer.alloc(regular.stats.size);
      await readAt(path, text);
      const why = yamlAppendRefusal(text.toString('utf8'));
      if (why) throw new UserError(`${display}: ${why}: collect into a .jsonl file`, 2);
      // Comments only: "empty" to the parser, and the first append makes it a list.
      if (onlyComments(text.toString('utf8'))) return new PreferenceAppender(path, display, kind, new Set(), io);
    }
    const parsed = await readPreferenceFile(path, display);
    if (parsed.problems.some((p) => p.severity === 'error'))
      throw new UserError(
        `${display} has problems already (see the Problems panel or synthesizeme inspect): fix them before appending`,
        2,
      );
    return new PreferenceAppender(path, display, kind, new Set(parsed.pairs.map((p) => idKey(p.userId, p.pairId))), io);
  }

  /** Whether the file held this pair when the session began, or it was appended since. */
  has(userId: string, pairId: string): boolean {
    return this.ids.has(idKey(userId, pairId));
  }

  /**
   * Appends the record in one write. Throws FileNotReadyError when the file's end cannot take it now (the
   * last line does not read: an editor saving a half-typed line), a UserError for anything else.
   */
  async append(record: CollectedRecord): Promise<void> {
    const body = this.bodyOf(record);
    await checkWrite(this.path);
    const fh = await openRegular(this.io, this.path, this.display);
    try {
      const size = (await fh.stat()).size;
      const tail = size ? await readTail(fh, size) : { endsWithNewline: true };
      const why = this.tailRefusal(tail.lastLine);
      if (why) throw new FileNotReadyError(`${this.display}: ${why}`);
      // One write in append mode: a reader sees the old file or the old file plus the whole record.
      await fh.write(`${size && !tail.endsWithNewline ? '\n' : ''}${body}`);
    } finally {
      await fh.close();
    }
    this.ids.add(idKey(record.user_id, record.pair_id));
  }

  /** The record as it is written, checked alone with the workspace's parser (a pick costs its own size). */
  private bodyOf(record: CollectedRecord): string {
    const body = this.kind === 'jsonl' ? `${JSON.stringify(record)}\n` : stringify([record], { lineWidth: 0 });
    const parsed = this.kind === 'jsonl' ? parseJsonlText(body, this.display) : parseYamlText(body, this.display);
    const problem = parsed.problems.find((p) => p.severity === 'error');
    if (problem || parsed.pairs.length !== 1)
      throw new UserError(
        `${this.display}: the pair to append would not read back (${problem?.message ?? 'no pair'}): nothing was written`,
        1,
      );
    return body;
  }

  private tailRefusal(lastLine: string | undefined): string | undefined {
    if (this.kind === 'yaml') return yamlTailRefusal(lastLine);
    if (lastLine === undefined) return undefined;
    try {
      JSON.parse(lastLine);
      return undefined;
    } catch {
      return 'its last line does not read as JSON (an edit being saved?)';
    }
  }
}

const idKey = (userId: string, pairId: string) => `${userId}\u0000${pairId}`;
const onlyComments = (text: string) => text.split('\n').every((l) => !l.trim() || l.trimStart().startsWith('#'));

async function readAt(path: string, into: Buffer): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | NONBLOCK);
  try {
    await fh.read(into, 0, into.length, 0);
  } finally {
    await fh.close();
  }
}

/** Checked before anything is generated; the appender is then used for the session's appends. */
export function checkAppendable(path: string, display = path): Promise<PreferenceAppender> {
  return PreferenceAppender.open(path, display);
}

/** One append with its own check of the file: for a single pair (a session opens one appender instead). */
export async function appendPair(path: string, record: CollectedRecord, display = path): Promise<void> {
  await (await PreferenceAppender.open(path, display)).append(record);
}
