// synthesizeme export: a persona model as a judge prompt or a generation prompt.

import { dirname, resolve } from 'node:path';
import { flag, stringOption, type Command } from '../command';
import { exportGenerationPrompt, exportJudgePrompt } from '../../core/method/export';
import { loadPersona } from '../../core/method/persona-file';
import { PromptStore } from '../../core/method/prompt-store';
import { loadWorkspace } from '../../core/data/load-workspace';
import { readWorkspaceSettings } from '../../core/workspace/settings';
import { workspaceLayout } from '../../core/workspace/layout';
import { UsageError } from '../usage-error';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a persona model as a judge prompt (chat messages) or a generation prompt',
  help: `Usage: synthesizeme export <persona file> --as judge|generation [--workspace DIR]

--as judge        JSON chat messages: the system prompt (instructions, persona, demonstrations)
                  and a user message with {{conversation}}, {{response_a}}, {{response_b}}
--as generation   a system prompt that tells an assistant about the user
--workspace DIR   where the demo pairs and prompts live (default: the persona folder's parent)

Example:
  synthesizeme export examples/workspace/personas/ada.persona.yaml --as judge > ada-judge.json`,
  options: { as: { type: 'string' }, workspace: { type: 'string' } },

  async run(args, io) {
    const file = args.positionals[0];
    const as = stringOption(args, 'as');
    if (!file) throw new UsageError('export: give a persona file (see synthesizeme export --help)');
    if (as !== 'judge' && as !== 'generation') throw new UsageError('export: --as judge or --as generation');
    const model = await loadPersona(resolve(io.cwd, file), file).catch((err: Error) => {
      throw new UsageError(err.message);
    });
    if (as === 'generation') {
      io.stdout(exportGenerationPrompt(model) + '\n');
      return 0;
    }
    const root = resolve(io.cwd, stringOption(args, 'workspace') ?? dirname(dirname(resolve(io.cwd, file))));
    const layout = workspaceLayout(root, await readWorkspaceSettings(root, flag(args, 'trust-workspace')));
    const judge = await new PromptStore(layout.promptDir).get('judge');
    const index = await loadWorkspace([root], { cwd: io.cwd });
    io.stdout(JSON.stringify(exportJudgePrompt(model, judge.text, index.user(model.userId)?.pairs ?? []), null, 2) + '\n');
    return 0;
  },
};
