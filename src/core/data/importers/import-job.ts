// `synthesizeme import` as one engine job: check the inputs and the output (prepareImport), then convert
// and write a NEW native JSONL file (runImport). The caller only parses and formats; an input is never
// overwritten, and an import with no pair writes nothing.

import { access } from 'node:fs/promises';
import { checkNamedDataFile } from '../../read-guard';
import { UserError } from '../../user-error';
import { IMPORT_SOURCES, ImportError, importFile, type ImportSource, writeNativeJsonl } from './index';
import type { ImportProblem, SkipCount } from './native-record';

export interface ImportInputs {
  from: string;
  /** The input files (absolute paths). */
  files: readonly string[];
  /** The new native JSONL file (absolute path). */
  out: string;
  /** Replace `out` when it exists (never an input). */
  overwrite?: boolean;
  /** HH: the user id (or the prefix of synthetic ids). */
  userId?: string;
  /** HH: spread the rows over this many synthetic users. */
  users?: number;
  /** What to do when `out` exists, in the caller's words (`choose another --out or pass --force`). */
  existsHint?: string;
  /** Prefix of the errors (`import: ...`). */
  command?: string;
  /** How paths are named in problems and messages. */
  display?: (path: string) => string;
}

export interface ImportPlan {
  inputs: ImportInputs;
  from: ImportSource;
}

export interface ImportOutcome {
  written: { path: string; records: number; bytes: number };
  skipped: SkipCount[];
  problems: ImportProblem[];
}

const said = (inputs: ImportInputs, message: string) => (inputs.command ? `${inputs.command}: ${message}` : message);

/** Checks the source, the inputs (under the read guard: not followed out of their workspace) and the output. */
export async function prepareImport(inputs: ImportInputs): Promise<ImportPlan> {
  const from = inputs.from as ImportSource;
  if (!IMPORT_SOURCES.includes(from))
    throw new UserError(said(inputs, `--from must be one of ${IMPORT_SOURCES.join(', ')}`), 2);
  if (!inputs.files.length) throw new UserError(said(inputs, 'give the input file(s)'), 2);
  for (const f of inputs.files) await checkNamedDataFile(f, inputs.command);
  const exists = await access(inputs.out).then(
    () => true,
    () => false,
  );
  if (exists && !inputs.overwrite) {
    const show = inputs.display ?? ((p: string) => p);
    const hint = inputs.existsHint ?? 'choose another output or allow replacing it';
    throw new UserError(said(inputs, `${show(inputs.out)} exists; ${hint}`), 2);
  }
  return { inputs, from };
}

/**
 * Converts and writes. Nothing to import is bad input, and no file is written: an empty output would turn
 * the same command's second run into "exists" (exit 2 after exit 0), and a workspace would gain an empty file.
 * `onProblems` sees the problems before that refusal.
 */
export async function runImport(
  plan: ImportPlan,
  /** `onProblems` says whether it showed them (the refusal then points "above"). */
  hooks: { onProblems?: (problems: readonly ImportProblem[]) => boolean } = {},
): Promise<ImportOutcome> {
  const { inputs } = plan;
  try {
    const result = await importFile(plan.from, [...inputs.files], {
      ...(inputs.userId ? { userId: inputs.userId } : {}),
      ...(inputs.users ? { users: inputs.users } : {}),
      ...(inputs.display ? { displayPath: inputs.display } : {}),
    });
    if (!result.records.length) {
      const shown = hooks.onProblems?.(result.problems) ?? false;
      const why = result.problems.length
        ? `${result.problems.length} problem(s)${shown ? ' above' : ''}`
        : result.skipped.length
          ? `skipped: ${result.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}`
          : 'no records';
      const names = inputs.files.map(inputs.display ?? ((p) => p)).join(', ');
      throw new UserError(
        said(inputs, `no pair could be imported from ${names} as ${plan.from} (${why}); nothing was written`),
        2,
      );
    }
    const written = await writeNativeJsonl(result.records, inputs.out, { inputs: inputs.files });
    return { written, skipped: result.skipped, problems: result.problems };
  } catch (err) {
    if (err instanceof ImportError) throw new UserError(said(inputs, err.message), 2);
    throw err;
  }
}
