// The one place versions of an editable artifact are kept: persona files and prompt files alike. A
// history folder holds every version the tool wrote and every file it replaced, each under a unique,
// time-ordered name, so concurrent writers never share one and nothing is lost.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
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

/** Every version in a history folder, newest first (names sort by time). */
export async function listVersions(historyDir: string, suffix: string): Promise<Version[]> {
  const names = await readdir(historyDir).catch(() => [] as string[]);
  const out: Version[] = [];
  for (const name of names.filter((n) => n.endsWith(suffix)).sort().reverse()) {
    const text = await readFile(join(historyDir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) out.push({ path: join(historyDir, name), text, hash: promptHash(text) });
  }
  return out;
}

/**
 * Keeps a text in history unless a version with the same text is there already; the version's path.
 * A new version gets a record of who made it when `origin` says (a text already kept keeps the record
 * of whoever kept it first: that is who made it).
 */
export async function keepVersion(historyDir: string, text: string, suffix: string, origin?: VersionOrigin): Promise<string> {
  const hash = promptHash(text);
  const same = (await listVersions(historyDir, suffix)).find((v) => v.hash === hash);
  if (same) return same.path;
  const path = join(historyDir, versionName(suffix));
  await writeFile(path, text, { flag: 'wx' });
  // The version is what matters: a record that cannot be written leaves its origin to be inferred.
  if (origin && origin !== 'unknown') await writeVersionRecord(path, origin).catch(() => undefined);
  return path;
}
