// The one place versions of an editable artifact are kept: persona files and prompt files alike. A
// history folder holds every version the tool wrote and every file it replaced, each under a unique,
// time-ordered name, so concurrent writers never share one and nothing is lost.

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { READ_LIMITS, readOwnTextIfExists, unlessRefused } from '../read-guard';
import { createWhole } from '../atomic-write';
import { join } from 'node:path';
import { textHash as promptHash } from '../text-hash';
import { writeVersionRecord, type VersionOrigin } from './version-record';

/** A unique, time-ordered file name: `<ISO time>-<pid>-<random><suffix>`. */
export function versionName(suffix: string): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}${suffix}`;
}

export interface Version {
  path: string;
  text: string;
  hash: string;
}

/**
 * Every version in a history folder, newest first (names sort by time). Versions are read under the read
 * guard: one planted as a link out of the workspace, a FIFO or a device, or above READ_LIMITS.text, is
 * refused with one line (its text would be judged, compared or sent); one removed meanwhile is skipped.
 */
export async function listVersions(historyDir: string, suffix: string): Promise<Version[]> {
  const names = await readdir(historyDir).catch(() => [] as string[]);
  const out: Version[] = [];
  for (const name of names
    .filter((n) => n.endsWith(suffix))
    .sort()
    .reverse()) {
    // Unreadable (no permission): no version to compare with, as before.
    const text = await unlessRefused(
      readOwnTextIfExists(join(historyDir, name), { what: 'history version', maxBytes: READ_LIMITS.text }),
    );
    if (text !== undefined) out.push({ path: join(historyDir, name), text, hash: promptHash(text) });
  }
  return out;
}

/**
 * Keeps a text in history unless a version with the same text is there already; the version's path.
 * A new version gets a record of who made it when `origin` says (a text already kept keeps the record
 * of whoever kept it first: that is who made it).
 */
export async function keepVersion(
  historyDir: string,
  text: string,
  suffix: string,
  origin?: VersionOrigin,
): Promise<string> {
  const hash = promptHash(text);
  const same = (await listVersions(historyDir, suffix)).find((v) => v.hash === hash);
  if (same) return same.path;
  const path = join(historyDir, versionName(suffix));
  // Whole or not at all: a version cut short by a full disk would be taken for a real one.
  await createWhole(path, text, 'history version');
  // The version is what matters: a record that cannot be written leaves its origin to be inferred.
  if (origin && origin !== 'unknown') await writeVersionRecord(path, origin).catch(() => undefined);
  return path;
}
