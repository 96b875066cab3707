// synthesizeme import: convert Chatbot Arena, PRISM, PersonalRewardBench or Anthropic HH data
// into the native JSONL format, as a new file (never in place).

import { relative, resolve } from 'node:path';
import { access } from 'node:fs/promises';
import { intOption, stringOption, flag, type Command } from '../command';
import { IMPORT_SOURCES, ImportError, importFile, type ImportSource, writeNativeJsonl } from '../../core/data';
import { allowNamedOutput } from '../../core/write-guard';
import { checkNamedDataFile } from '../../core/read-guard';
import { UsageError } from '../usage-error';

export const importCommand: Command = {
  name: 'import',
  summary: 'convert Arena, PRISM, PersonalRewardBench or HH data into native preference files',
  help: `Usage: synthesizeme import --from arena|prism|prb|hh <input...> --out FILE [options]

  --from arena     Chatbot Arena conversations (JSONL or JSON array); ties give no pair
  --from prism     PRISM: the conversations file, then the survey file (demographics)
  --from prb       PersonalRewardBench rows (train/val/test become context/validation/test)
  --from hh        Anthropic HH transcripts ("\\n\\nHuman: ... \\n\\nAssistant: ..."), gzipped or not
  --out FILE       the new native JSONL file (an input file is never overwritten)
  --user ID        (hh) the user id for every pair (default "hh")
  --users N        (hh) spread the rows over N synthetic users round-robin
  --force          overwrite FILE if it exists (never an input)
  --json           print a JSON summary

Example:
  synthesizeme import --from arena arena.jsonl --out arena.prefs.jsonl`,
  options: {
    from: { type: 'string' },
    out: { type: 'string' },
    user: { type: 'string' },
    users: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },

  async run(args, io) {
    const from = stringOption(args, 'from');
    if (!from || !(IMPORT_SOURCES as readonly string[]).includes(from))
      throw new UsageError(`import: --from must be one of ${IMPORT_SOURCES.join(', ')}`);
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('import: --out FILE is required (the input is never modified)');
    if (!args.positionals.length) throw new UsageError('import: give the input file(s)');
    const inputs = args.positionals.map((p) => resolve(io.cwd, p));
    // Named on the command line, but an input inside a workspace may be a planted link: not followed out of it.
    for (const f of inputs) {
      await checkNamedDataFile(f, 'import');
    }
    const outPath = resolve(io.cwd, out);
    allowNamedOutput(outPath);
    if (
      !flag(args, 'force') &&
      (await access(outPath).then(
        () => true,
        () => false,
      ))
    )
      throw new UsageError(`import: ${out} exists; choose another --out or pass --force`);
    let result;
    try {
      const userId = stringOption(args, 'user');
      const users = stringOption(args, 'users') !== undefined ? intOption(args, 'users', 1, 1) : undefined;
      result = await importFile(from as ImportSource, inputs, {
        ...(userId ? { userId } : {}),
        ...(users ? { users } : {}),
      });
      const rel = (p: string) => relative(io.cwd, p) || p;
      const problems = result.problems.map((p) => ({ ...p, file: rel(resolve(io.cwd, p.file)) }));
      // Nothing to import is bad input, and no file is written: an empty output would turn the same
      // command's second run into "exists" (exit 2 after exit 0), and a workspace would gain an empty file.
      if (!result.records.length) {
        if (!flag(args, 'json'))
          for (const p of problems) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
        const why = problems.length
          ? `${problems.length} problem(s)${flag(args, 'json') ? '' : ' above'}`
          : result.skipped.length
            ? `skipped: ${result.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}`
            : 'no records';
        throw new UsageError(
          `import: no pair could be imported from ${args.positionals.join(', ')} as ${from} (${why}); nothing was written`,
        );
      }
      const written = await writeNativeJsonl(result.records, outPath, { inputs });
      if (flag(args, 'json')) {
        io.stdout(
          JSON.stringify({ out: rel(written.path), records: written.records, skipped: result.skipped, problems }) +
            '\n',
        );
      } else {
        for (const p of problems) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
        io.stdout(
          `Wrote ${written.records} pair(s) to ${rel(written.path)}${result.skipped.length ? `; skipped: ${result.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}` : ''}${problems.length ? `; ${problems.length} problem(s) above` : ''}\n`,
        );
      }
      return 0;
    } catch (err) {
      if (err instanceof ImportError) throw new UsageError(`import: ${err.message}`);
      throw err;
    }
  },
};
