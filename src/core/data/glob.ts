// Which paths the include globs (`synthesizeme.files.include`) select: one matcher for the CLI's directory walk
// and for the extension's index and file watchers, so that both faces read the same files.
// picomatch with the syntax VS Code's globs have (`*`, `**`, `?`, `[...]`, `{a,b}`): `*` matches dot files as
// VS Code's does, and extglobs and a leading `!` are plain characters, as they are there.
// The posix build: paths are given with `/` (backslashes are turned into slashes first) on every platform.

import picomatch from 'picomatch/posix';

/** Folders never searched: installed packages and every folder whose name starts with a dot (.git, .synthesizeme). */
export function isSkippedFolder(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

/** A test of a path relative to the workspace folder (either separator) against the include globs. */
export type IncludeMatcher = (relPath: string) => boolean;

export function includeMatcher(include: readonly string[]): IncludeMatcher {
  const match = picomatch([...include], { dot: true, noextglob: true, nonegate: true });
  return (relPath) => match(relPath.split('\\').join('/'));
}

/** Whether a file is selected: it matches, and no folder on its way is one that is never searched. */
export function isIncludedFile(relPath: string, matches: IncludeMatcher): boolean {
  const folders = relPath.split(/[\\/]/).slice(0, -1);
  return !folders.some(isSkippedFolder) && matches(relPath);
}
