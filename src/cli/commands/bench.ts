// synthesizeme bench: PersonalRewardBench preparation and benchmark runs (issue 6). One command
// with three subcommands, each in its own file; this file only dispatches.

import type { Command } from '../command';
import { modelOptionHelp, modelOptionSpec } from '../model-options';
import { UsageError } from '../usage-error';
import { benchPrepareHelp, benchPrepareOptions, runBenchPrepare } from './bench-prepare';
import { benchRunHelp, benchRunOptions, runBenchRun, runBenchScaling } from './bench-run';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'PersonalRewardBench: prepare a data set (filters, splits), run methods x models, scaling plots',
  help: `Usage: synthesizeme bench prepare|run|scaling ...

${benchPrepareHelp}

${benchRunHelp}

Common options:
  --json                     one JSON object on stdout
  --seed N                   seed (splits, calls)
  --splits C/V/T, --min-pairs N   (prepare) split ratios and the user filter
  --out FILE                 (prepare) the output file; (scaling) the SVG
${modelOptionHelp}

Examples:
  synthesizeme bench prepare --arena arena.jsonl --out arena.prefs.jsonl --judges llama3.1:8b,qwen3:8b --report report.md
  synthesizeme bench run bench-ws --methods default,memory,persona+demos --models llama3.1:8b,qwen3:8b --table
  synthesizeme bench run bench-ws --methods default,persona+demos --fit-model llama3.3:70b --models llama3.1:8b
  synthesizeme bench scaling bench-ws --sizes 2,4,8 --model llama3.1:8b`,
  options: {
    ...benchPrepareOptions,
    ...benchRunOptions,
    json: { type: 'boolean' },
    seed: { type: 'string' },
    splits: { type: 'string' },
    'min-pairs': { type: 'string' },
    ...modelOptionSpec,
  },

  async run(args, io) {
    const sub = args.positionals[0];
    switch (sub) {
      case 'prepare':
        if (args.positionals.length > 1)
          throw new UsageError(
            `bench prepare: unexpected argument "${args.positionals[1]}" (inputs go after --arena, --prism-conversations or --prefs)`,
          );
        return runBenchPrepare(args, io);
      case 'run':
        return runBenchRun(args, io);
      case 'scaling':
        return runBenchScaling(args, io);
      default:
        throw new UsageError(
          sub
            ? `bench: unknown subcommand "${sub}" (prepare, run, scaling)`
            : 'bench: say prepare, run or scaling (see synthesizeme bench --help)',
        );
    }
  },
};
