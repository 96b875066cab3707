// Nothing is written outside the workspace. A cloned data set can plant symbolic links where the tool
// writes (`personas -> /elsewhere`, `.synthesizeme/runs/<predictable name>.run.jsonl -> ~/.bashrc`),
// and following one would append to or create a file anywhere. Every writer asks `checkWrite()` first:
// the path, with every link on it resolved, must lie inside a folder writes may go to. Those folders are
// the workspace itself and folders someone chose outside it: a command-line flag, the environment, the
// user's own settings, or a trusted workspace's settings (an untrusted workspace's outside folders never
// get this far: the settings table ignores them). A link inside the workspace to a place inside it is fine.
//
// The folders are registered by `workspaceLayout()` (the workspace and its lexically outside folders) and
// by the commands that take an output path. With none registered (the engine used as a library) there is
// nothing to check against, and nothing is refused.

import { lstatSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { appendFile, link, lstat, mkdir, readlink, realpath, rename, rm, writeFile } from 'node:fs/promises';
import type { MakeDirectoryOptions, RmOptions, WriteFileOptions } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from './user-error';

const roots = new Set<string>();
/** Single files someone chose to read (a run file to compare, a persona to re-validate): that file only, not its folder. */
const chosenFiles = new Set<string>();

/** The real path of a path that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
function realOfSync(path: string): string {
  const rest: string[] = [];
  let p = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const up = dirname(p);
      if (up === p) return resolve(path);
      rest.push(p.slice(up.length).replace(/^[\\/]+/, ''));
      p = up;
    }
  }
}

/** The folders already registered, as given: the layout registers its folders on every call, resolved once. */
const given = new Set<string>();

/** Writes may go under this folder (and the folders under it). */
export function allowWritesUnder(dir: string): void {
  const abs = resolve(dir);
  if (given.has(abs)) return;
  given.add(abs);
  roots.add(realOfSync(abs));
}

/** A file someone named on the command line or in a save dialog: its folder may be written. */
export function allowChosenFile(path: string): void {
  allowWritesUnder(dirname(resolve(path)));
}

/**
 * A file someone named on the command line to be read: that file may be read wherever it is. Only the
 * file: its folder stays untrusted, and a link at the named path is followed only when the user named
 * the path outside the workspace (a link inside the workspace may still have been planted there).
 */
export function allowChosenRead(path: string): void {
  chosenFiles.add(resolve(path));
}

/** The folder names of a workspace's own layout (layout.ts): a folder holding one of them is a workspace. */
const WORKSPACE_MARKERS = ['.synthesizeme', 'personas', 'prompts'];

/**
 * The workspace a file named on the command line lies in, lexically: the nearest folder above it that holds
 * one of the layout's folders (`.synthesizeme`, `personas`, `prompts`; not `.vscode`, which a home folder
 * has too), or undefined outside any.
 */
export function enclosingWorkspace(path: string): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    // A folder that is itself a link is never the workspace: a link planted in a workspace to another
    // folder that looks like one (the user's other project) would make that folder trusted.
    if (!isLinkSync(dir) && WORKSPACE_MARKERS.some((m) => isDirSync(join(dir, m)))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The folder itself, or the nearest folder above it that is no symbolic link: a file's own folder as its workspace. */
export function nearestRealFolder(dir: string): string {
  let d = resolve(dir);
  while (isLinkSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

function isLinkSync(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function isDirSync(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A file named on the command line to be read by a command that opens no workspace of its own (compare,
 * export, judge, classify): the workspace it lies in is registered, so that a link planted there (a run file,
 * a persona) is not followed out of it, and the file itself is chosen (read wherever it is when named
 * outside any workspace). Call it before the read.
 */
export function chooseFileToRead(path: string): void {
  const ws = enclosingWorkspace(path);
  if (ws) allowWritesUnder(ws);
  allowChosenRead(path);
}

/**
 * A data file named on the command line whose text goes to a model (classify, bench prepare, import): its
 * workspace, or else its own folder, is registered, so a link planted beside the data is not followed out
 * of it. A file the user links to from elsewhere is named by its target instead.
 */
export function chooseDataFileToRead(path: string): void {
  allowWritesUnder(enclosingWorkspace(path) ?? nearestRealFolder(dirname(resolve(path))));
  allowChosenRead(path);
}

/**
 * An output file named on the command line (--out, --report, --file): its folder may be written, unless the
 * path reaches it through a link planted below the user's own folders (the named-path rule), or the file
 * itself is such a link: `--out ws/o/x.jsonl` with `ws/o -> /elsewhere` must not write there.
 */
export function allowNamedOutput(path: string): void {
  checkNamedFolder(path, 'an output file');
  allowChosenFile(path);
}

/** For tests: forget every registered folder and chosen file. */
export function resetWriteRoots(): void {
  roots.clear();
  given.clear();
  chosenFiles.clear();
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The first symbolic link on the way to `path` (the path itself included), or undefined. */
async function firstLink(path: string): Promise<{ link: string; target: string } | undefined> {
  const parts = resolve(path).split(sep).filter(Boolean);
  let p = isAbsolute(path) ? sep : '';
  for (const part of parts) {
    p = join(p || sep, part);
    let info;
    try {
      info = await lstat(p);
    } catch {
      return undefined; // the rest does not exist yet: nothing to follow
    }
    if (info.isSymbolicLink()) return { link: p, target: await readlink(p).catch(() => '?') };
  }
  return undefined;
}

/** Where a write to `path` would really land: links resolved (a dangling link counts as its target). */
async function landing(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    const info = await lstat(abs);
    if (info.isSymbolicLink()) {
      const target = await readlink(abs);
      return realOfSync(resolve(dirname(abs), target));
    }
  } catch {
    // Does not exist yet.
  }
  const parent = dirname(abs);
  try {
    return join(await realpath(parent), abs.slice(parent.length).replace(/^[\\/]+/, ''));
  } catch {
    return realOfSync(abs);
  }
}

/** Whether `path`, links resolved, lies inside a folder the tool may use; true when none is registered. */
export async function isTrustedPath(path: string): Promise<boolean> {
  const abs = resolve(path);
  // A named file: a link on its way below the user's own folders must stay in the folder that holds it.
  if (chosenFiles.has(abs) && linkLeavingItsFolder(abs)) return false;
  if (!roots.size) return true;
  const real = await landing(path);
  for (const root of roots) if (inside(real, root)) return true;
  return chosenFiles.has(abs) && !insideAnyRootLexically(abs);
}

/**
 * Where the user's own folders end on the way to a named file: the current folder when the file lies under
 * it (a cloned data set the user stands in is not theirs below that point), else the home folder when the
 * file lies under it, else the root. Links above are the user's; links below may have been planted.
 */
function userBoundary(abs: string): string {
  for (const b of [process.cwd(), process.env['HOME'] ?? ''])
    if (b && inside(abs, resolve(b)) && abs !== resolve(b)) return resolve(b);
  return sep;
}

/** Whether a path, links not resolved, names a place inside a registered folder (where a link may be planted). */
function insideAnyRootLexically(abs: string): boolean {
  for (const root of given) if (inside(abs, root)) return true;
  return false;
}

/** Whether `path`, links resolved, lies inside `dir` (links of `dir` itself resolved too), whatever is registered. */
export async function landsInside(path: string, dir: string): Promise<boolean> {
  return inside(await landing(path), realOfSync(dir));
}

/**
 * A folder named on the command line as the workspace (or --workspace): the same rule as a named file, so a
 * link planted in a data set (`ws/o -> /elsewhere`, then `fit ws/o/project`) does not make an outside folder
 * the workspace, whose data would go to the model and into which the run would write.
 */
export function checkNamedFolder(path: string, as = 'the workspace'): void {
  const leaving = linkLeavingItsFolder(resolve(path));
  if (!leaving) return;
  throw new UserError(
    `refusing to use ${path} as ${as}: ${leaving.link} is a symbolic link to ${leaving.target}, ` +
      'outside the folder that holds it (a link on the way to a folder you name is followed only within its folder; ' +
      'name the folder it points to instead)',
    2,
  );
}

/**
 * The first symbolic link on the way to a named file, below the user's own folders, whose target leaves the
 * folder that holds the link (`o -> /elsewhere`, `up -> ..`): such a link may have been planted to reach a
 * file outside the data the user named. A link within its folder (`current -> v2`) is followed.
 */
function linkLeavingItsFolder(abs: string): { link: string; target: string } | undefined {
  const top = userBoundary(abs);
  let p = top;
  for (const part of relative(top, abs).split(sep).filter(Boolean)) {
    p = join(p, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(p).isSymbolicLink();
    } catch {
      return undefined;
    }
    if (!isLink) continue;
    let target: string | undefined;
    try {
      target = realpathSync(p);
    } catch {
      target = undefined;
    }
    let folder = dirname(p);
    try {
      folder = realpathSync(dirname(p));
    } catch {
      // keep the lexical folder
    }
    if (target === undefined || !inside(target, folder) || target === folder) {
      let shown = '?';
      try {
        shown = readlinkSync(p);
      } catch {
        // unreadable link
      }
      return { link: p, target: shown };
    }
  }
  return undefined;
}

/** The one-line refusal of a read or write of `path` that leaves the trusted folders; it names the link. */
export async function refusal(verb: 'read' | 'write', path: string): Promise<string> {
  const abs = resolve(path);
  const leaving = chosenFiles.has(abs) ? linkLeavingItsFolder(abs) : undefined;
  if (leaving) {
    return (
      `refusing to ${verb} ${path}: ${leaving.link} is a symbolic link to ${leaving.target}, outside the workspace ` +
      '(a link in the data you name is followed only within the folder that holds it; name the file it points to instead)'
    );
  }
  const link = await firstLink(path);
  const why = link ? `${link.link} is a symbolic link to ${link.target}` : `it resolves to ${await landing(path)}`;
  return (
    `refusing to ${verb} ${path}: ${why}, outside the workspace ` +
    '(links in a workspace are never followed out of it; ' +
    `remove the link, or choose the ${verb === 'read' ? 'file' : 'folder'} on the command line)`
  );
}

/**
 * Refuses a write whose path, links resolved, leaves every folder writes may go to; the message names
 * the link. Call it before creating a folder, a file, a temporary file or appending.
 */
export async function checkWrite(path: string): Promise<void> {
  if (await isTrustedPath(path)) return;
  throw new UserError(await refusal('write', path), 2);
}

/** Whether a path lies lexically outside a root (no links resolved): the folders someone chose. */
export function outside(path: string, root: string): boolean {
  const r = relative(resolve(root), resolve(path));
  return r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
}

// The checked writes. Every file the engine writes goes through one of these (or atomic-write.ts, which
// calls checkWrite itself): the linter refuses `node:fs` write calls anywhere else, so a new writer cannot
// forget the check.

/** mkdir after checkWrite of the folder. */
export async function mkdirChecked(dir: string, options: MakeDirectoryOptions = { recursive: true }): Promise<void> {
  await checkWrite(dir);
  await mkdir(dir, options);
}

/** writeFile after checkWrite of the file. */
export async function writeFileChecked(path: string, data: string, options?: WriteFileOptions): Promise<void> {
  await checkWrite(path);
  await writeFile(path, data, options);
}

/** appendFile after checkWrite of the file. */
export async function appendFileChecked(path: string, data: string): Promise<void> {
  await checkWrite(path);
  await appendFile(path, data);
}

/**
 * An append-only journal checked once, when it is opened: a run appends one line per verdict, and a check
 * per line would resolve the same links thousands of times. The file itself is the one checked.
 */
export async function openAppender(path: string): Promise<(data: string) => Promise<void>> {
  await checkWrite(path);
  return (data) => appendFile(path, data);
}

/** rename after checkWrite of both names (a link at either would move a file out of, or into, the workspace). */
export async function renameChecked(from: string, to: string): Promise<void> {
  await checkWrite(from);
  await checkWrite(to);
  await rename(from, to);
}

/** A hard link `to` -> `existing` after checkWrite of the new name. */
export async function linkChecked(existing: string, to: string): Promise<void> {
  await checkWrite(to);
  await link(existing, to);
}

/** rm after checkWrite of the path. */
export async function removeChecked(path: string, options: RmOptions = { force: true }): Promise<void> {
  await checkWrite(path);
  await rm(path, options);
}

/**
 * unlinkSync for an exit hook, where nothing asynchronous runs any more: only for a file this process
 * created itself after checkWrite (a run's lock), never for a path taken from data.
 */
export function unlinkOwnFileSync(path: string): void {
  unlinkSync(path);
}
