// Find and read every preference file under the given paths into one index.

import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { globToRegExp, matchesAny } from './glob';
import { formatOf } from './file-text';
import { readPreferenceFile, sniffJsonlIsPreferences } from './read-file';
import { PreferenceIndex } from './workspace-index';
import type { SplitOptions } from './splits';

export const DEFAULT_INCLUDE = ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'];
/** Plain JSONL files are only preference files when their first record says so. */
const PREFS_NAME = /\.prefs\.(jsonl|json|ya?ml)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', '.synthesizeme', '.vscode-test']);

export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`no such file or directory: ${path}`);
  }
}

export interface LoadOptions {
  include?: string[];
  split?: SplitOptions;
  /** Names in problems and ranges are relative to this directory. */
  cwd?: string;
  signal?: AbortSignal;
  onFile?: (file: string, done: number) => void;
}

async function walk(dir: string, root: string, globs: RegExp[], out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(p, root, globs, out);
    } else if (e.isFile() && matchesAny(relative(root, p), globs)) {
      out.push(p);
    }
  }
}

/** Preference files under `paths` (files are taken as given, directories are searched with the globs). */
export async function findPreferenceFiles(paths: string[], include = DEFAULT_INCLUDE): Promise<string[]> {
  const globs = include.map(globToRegExp);
  const found: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new PathNotFoundError(p);
    }
    if (info.isDirectory()) {
      const inDir: string[] = [];
      await walk(abs, abs, globs, inDir);
      for (const f of inDir) {
        if (PREFS_NAME.test(f) || formatOf(f) !== 'jsonl' || (await sniffJsonlIsPreferences(f))) found.push(f);
      }
    } else found.push(abs);
  }
  return [...new Set(found)];
}

export async function loadWorkspace(paths: string[], options: LoadOptions = {}): Promise<PreferenceIndex> {
  const cwd = options.cwd ?? process.cwd();
  const files = await findPreferenceFiles(paths, options.include);
  const index = new PreferenceIndex(options.split);
  let done = 0;
  for (const f of files) {
    options.signal?.throwIfAborted();
    const name = relative(cwd, f) || f;
    index.setFile(await readPreferenceFile(f, name, options.signal));
    options.onFile?.(name, ++done);
  }
  return index;
}
