// synthesizeme runs: the runs of a workspace, what made each one, and whether it is stale.

import { checkNamedFolder } from '../../core/write-guard';
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { flag, type Command } from '../command';
import { listRuns, type RunListing } from '../../core/eval';
import { readWorkspaceSettingsWithNotes, workspaceLayout } from '../../core/workspace';
import { accuracyCell } from '../results-table';
import { UsageError } from '../usage-error';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list the runs of a workspace: method, model, split, date, accuracy, label, complete, stale',
  help: `Usage: synthesizeme runs <workspace> [--json]

Lists the runs under <workspace>/.synthesizeme/runs/, newest first: method, model (and its digest
when the server named one), split, date, accuracy with its 95% interval, label (eval --label,
revalidate --label), whether it is complete (incomplete: calls failed and their pairs are left
out; unfinished: interrupted), and whether it is stale: made with a prompt or a persona file whose
text has changed since (the hashes in the run's header against the files as they are now).

Options:
  --json    {"runs": [{"path", "id", "method", "provider", "model", "modelDigest", "split",
            "created", "label", "users", "accuracy", "ci95", "pairs", "status", "complete",
            "stale", "staleBecause", "inputs"}]}

Example:
  synthesizeme runs examples/workspace`,
  options: { json: { type: 'boolean' } },

  async run(args, io) {
    const path = args.positionals[0];
    if (!path || args.positionals.length > 1)
      throw new UsageError('runs: give the workspace folder (see synthesizeme runs --help)');
    const root = resolve(io.cwd, path);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) throw new UsageError(`runs: no such folder: ${path}`);
    checkNamedFolder(root);
    // The settings say where prompts and personas are; the data need not be read.
    const { settings, ignored } = await readWorkspaceSettingsWithNotes(root, flag(args, 'trust-workspace'));
    for (const line of ignored) io.stderr(`note: ${line}\n`);
    const rel = (p: string) => relative(io.cwd, p) || p;
    // A damaged run file is said at its file and line, and the rest is listed.
    const runs = await listRuns(workspaceLayout(root, settings), (file, why, line) =>
      io.stderr(`warning: ${rel(file)}${line ? `:${line}` : ''}: ${why}\n`),
    );
    if (flag(args, 'json')) {
      io.stdout(
        JSON.stringify({
          runs: runs.map((r) => ({
            ...r,
            path: rel(r.path),
            modelDigest: r.modelDigest ?? null,
            label: r.label ?? null,
          })),
        }) + '\n',
      );
      return 0;
    }
    if (!runs.length) {
      io.stdout(`No runs in ${rel(root)} yet (synthesizeme eval writes them).\n`);
      return 0;
    }
    io.stdout(table(runs, rel) + '\n');
    return 0;
  },
};

function table(runs: readonly RunListing[], rel: (p: string) => string): string {
  const rows = runs.map((r) => [
    r.created.replace('T', ' ').slice(0, 19),
    r.method,
    r.split,
    r.modelDigest ? `${r.model} (${digestCell(r.modelDigest)})` : r.model,
    r.accuracy === null ? 'n/a' : accuracyCell(r.accuracy, r.ci95 ?? [r.accuracy, r.accuracy]),
    String(r.pairs),
    r.label ?? '',
    r.status,
    r.stale ? `stale: ${r.staleBecause.join(', ')}` : '',
    rel(r.path),
  ]);
  const head = ['created', 'method', 'split', 'model', 'accuracy', 'pairs', 'label', 'status', 'stale', 'run'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Ollama's digest, shortened as git shortens a hash; a VS Code model's identity (family, version) said whole. */
function digestCell(digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return /^[0-9a-f]{16,}$/i.test(hex) ? hex.slice(0, 12) : digest;
}
