// synthesizeme report: one self-contained HTML file of runs (the engine's report job, src/core/report).

import { relative, resolve } from 'node:path';
import { version } from '../../../package.json';
import { flag, stringOption, type Command } from '../command';
import { Progress } from '../progress';
import { UsageError } from '../usage-error';
import { prepareReport, runReport } from '../../core/report';
import { allowNamedOutput } from '../../core/write-guard';

const kb = (bytes: number) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'write one self-contained HTML report of runs (figures, comparisons, pairs, personas) to share',
  help: `Usage: synthesizeme report <run files... | workspace folder> --out report.html [--force] [--json]

Writes one HTML file that opens in any browser, offline, without the tool: every script and style is in
the file and its Content-Security-Policy allows no network access. It holds
  - each run's accuracy with its 95% interval, and each later run against the first: the difference, its
    interval and p (the sentence \`compare\` prints; judged with Holm's p when several runs are compared),
    and who improved and who was hurt;
  - the comparison grid (one row per pair, one column per run) with its filters and a search over the pair
    texts and the reasoning; a row opens the pair with both orders' verdicts and reasoning in every run;
  - each user's persona and demonstrations, every version the runs judged with;
  - the provenance: model and digest, provider, seed, temperature, the prompts' and personas' hashes, dates.
Every text from the data is shown as text (no markup runs).

A folder (a workspace, e.g. one a benchmark ran in) stands for its newest run of each method, model and
label on the test split, the default method's first. Run files are taken in the order given (the first is
the baseline). The runs must belong to one workspace, whose pairs and personas go in.

Options:
  --out FILE         the HTML file to write (required)
  --force            replace FILE if it exists
  --workspace DIR    the workspace the runs belong to (default: the one they lie in)
  --json             {"path", "bytes", "runs", "pairs", "users", "warnings"}

Examples:
  synthesizeme report examples/workspace --out report.html
  synthesizeme report .synthesizeme/runs/default-test-*.run.jsonl .synthesizeme/runs/persona-demos-test-*.run.jsonl --out report.html`,
  options: {
    out: { type: 'string' },
    force: { type: 'boolean' },
    workspace: { type: 'string' },
    json: { type: 'boolean' },
  },

  async run(args, io) {
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('report: --out FILE is required (see synthesizeme report --help)');
    if (!args.positionals.length)
      throw new UsageError('report: give run files or a workspace folder (see synthesizeme report --help)');
    // Named on the command line: written wherever it is, unless a link planted on its way leads elsewhere.
    allowNamedOutput(resolve(io.cwd, out));
    const workspace = stringOption(args, 'workspace');
    const plan = await prepareReport({
      inputs: args.positionals,
      out,
      cwd: io.cwd,
      force: flag(args, 'force'),
      tool: `SynthesizeMe Studio ${version} (synthesizeme report)`,
      trustWorkspace: flag(args, 'trust-workspace'),
      ...(workspace !== undefined ? { workspace } : {}),
    });
    const rel = (p: string) => relative(io.cwd, p) || p;
    const json = flag(args, 'json');
    const progress = new Progress(io.stderr, io.isTTY, json);
    const t0 = performance.now();
    const result = await runReport(plan, {
      signal: io.signal,
      display: rel,
      onProgress: (p) => progress.status('report', p.message),
    });
    progress.done();
    for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
    if (json) {
      io.stdout(JSON.stringify({ ...result, path: rel(result.path) }) + '\n');
      return 0;
    }
    io.stdout(
      `Wrote ${rel(result.path)} (${kb(result.bytes)}): ${result.runs} run(s), ` +
        `${result.pairs.toLocaleString('en-US')} pairs, ${result.users} user(s) in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  },
};
