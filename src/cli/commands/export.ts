// synthesizeme export: a persona model as a judge prompt or a generation prompt, or a workspace's pairs as
// preference data for a trainer (the engine's workspace/preference-data.ts builds and writes it).

import { dirname, join, relative, resolve } from 'node:path';
import { flag, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import {
  demosOf,
  exportGenerationPrompt,
  exportJudgePrompt,
  loadPersona,
  MethodUnavailable,
  type PersonaModel,
  PromptStore,
} from '../../core/method';
import { loadWorkspace, type Pair } from '../../core/data';
import {
  isPreferenceSplitChoice,
  type PreferenceDataTarget,
  preferenceSplits,
  preparePreferenceData,
  readWorkspaceSettings,
  workspaceLayout,
  writePreferenceData,
} from '../../core/workspace';
import { allowNamedOutput, checkNamedFolder, chooseFileToRead } from '../../core/write-guard';
import { UserError } from '../../core/user-error';
import { UsageError } from '../usage-error';
import { openForRun } from '../run-context';
import { splitOptionHelp, splitOptionSpec } from '../split-options';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a persona model as a judge or generation prompt, or pairs as preference data for a trainer',
  help: `Usage: synthesizeme export <persona file> --as judge|generation [--workspace DIR] [--persona-only]
       synthesizeme export <workspace> --as preference-data (--user ID | --all) [--split S] [--persona]
                           [--out FILE | --out-dir DIR] [--force]

--as judge        JSON chat messages: the system prompt (instructions, persona, demonstrations)
                  and a user message with {{conversation}}, {{response_a}}, {{response_b}}
--as generation   a system prompt that tells an assistant about the user: the persona, then the
                  demonstrations (each past choice with the preferred reply, the other one and,
                  for a verified demonstration, why)
--persona-only    --as generation without the demonstrations
--workspace DIR   where the demo pairs and prompts live (default: the persona folder's parent)

--as preference-data   JSONL for a trainer (TRL's RewardTrainer, DPOTrainer), one line a pair:
                  {"prompt": [messages before the responses], "chosen": [{"role": "assistant", ...}],
                  "rejected": [...]}, TRL's conversational form; collected pairs included
--split S         context, validation, test or all (default: context and validation; the test
                  pairs, which eval scores methods on, only when asked)
--persona         each user's persona (their persona file's) first, as a system message; a user
                  without a persona file is an error that names them
--out FILE        write one file (default: standard output); --out-dir DIR: DIR/<split>.jsonl
--force           replace a file that exists (never a preference file of the workspace)
${splitOptionHelp}

Examples:
  synthesizeme export examples/workspace/personas/ada.persona.yaml --as judge > ada-judge.json
  synthesizeme export examples/workspace --as preference-data --all --persona --out-dir train-data`,
  options: {
    as: { type: 'string' },
    workspace: { type: 'string' },
    'persona-only': { type: 'boolean' },
    user: { type: 'string' },
    all: { type: 'boolean' },
    split: { type: 'string' },
    persona: { type: 'boolean' },
    out: { type: 'string' },
    'out-dir': { type: 'string' },
    force: { type: 'boolean' },
    ...splitOptionSpec,
  },

  async run(args, io) {
    const file = args.positionals[0];
    const as = stringOption(args, 'as');
    if (as === 'preference-data') return exportPreferenceData(args, io);
    if (!file) throw new UsageError('export: give a persona file (see synthesizeme export --help)');
    if (as !== 'judge' && as !== 'generation')
      throw new UsageError('export: --as judge, --as generation or --as preference-data');
    // Named on the command line: read wherever it is (inside a workspace, a link out of it is still refused).
    chooseFileToRead(resolve(io.cwd, file));
    const model = await loadPersona(resolve(io.cwd, file), file).catch((err: Error) => {
      throw new UsageError(err.message);
    });
    if (flag(args, 'persona-only') && as !== 'generation')
      throw new UsageError('export: --persona-only goes with --as generation');
    if (as === 'generation' && (flag(args, 'persona-only') || !model.demos.length)) {
      io.stdout(exportGenerationPrompt(model) + '\n');
      return 0;
    }
    const root = resolve(io.cwd, stringOption(args, 'workspace') ?? dirname(dirname(resolve(io.cwd, file))));
    if (stringOption(args, 'workspace') !== undefined) checkNamedFolder(root);
    const layout = workspaceLayout(root, await readWorkspaceSettings(root, flag(args, 'trust-workspace')));
    const index = await loadWorkspace([root], { cwd: io.cwd });
    const pairs = index.user(model.userId)?.pairs ?? [];
    if (as === 'generation') {
      io.stdout(exportGenerationPrompt(model, demosOrExplain(model, pairs, root)) + '\n');
      return 0;
    }
    const judge = await new PromptStore(layout.promptDir).get('judge');
    io.stdout(JSON.stringify(exportJudgePrompt(model, judge.text, pairs), null, 2) + '\n');
    return 0;
  },
};

/** The persona's demonstrations resolved against the workspace, or an error that says how to go on without them. */
function demosOrExplain(model: PersonaModel, pairs: readonly Pair[], root: string) {
  try {
    return demosOf(model, pairs);
  } catch (err) {
    if (!(err instanceof MethodUnavailable)) throw err;
    throw new UserError(
      `${err.message} (workspace ${root}): give the right one with --workspace, or export the persona alone with --persona-only`,
      2,
    );
  }
}

/** --as preference-data: the options checked, the engine builds the lines and writes them; notes on stderr. */
async function exportPreferenceData(args: ParsedArgs, io: CommandIO): Promise<number> {
  const split = stringOption(args, 'split');
  if (split !== undefined && !isPreferenceSplitChoice(split))
    throw new UsageError(`export: --split context, validation, test or all, not "${split}"`);
  const out = stringOption(args, 'out');
  const outDir = stringOption(args, 'out-dir');
  if (out !== undefined && outDir !== undefined) throw new UsageError('export: --out and --out-dir exclude each other');
  for (const o of ['persona-only', 'workspace'])
    if (args.values[o] !== undefined) throw new UsageError(`export: --${o} goes with --as judge or generation`);
  // Named outputs are checked before the workspace is opened (opening pins a legacy workspace's splits).
  const force = flag(args, 'force');
  let target: PreferenceDataTarget | undefined;
  if (out !== undefined) {
    // Named on the command line: written wherever it is, unless a link planted on its way leads elsewhere.
    allowNamedOutput(resolve(io.cwd, out));
    target = { file: resolve(io.cwd, out), force };
  } else if (outDir !== undefined) {
    for (const s of preferenceSplits(split)) allowNamedOutput(join(resolve(io.cwd, outDir), `${s}.jsonl`));
    target = { dir: resolve(io.cwd, outDir), force };
  }
  const { ws, users } = await openForRun(args, io, 'export');
  const persona = flag(args, 'persona');
  const data = await preparePreferenceData(ws, { users, persona, ...(split ? { split } : {}) }, io.cwd);
  for (const n of data.notes) io.stderr(`note: export: ${n}\n`);
  if (!target) {
    for (const s of data.splits) for (const line of data.lines[s]) io.stdout(JSON.stringify(line) + '\n');
    return 0;
  }
  const rel = (p: string) => relative(io.cwd, p) || p;
  for (const f of await writePreferenceData(ws, data, target))
    io.stdout(`Wrote ${f.records} pair(s)${f.split ? ` (${f.split})` : ''} to ${rel(f.path)}\n`);
  return 0;
}
