// Only regular files are read. A named pipe would block the reader until something writes to it,
// a device may never end or may act on being opened, a folder or a symlink loop cannot be read:
// each is told apart by lstat/stat before any open, and named in the problem so the user knows
// what the include pattern matched.

import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';

type Kind = Pick<
  Stats | Dirent,
  'isFile' | 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket' | 'isSymbolicLink'
>;

/** "a named pipe (FIFO)", "a folder", ...: what a non-regular entry is. */
export function kindName(k: Kind): string {
  if (k.isDirectory()) return 'a folder';
  if (k.isFIFO()) return 'a named pipe (FIFO)';
  if (k.isCharacterDevice()) return 'a character device';
  if (k.isBlockDevice()) return 'a block device';
  if (k.isSocket()) return 'a socket';
  if (k.isSymbolicLink()) return 'a symbolic link';
  return k.isFile() ? 'a regular file' : 'not a regular file';
}

export function notRegularMessage(kind: string): string {
  const why = kind.endsWith('(FIFO)') ? ' (reading it would wait for a writer)' : '';
  return `${kind}, not a regular file: not opened${why}`;
}

export type RegularFile = { stats: Stats } | { refused: string; isFolder: boolean };

/** Stats of `path` if it is (or links to) a regular file; otherwise why not. Throws other fs errors (ENOENT, EACCES). */
export async function statRegularFile(path: string): Promise<RegularFile> {
  const own = await lstat(path);
  if (!own.isSymbolicLink())
    return own.isFile() ? { stats: own } : { refused: notRegularMessage(kindName(own)), isFolder: own.isDirectory() };
  let target: Stats;
  try {
    target = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { refused: notRegularMessage('a symbolic link loop'), isFolder: false };
    if (code === 'ENOENT') return { refused: 'a symbolic link whose target is not found: not read', isFolder: false };
    throw err;
  }
  if (target.isFile()) return { stats: target };
  return { refused: notRegularMessage(`a symbolic link to ${kindName(target)}`), isFolder: target.isDirectory() };
}

export class NotRegularFileError extends Error {}

/**
 * Opens a file already found regular by statRegularFile. Should it have been replaced by a FIFO
 * since, O_NONBLOCK makes the open return at once instead of waiting for a writer, and the fstat
 * refuses it. (Regular files ignore O_NONBLOCK; Windows has no such flag and no FIFOs by path.)
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new NotRegularFileError(notRegularMessage(kindName(s)));
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}
