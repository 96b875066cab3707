// Find and read every preference file under the given paths into one index.

import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { includeMatcher, type IncludeMatcher, isSkippedFolder } from './glob';
import { formatOf } from './file-text';
import { failedFile, readPreferenceFile, sniffJsonlIsPreferences } from './read-file';
import { kindName, notRegularMessage, statRegularFile } from '../file-kind';
import { PreferenceIndex } from './workspace-index';
import type { SplitBasis, SplitOptions } from './splits';
import type { Severity } from './pair';

export const DEFAULT_INCLUDE = ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'];
const PREFS_NAME = /\.prefs\.(jsonl|json|ya?ml)$/i;

/**
 * Whether a file the globs selected is read as preference data: `*.prefs.*` files and JSON or YAML files are;
 * a plain JSONL file only when its first record says so. The CLI and the extension ask this one rule.
 */
export async function isPreferenceFile(path: string): Promise<boolean> {
  return PREFS_NAME.test(path) || formatOf(path) !== 'jsonl' || sniffJsonlIsPreferences(path);
}

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`no such file or directory: ${path}`);
  }
}

export interface LoadOptions {
  include?: string[];
  split?: SplitOptions;
  /** The rule for pairs without an explicit split (default: by their id; split-record.ts decides a workspace's). */
  basis?: SplitBasis;
  /** Names in problems and ranges are relative to this directory. */
  cwd?: string;
  signal?: AbortSignal;
  /** Longest JSONL record read (default DEFAULT_MAX_RECORD_BYTES); longer ones are problems. */
  maxRecordBytes?: number;
  onFile?: (file: string, done: number) => void;
}

/** A path the include pattern matched that is not read as a file, and why (reported, never opened). */
export interface RefusedPath {
  path: string;
  message: string;
  severity: Severity;
}

export interface FoundPaths {
  files: string[];
  refused: RefusedPath[];
}

async function walk(dir: string, root: string, matches: IncludeMatcher, out: FoundPaths): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    const matched = matches(relative(root, p));
    if (e.isDirectory()) {
      if (isSkippedFolder(e.name)) continue;
      // Searched all the same: a folder named like data (Spark writes `x.jsonl/part-*`) holds data.
      if (matched)
        out.refused.push({
          path: p,
          message: 'a folder, not a file: not read as one (the files inside are searched)',
          severity: 'warning',
        });
      // A folder that cannot be listed is said, not fatal (VS Code's file search passes over it too).
      await walk(p, root, matches, out).catch((err: Error) =>
        out.refused.push({ path: p, message: `a folder that cannot be read: ${err.message}`, severity: 'warning' }),
      );
    } else if (!matched) continue;
    else if (e.isFile()) out.files.push(p);
    else if (e.isSymbolicLink()) {
      // A link to a file inside the workspace is read, as VS Code's file search does; links to folders are not
      // followed (loops). A link out of the workspace is not: a cloned data set must not feed ~/.ssh/id_rsa or
      // any other file of yours into prompts sent to a model server.
      const outside = await linkOutside(p, root);
      if (outside) {
        out.refused.push({ path: p, message: outside, severity: 'warning' });
        continue;
      }
      const regular = await statRegularFile(p).catch((err: Error) => ({ refused: `cannot read: ${err.message}` }));
      if ('stats' in regular) out.files.push(p);
      else out.refused.push({ path: p, message: regular.refused, severity: 'error' });
    } else out.refused.push({ path: p, message: notRegularMessage(kindName(e)), severity: 'error' });
  }
}

/**
 * Why a file (through links) is not read: its real path lies outside the workspace `root`; else undefined.
 * A cloned data set must not feed ~/.ssh/id_rsa or any other file of yours into prompts sent to a model.
 */
export async function linkOutside(path: string, root: string): Promise<string | undefined> {
  const target = await realpath(path).catch(() => undefined);
  if (!target) return undefined;
  const realRoot = await realpath(root).catch(() => root);
  if (target === realRoot || target.startsWith(realRoot + sep)) return undefined;
  return `a symbolic link to ${target}, outside the workspace: not read (data outside the workspace is never sent to a model)`;
}

/** Preference files under `paths` (files are taken as given, directories are searched with the globs). */
export async function findPreferenceFiles(paths: string[], include = DEFAULT_INCLUDE): Promise<string[]> {
  return (await findPreferencePaths(paths, include)).files;
}

/** As findPreferenceFiles, plus what matched the globs but is not a regular file (FIFOs, devices, folders, link loops). */
export async function findPreferencePaths(paths: string[], include = DEFAULT_INCLUDE): Promise<FoundPaths> {
  const matches = includeMatcher(include);
  const found: string[] = [];
  const refused: RefusedPath[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new PathNotFoundError(p);
    }
    if (info.isDirectory()) {
      const inDir: FoundPaths = { files: [], refused };
      await walk(abs, abs, matches, inDir);
      for (const f of inDir.files) if (await isPreferenceFile(f)) found.push(f);
    } else found.push(abs);
  }
  // One file reached twice (itself and a link to it inside the workspace) is read once.
  const seen = new Set<string>();
  const files: string[] = [];
  for (const f of found) {
    const real = await realpath(f).catch(() => f);
    if (seen.has(real)) continue;
    seen.add(real);
    files.push(f);
  }
  return { files, refused };
}

export async function loadWorkspace(paths: string[], options: LoadOptions = {}): Promise<PreferenceIndex> {
  const cwd = options.cwd ?? process.cwd();
  // Relative paths are the caller's (its cwd), not this process's: the CLI run in-process by a test or a
  // benchmark. A missing one is named as it was given.
  const { files, refused } = await findPreferencePaths(
    paths.map((p) => resolve(cwd, p)),
    options.include,
  ).catch((err: unknown) => {
    if (err instanceof PathNotFoundError)
      throw new PathNotFoundError(paths.find((p) => resolve(cwd, p) === err.path) ?? err.path);
    throw err;
  });
  const index = new PreferenceIndex(options.split, options.basis);
  for (const r of refused) index.setFile(failedFile(relative(cwd, r.path) || r.path, r.message, 1, 1, r.severity));
  let done = 0;
  for (const f of files) {
    options.signal?.throwIfAborted();
    const name = relative(cwd, f) || f;
    index.setFile(await readPreferenceFile(f, name, options.signal, { maxRecordBytes: options.maxRecordBytes }));
    options.onFile?.(name, ++done);
  }
  return index;
}
