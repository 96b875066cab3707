// Who made a version of a persona or prompt file, recorded when the version is written: a small JSON
// record {origin, created} per version. The writer knows what it is doing (a fit, Θ adoption, a text
// kept as found); a reader later could only guess. One record per version rather than one index per
// history folder: versions are written by concurrent processes (history's names are unique for that
// reason), and a file of its own needs no lock and no read-modify-write.
// Records live beside the history folder, never in it (`<parent>/.records/<folder>/<version>.json`):
// a history folder holds versions only, which its readers (and people) rely on. No persona stem or
// prompt name starts with a dot, so `.records` is never a history folder itself.
// Versions written before records existed have none: version-history.ts infers their origin, and a
// missing or damaged record is never an error.

import { READ_LIMITS, readOwnText } from '../read-guard';
import { basename, dirname, join } from 'node:path';
import { mkdirChecked } from '../write-guard';
import { replaceWhole } from '../atomic-write';

export type VersionOrigin =
  'fit' | 'hand edit' | 'optimization' | 'worked example' | 'revalidate' | 'default' | 'unknown';

export const VERSION_ORIGINS: readonly VersionOrigin[] = [
  'fit',
  'hand edit',
  'optimization',
  'worked example',
  'revalidate',
  'default',
  'unknown',
];

export interface VersionRecord {
  origin: VersionOrigin;
  /** When the version was written (ISO time). */
  created: string;
}

/** Where the record of a history file is: `.synthesizeme/history/.records/ada/<version>.json` for `.synthesizeme/history/ada/<version>`. */
export function versionRecordPath(versionPath: string): string {
  const folder = dirname(versionPath);
  return join(dirname(folder), '.records', basename(folder), `${basename(versionPath)}.json`);
}

/** Writes the record of a version, atomically (a reader sees the whole record or none), through no link out of the workspace. */
export async function writeVersionRecord(
  versionPath: string,
  origin: VersionOrigin,
  created = new Date().toISOString(),
): Promise<void> {
  const path = versionRecordPath(versionPath);
  await mkdirChecked(dirname(path));
  const record: VersionRecord = { origin, created };
  await replaceWhole(path, JSON.stringify(record) + '\n', 'version record');
}

/**
 * The record of a version, or undefined when there is none or it cannot be read as one. Read under the read
 * guard (a FIFO planted as a record would hang the history view); a refused record is no record.
 */
export async function readVersionRecord(versionPath: string): Promise<VersionRecord | undefined> {
  try {
    const raw = JSON.parse(
      await readOwnText(versionRecordPath(versionPath), { what: 'version record', maxBytes: READ_LIMITS.small }),
    ) as Partial<VersionRecord> | null;
    if (!raw || typeof raw !== 'object' || !VERSION_ORIGINS.includes(raw.origin as VersionOrigin)) return undefined;
    return {
      origin: raw.origin as VersionOrigin,
      created: typeof raw.created === 'string' && !Number.isNaN(Date.parse(raw.created)) ? raw.created : '',
    };
  } catch {
    return undefined;
  }
}
