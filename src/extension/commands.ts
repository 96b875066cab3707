// The command table, bound to its implementations (one file per command under commands/).

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import type { Ctx } from './ctx';
import { benchPrepareCommand } from './commands/bench-prepare';
import { benchRunCommand } from './commands/bench-run';
import { benchScalingCommand } from './commands/bench-scaling';
import { classifyCommand } from './commands/classify';
import { estimateCommand } from './commands/estimate';
import { evaluateCommand } from './commands/evaluate';
import { fitAllCommand, fitUserCommand } from './commands/fit';
import { judgeCommand } from './commands/judge';
import { selectModelCommand, setApiKeyCommand } from './commands/model';
import { comparePersonaVersionsCommand, openPersonaCommand } from './commands/persona-files';
import { revalidateCommand } from './commands/revalidate';
import { showPersonaInspector } from './views/persona-inspector';
import { showVerdicts } from './views/verdicts-panel';

export function registerCommands(ctx: Ctx): void {
  ctx.command(CommandIds.showLog, () => ctx.log.channel.show());
  ctx.command(CommandIds.inspectWorkspace, async () => {
    await ctx.files.reload();
    const index = await ctx.files.get();
    const users = index.users();
    const problems = index.problems();
    const pairs = index.pairCount();
    for (const p of problems) ctx.log.warn('inspect', `${p.file}:${p.line}:${p.column}: ${p.message}`);
    void vscode.window.showInformationMessage(`SynthesizeMe: ${users.length} users, ${pairs} pairs, ${problems.length} problems in ${index.fileNames().length} files.`);
    return { users: users.length, pairs, problems: problems.length };
  });
  ctx.command(CommandIds.refreshUsers, () => ctx.files.reload());
  ctx.command(CommandIds.fitUser, (arg) => fitUserCommand(ctx, arg));
  ctx.command(CommandIds.fitAll, () => fitAllCommand(ctx));
  ctx.command(CommandIds.evaluate, (arg) => evaluateCommand(ctx, arg));
  ctx.command(CommandIds.judgePair, (arg) => judgeCommand(ctx, arg, 'plain'));
  ctx.command(CommandIds.judgeWithPersona, (arg) => judgeCommand(ctx, arg, 'persona'));
  ctx.command(CommandIds.revalidatePersona, (arg) => revalidateCommand(ctx, arg));
  ctx.command(CommandIds.comparePersonaVersions, (arg) => comparePersonaVersionsCommand(ctx, arg));
  ctx.command(CommandIds.openPersona, (arg) => openPersonaCommand(ctx, arg));
  ctx.command(CommandIds.inspectPersona, (arg) => showPersonaInspector(ctx, arg));
  ctx.command(CommandIds.showVerdicts, (arg) => showVerdicts(ctx, arg));
  ctx.command(CommandIds.selectModel, (arg) => selectModelCommand(ctx, arg));
  ctx.command(CommandIds.setApiKey, (arg) => setApiKeyCommand(ctx, arg));
  ctx.command(CommandIds.estimateCost, (arg) => estimateCommand(ctx, arg));
  ctx.command(CommandIds.benchPrepare, (arg) => benchPrepareCommand(ctx, arg));
  ctx.command(CommandIds.classifyPairs, (arg) => classifyCommand(ctx, arg));
  ctx.command(CommandIds.benchRun, (arg) => benchRunCommand(ctx, arg));
  ctx.command(CommandIds.benchScaling, (arg) => benchScalingCommand(ctx, arg));
  ctx.command(CommandIds.cancelRun, () => {
    const n = ctx.runs.cancelAll();
    void vscode.window.showInformationMessage(n ? `SynthesizeMe: cancelling ${n} run(s).` : 'SynthesizeMe: no run in progress.');
    return n;
  });
}
