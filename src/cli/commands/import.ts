// synthesizeme import: convert Chatbot Arena, PRISM, PersonalRewardBench or Anthropic HH data
// into the native JSONL format, as a new file (never in place).

import { relative, resolve } from 'node:path';
import { intOption, stringOption, flag, type Command } from '../command';
import { type ImportProblem, prepareImport, runImport } from '../../core/data';
import { allowNamedOutput } from '../../core/write-guard';
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
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('import: --out FILE is required (the input is never modified)');
    const json = flag(args, 'json');
    const rel = (p: string) => relative(io.cwd, p) || p;
    const printProblems = (problems: readonly ImportProblem[]) => {
      for (const p of problems) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
    };
    const outPath = resolve(io.cwd, out);
    const plan = await prepareImport({
      from: stringOption(args, 'from') ?? '',
      files: args.positionals.map((p) => resolve(io.cwd, p)),
      out: outPath,
      overwrite: flag(args, 'force'),
      ...(stringOption(args, 'user') ? { userId: stringOption(args, 'user')! } : {}),
      ...(stringOption(args, 'users') !== undefined ? { users: intOption(args, 'users', 1, 1) } : {}),
      existsHint: 'choose another --out or pass --force',
      command: 'import',
      display: rel,
    });
    allowNamedOutput(outPath);
    // Problems go to stderr before a refusal (JSON keeps stderr quiet: the refusal counts them).
    const r = await runImport(plan, {
      onProblems: (problems) => {
        if (!json) printProblems(problems);
        return !json;
      },
    });
    if (json) {
      const { written } = r;
      io.stdout(
        JSON.stringify({ out: rel(written.path), records: written.records, skipped: r.skipped, problems: r.problems }) +
          '\n',
      );
      return 0;
    }
    printProblems(r.problems);
    const skipped = r.skipped.length ? `; skipped: ${r.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}` : '';
    const problems = r.problems.length ? `; ${r.problems.length} problem(s) above` : '';
    io.stdout(`Wrote ${r.written.records} pair(s) to ${rel(r.written.path)}${skipped}${problems}\n`);
    return 0;
  },
};
