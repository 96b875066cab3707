// A full disk, a read-only mount or a missing permission is no bug: the user can act on it, so it is
// one line that names the file (exit 1: the input was fine, the run could not be saved), never a stack.
// Node's own message for a failed write() names no file ("ENOSPC: no space left on device, write"),
// so the writer that knows the path says it.

import { UserError } from './user-error';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'an input/output error from the disk',
};

/** The plain-words reason of a file-system error code, or undefined for codes that are not the user's to fix. */
export function fsReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ? REASONS[code] : undefined;
}

/**
 * A failed write of `path` as one line: `cannot write persona file personas/ada.persona.yaml: no space left on
 * the disk (ENOSPC)`. Errors that are already expected, and codes that are not the user's to fix, are returned as they are.
 */
export function writeFailure(path: string, err: unknown, what = 'file'): unknown {
  if (err instanceof UserError) return err;
  const why = fsReason(err);
  if (!why) return err;
  return new UserError(`cannot write ${what} ${path}: ${why} (${(err as NodeJS.ErrnoException).code})`, 1, {
    cause: err,
  });
}

/** The same for any file-system error that escaped its writer: the path Node names, if any. */
export function fileSystemFailure(err: unknown): UserError | undefined {
  if (err instanceof UserError) return err;
  const why = fsReason(err);
  if (!why) return undefined;
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` ${e.path}` : '';
  return new UserError(`${e.syscall ?? 'file'} failed${where}: ${why} (${e.code})`, 1, { cause: err });
}
