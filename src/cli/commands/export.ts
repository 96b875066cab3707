// synthesizeme export: a persona model as a judge prompt or a generation prompt.

import { dirname, resolve } from 'node:path';
import { flag, stringOption, type Command } from '../command';
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
import { readWorkspaceSettings, workspaceLayout } from '../../core/workspace';
import { checkNamedFolder, chooseFileToRead } from '../../core/write-guard';
import { UserError } from '../../core/user-error';
import { UsageError } from '../usage-error';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a persona model as a judge prompt (chat messages) or a generation prompt',
  help: `Usage: synthesizeme export <persona file> --as judge|generation [--workspace DIR] [--persona-only]

--as judge        JSON chat messages: the system prompt (instructions, persona, demonstrations)
                  and a user message with {{conversation}}, {{response_a}}, {{response_b}}
--as generation   a system prompt that tells an assistant about the user: the persona, then the
                  demonstrations (each past choice with the preferred reply, the other one and,
                  for a verified demonstration, why)
--persona-only    --as generation without the demonstrations
--workspace DIR   where the demo pairs and prompts live (default: the persona folder's parent)

Example:
  synthesizeme export examples/workspace/personas/ada.persona.yaml --as judge > ada-judge.json`,
  options: { as: { type: 'string' }, workspace: { type: 'string' }, 'persona-only': { type: 'boolean' } },

  async run(args, io) {
    const file = args.positionals[0];
    const as = stringOption(args, 'as');
    if (!file) throw new UsageError('export: give a persona file (see synthesizeme export --help)');
    if (as !== 'judge' && as !== 'generation') throw new UsageError('export: --as judge or --as generation');
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
