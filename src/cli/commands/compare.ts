// synthesizeme compare: paired statistics between two run files on the same pairs.

import { relative, resolve } from 'node:path';
import { flag, type Command } from '../command';
import { compareRuns } from '../../core/eval/compare';
import { UsageError } from '../usage-error';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare two runs on the same pairs (paired bootstrap interval, exact McNemar test)',
  help: `Usage: synthesizeme compare <runA> <runB> [--json]

The accuracy difference (B - A) over the order-samples both runs judged, with a paired
bootstrap 95% interval and an exact McNemar p-value over the discordant samples.

Example:
  synthesizeme compare .synthesizeme/runs/default-test-*.run.jsonl .synthesizeme/runs/persona-demos-test-*.run.jsonl`,
  options: { json: { type: 'boolean' } },

  async run(args, io) {
    if (args.positionals.length !== 2) throw new UsageError('compare: give exactly two run files (see synthesizeme compare --help)');
    const [a, b] = args.positionals.map((p) => resolve(io.cwd, p)) as [string, string];
    let c;
    try {
      c = await compareRuns(a, b);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`compare: no such file: ${(err as NodeJS.ErrnoException).path}`);
      throw err;
    }
    const rel = (p: string) => relative(io.cwd, p) || p;
    if (flag(args, 'json')) {
      io.stdout(JSON.stringify({ ...c, a: { ...c.a, run: rel(c.a.run) }, b: { ...c.b, run: rel(c.b.run) } }) + '\n');
    } else {
      io.stdout(
        `A: ${c.a.method} ${(100 * c.a.accuracy).toFixed(2)}%  (${rel(c.a.run)})\nB: ${c.b.method} ${(100 * c.b.accuracy).toFixed(2)}%  (${rel(c.b.run)})\n` +
          `B - A: ${c.sentence}\n  ${c.pairs} pairs, ${c.samples} samples; discordant: ${c.mcnemar.b01} only B right, ${c.mcnemar.b10} only A right${c.unmatched ? `; ${c.unmatched} pair(s) judged in only one run were left out` : ''}\n`,
      );
    }
    return 0;
  },
};
