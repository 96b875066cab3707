// synthesizeme inspect <path...>: users, pair counts per split, and every problem.

import { checkNamedFolder } from '../../core/write-guard';
import { flag, type Command, type ParsedArgs } from '../command';
import { splitOptionHelp, splitOptionSpec, splitOptionsFrom } from '../split-options';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadWorkspace, PathNotFoundError, type SplitOptions } from '../../core/data';
import {
  readSplitState,
  readWorkspaceSettingsWithNotes,
  workspaceLayout,
  type WorkspaceSettings,
} from '../../core/workspace';
import { UsageError } from '../usage-error';

// C0 controls, DEL and C1 controls (U+009B is a one-character CSI): ids, file names and the
// messages that quote them come from data files, and printed raw they could drive the terminal
// (clear it, retitle it, hide lines, write hyperlinks). `\u001b` is how JSON spells ESC.
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Untrusted text made safe to print: each control character as a JSON-style `\uXXXX` escape. */
export function escapeControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list users, pair counts per split, and problems in preference files',
  help: `Usage: synthesizeme inspect <path...> [--json] [split options]

Reads preference files (JSONL, JSON, YAML; directories are searched for
*.prefs.{jsonl,json,yaml,yml} and for *.jsonl files whose first record is a pair)
and prints each user's pairs per split and every problem found (file:line:column).
Files are never modified.

Options:
  --json              print one JSON object: {files, pairs, users, problems}
${splitOptionHelp}

Exit status: 0 when the paths could be read (with or without problems), 2 for a
usage error or a path that does not exist.

Example:
  synthesizeme inspect examples/workspace --json`,
  options: { json: { type: 'boolean' }, ...splitOptionSpec },

  async run(args, io) {
    if (args.positionals.length === 0)
      throw new UsageError('inspect: give at least one file or directory (see synthesizeme inspect --help)');
    // Every path named here follows the named-path rule (a file or a folder reached through a planted link).
    for (const p of args.positionals) checkNamedFolder(resolve(io.cwd, p), 'an input');
    let split = splitOptionsFrom(args);
    let index;
    try {
      // One workspace folder: its own settings (seed, ratios, include) as fit and eval read them, the flags
      // over them, and its splits as its next run will use them (pinned, legacy or by id); never written here.
      const one =
        args.positionals.length === 1 ? await workspaceSettings(resolve(io.cwd, args.positionals[0]!)) : undefined;
      for (const line of one?.ignored ?? []) io.stderr(`note: ${line}\n`);
      if (one) split = splitWithSettings(args, split, one.settings);
      const state = one ? await readSplitState(workspaceLayout(one.root, one.settings), split) : undefined;
      for (const line of state?.notes ?? []) io.stderr(`note: ${line}\n`);
      index = await loadWorkspace(args.positionals, {
        split,
        cwd: io.cwd,
        signal: io.signal,
        ...(state ? { basis: state.basis } : {}),
        ...(one?.settings.include ? { include: one.settings.include } : {}),
      });
    } catch (err) {
      if (err instanceof PathNotFoundError) throw new UsageError(`inspect: ${err.message}`);
      throw err;
    }
    const users = index.users();
    const problems = index.problems();
    if (flag(args, 'json')) {
      // JSON.stringify escapes C0 but not DEL or C1; escaping those too keeps the JSON equal and the terminal safe.
      io.stdout(
        escapeControls(
          JSON.stringify({
            files: index.fileNames().length,
            pairs: users.reduce((n, u) => n + u.pairs.length, 0),
            users: users.map((u) => ({
              id: u.id,
              pairs: u.pairs.length,
              splits: u.split.counts,
              ...(u.split.tooSmall ? { tooSmall: true } : {}),
            })),
            problems: problems.map((p) => ({
              file: p.file,
              line: p.line,
              column: p.column,
              message: p.message,
              severity: p.severity,
            })),
          }),
        ) + '\n',
      );
      return 0;
    }
    const rows = users.map((u) => [
      escapeControls(u.id),
      String(u.pairs.length),
      String(u.split.counts.context),
      String(u.split.counts.validation),
      String(u.split.counts.test),
      u.split.tooSmall ? 'too small to split' : '',
    ]);
    const header = ['user', 'pairs', 'context', 'validation', 'test', ''];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd();
    const out: string[] = [fmt(header), ...rows.map(fmt)];
    if (problems.length) {
      out.push('', `Problems (${problems.length}):`);
      for (const p of problems)
        out.push(`  ${escapeControls(p.file)}:${p.line}:${p.column}: ${p.severity}: ${escapeControls(p.message)}`);
    }
    const errors = problems.filter((p) => p.severity === 'error').length;
    out.push(
      '',
      `${index.fileNames().length} file(s), ${users.reduce((n, u) => n + u.pairs.length, 0)} pair(s), ` +
        `${users.length} user(s), ${errors} error(s), ${problems.length - errors} warning(s)`,
    );
    io.stdout(out.join('\n') + '\n');
    return 0;
  },
};

/** How a workspace folder's pairs are split (split-record.ts); undefined for a file. Its settings say where its personas are. */
/** A workspace folder's settings, read as every run reads them; undefined for a file. */
async function workspaceSettings(
  root: string,
): Promise<{ root: string; settings: WorkspaceSettings; ignored: string[] } | undefined> {
  if (
    !(await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    return undefined;
  checkNamedFolder(root);
  const { settings, ignored } = await readWorkspaceSettingsWithNotes(root);
  return { root, settings, ignored };
}

/** The split as a run would use it: flags given on the command line, then the workspace's settings, then the defaults. */
function splitWithSettings(args: ParsedArgs, fromFlags: SplitOptions, s: WorkspaceSettings): SplitOptions {
  const given = (name: string) => args.values[name] !== undefined;
  return {
    ratios: given('splits') ? fromFlags.ratios : (s.splitRatios ?? fromFlags.ratios),
    seed: given('seed') ? fromFlags.seed : (s.seed ?? fromFlags.seed),
    temporal: flag(args, 'temporal') || (s.splitTemporal ?? false),
    minPairs: given('min-pairs') ? fromFlags.minPairs : (s.minPairs ?? fromFlags.minPairs),
  };
}
