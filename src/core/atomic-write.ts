// Files a person or a later command reads (prompts, personas, their versions) are written whole or not at
// all: a full disk or a kill mid-write must never leave a 0-byte or half file under the real name, which
// would break every later command. Each is written to a temporary file beside it, then put in place.

import { randomBytes } from 'node:crypto';
import { link, lstat, rename, rm, writeFile } from 'node:fs/promises';
import { writeFailure } from './fs-error';
import { checkWrite } from './write-guard';

/** A temporary file beside `path`, written whole; a failed write removes what it wrote. */
async function writeTemp(path: string, text: string, what: string): Promise<string> {
  // The temporary file lies beside the target, so the target's check covers it.
  await checkWrite(path);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeFailure(path, err, what);
  }
  return tmp;
}

/**
 * Creates `path` with `text` unless it exists (another process wrote it first: never clobbered); false then.
 * The temporary file is linked under the name, which fails when the name exists.
 */
export async function createWhole(path: string, text: string, what = 'file'): Promise<boolean> {
  const tmp = await writeTemp(path, text, what);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (FAT, some network shares): a rename when nothing is there yet.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      if (
        await lstat(path).then(
          () => true,
          () => false,
        )
      )
        return false;
      await rename(tmp, path).catch((e: unknown) => {
        throw writeFailure(path, e, what);
      });
      return true;
    }
    throw writeFailure(path, err, what);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Replaces `path` atomically: a reader sees the old text or the new one, whole. */
export async function replaceWhole(path: string, text: string, what = 'file'): Promise<void> {
  const tmp = await writeTemp(path, text, what);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeFailure(path, err, what);
  }
}
