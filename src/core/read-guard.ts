// Reads obey the same trust as writes. The tool reads its own files (prompts, personas, their history,
// run files, the cache, collect logs, settings) from places a cloned workspace controls, and sends what it
// reads to a model server. A planted link (`prompts/judge.prompt.md -> ~/.ssh/id_rsa`) would otherwise
// make it read a file outside the workspace and send its text away; a planted FIFO would hang it; a link to
// `/dev/zero` would read until memory runs out. So every such read:
// - opens only a regular file (a FIFO, device or socket is refused by its kind and never opened; its kind
//   is told by stat first, so a link to `/dev/zero` is refused as a character device);
// - resolves the path like a write (`write-guard.ts`): links are followed only while they stay inside the
//   workspace or a folder someone chose; one that leaves is refused with one line that names it;
// - refuses a file above its size limit, naming the size, before reading a byte.
// Preference files have their own reader (data/read-file.ts) with the same rules.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { chooseDataFileToRead, isTrustedPath, landsInside, refusal } from './write-guard';
import { kindName, notRegularMessage, statRegularFile } from './file-kind';
import { UserError } from './user-error';

/** Size limits by kind of file: far above any real one, far below what would exhaust memory. */
export const READ_LIMITS = {
  /** A prompt, a persona file or a history version: text a person writes. */
  text: 4 * 1024 * 1024,
  /** Settings, version records, locks, batch state. */
  small: 4 * 1024 * 1024,
  /** Cache segments: read in chunks, never whole, so their size costs no memory (a segment is closed at 64 MB). */
  streamed: Number.MAX_SAFE_INTEGER,
  /**
   * Run files and collect logs: written by the tool, can grow large. Read whole, they become one string,
   * and V8 refuses a string of more than about 512 M characters: past that, a clear refusal.
   */
  log: 512 * 1024 * 1024,
} as const;

export interface OwnReadOptions {
  /** Bytes at most (READ_LIMITS); a larger file is refused with its size. */
  maxBytes?: number;
  /** What the file is, for messages ("prompt file", "persona file"). */
  what?: string;
  /**
   * The folder the file must stay in, instead of the registered folders: for a file read before its
   * workspace's folders are registered (its settings file, which says where they are).
   */
  within?: string;
}

function mb(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${n.toLocaleString('en-US')} bytes`;
}

/**
 * Refuses a read whose path, links resolved, leaves every folder the tool may use (the workspace and the
 * folders someone chose), or `within` when given. With no folder registered (the engine used as a library) nothing is refused.
 */
export async function checkRead(path: string, within?: string): Promise<void> {
  if (within !== undefined ? await landsInside(path, within) : await isTrustedPath(path)) return;
  throw new UserError(await refusal('read', path), 2);
}

/**
 * Opens one of the tool's own files for reading, under the read rules above: its kind first (a FIFO or a
 * device, also behind a link, is refused by stat before any open), then where it leads, then its size.
 * A missing file throws the usual ENOENT error; every refusal is a UserError (exit 2). The caller closes it.
 */
export async function openOwn(
  path: string,
  options: OwnReadOptions = {},
): Promise<{ handle: FileHandle; size: number }> {
  const what = options.what ?? 'file';
  const max = options.maxBytes ?? READ_LIMITS.text;
  const regular = await statRegularFile(path);
  if ('refused' in regular) throw new UserError(`refusing to read ${what} ${path}: ${regular.refused}`, 2);
  await checkRead(path, options.within);
  if (regular.stats.size > max) throw tooBig(what, path, max, regular.stats.size);
  // O_NONBLOCK: should the file have been swapped for a FIFO since the stat, the open returns at once.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new UserError(`refusing to read ${what} ${path}: ${notRegularMessage(kindName(s))}`, 2);
    if (s.size > max) throw tooBig(what, path, max, s.size);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function tooBig(what: string, path: string, max: number, size?: number): UserError {
  const has = size !== undefined ? `${mb(size)} is` : 'it is';
  return new UserError(`refusing to read ${what} ${path}: ${has} over the limit of ${mb(max)} for a ${what}`, 2);
}

/**
 * Reads one of the tool's own files as bytes, under the read rules above. A missing file throws the usual
 * ENOENT error (callers treat absence as they always did); every refusal is a UserError (exit 2).
 */
export async function readOwnBytes(path: string, options: OwnReadOptions = {}): Promise<Buffer> {
  const what = options.what ?? 'file';
  const max = options.maxBytes ?? READ_LIMITS.text;
  const { handle } = await openOwn(path, options);
  try {
    // Read until the end or one byte past the limit: a file that grew since the stat stops here instead
    // of filling memory.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, max + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (!bytesRead) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw tooBig(what, path, max);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** The same, decoded as UTF-8 (a BOM is dropped). */
export async function readOwnText(path: string, options: OwnReadOptions = {}): Promise<string> {
  const text = (await readOwnBytes(path, options)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** readOwnText, or undefined when the file does not exist (refusals still throw). */
export async function readOwnTextIfExists(path: string, options: OwnReadOptions = {}): Promise<string | undefined> {
  try {
    return await readOwnText(path, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * For readers that have always treated an unreadable file as absent (a listing, a history view): a file
 * that cannot be read (no permission, removed meanwhile) gives undefined, but a refusal still throws, so
 * a planted link or FIFO is said, never silently passed over.
 */
export function unlessRefused<T>(read: Promise<T>): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (err instanceof UserError) throw err;
    return undefined;
  });
}

/**
 * A data file named on the command line whose text goes to a model or into a data set (classify, bench
 * prepare, import): its workspace, or else its own folder, is registered (write-guard.ts chooseDataFileToRead)
 * and the file checked like any read. `command` prefixes the refusal (`import: refusing to read ...`).
 */
export async function checkNamedDataFile(path: string, command?: string): Promise<void> {
  chooseDataFileToRead(path);
  await checkRead(path).catch((err: unknown) => {
    throw err instanceof UserError && command ? new UserError(`${command}: ${err.message}`, 2) : err;
  });
}
