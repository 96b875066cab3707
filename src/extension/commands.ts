// The command table, bound to its implementations (one file per command under commands/).

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import type { Ctx } from './ctx';
import { benchPrepareCommand } from './commands/bench-prepare';
import { benchRunCommand } from './commands/bench-run';
import { benchScalingCommand } from './commands/bench-scaling';
import { classifyCommand } from './commands/classify';
import { estimateCommand } from './commands/estimate';
import { exportReportCommand } from './commands/export-report';
import { evaluateCommand } from './commands/evaluate';
import { fitAllCommand, fitUserCommand } from './commands/fit';
import { judgeCommand } from './commands/judge';
import { selectModelCommand, setApiKeyCommand } from './commands/model';
import { comparePersonaVersionsCommand, openPersonaCommand } from './commands/persona-files';
import { revalidateCommand } from './commands/revalidate';
import { revalidatePromptCommand } from './commands/revalidate-prompt';
import { optimizeThetaCommand } from './commands/optimize-theta';
import { showVerdicts } from './views/verdicts-panel';
import { openPairCommand } from './views/pair-panel';
import { openTranscriptCommand } from './views/transcript-panel';
import { compareRunsCommand } from './views/compare-grid-panel';
import { showHistoryCommand } from './views/history-panel';
import { collectPreferences } from './commands/collect';

export function registerCommands(ctx: Ctx): void {
  ctx.command(CommandIds.showLog, () => ctx.log.channel.show());
  ctx.command(CommandIds.inspectWorkspace, async () => {
    const folders = ctx.folders.all();
    if (!folders.length) await ctx.folders.choose(undefined, '');
    const totals = { users: 0, pairs: 0, problems: 0, files: 0 };
    for (const f of folders) {
      await f.files.reload();
      const index = await f.files.get();
      const prefix = folders.length > 1 ? `${f.name}/` : '';
      for (const p of index.problems())
        ctx.log.warn('inspect', `${prefix}${p.file}:${p.line}:${p.column}: ${p.message}`);
      totals.users += index.users().length;
      totals.pairs += index.pairCount();
      totals.problems += index.problems().length;
      totals.files += index.fileNames().length;
    }
    const where = folders.length > 1 ? ` across ${folders.length} folders` : '';
    void vscode.window.showInformationMessage(
      `SynthesizeMe: ${totals.users} users, ${totals.pairs} pairs, ${totals.problems} problems in ${totals.files} files${where}.`,
    );
    return { users: totals.users, pairs: totals.pairs, problems: totals.problems };
  });
  ctx.command(CommandIds.refreshUsers, () => Promise.all(ctx.folders.all().map((f) => f.files.reload())));
  ctx.command(CommandIds.fitUser, (arg) => fitUserCommand(ctx, arg));
  ctx.command(CommandIds.fitAll, (arg) => fitAllCommand(ctx, arg));
  ctx.command(CommandIds.evaluate, (arg) => evaluateCommand(ctx, arg));
  ctx.command(CommandIds.judgePair, (arg) => judgeCommand(ctx, arg, 'plain'));
  ctx.command(CommandIds.judgeWithPersona, (arg) => judgeCommand(ctx, arg, 'persona'));
  ctx.command(CommandIds.revalidatePersona, (arg) => revalidateCommand(ctx, arg));
  ctx.command(CommandIds.revalidatePrompt, (arg) => revalidatePromptCommand(ctx, arg));
  ctx.command(CommandIds.optimizeTheta, (arg) => optimizeThetaCommand(ctx, arg));
  ctx.command(CommandIds.comparePersonaVersions, (arg) => comparePersonaVersionsCommand(ctx, arg));
  ctx.command(CommandIds.openPersona, (arg) => openPersonaCommand(ctx, arg));
  ctx.command(CommandIds.showVerdicts, (arg) => showVerdicts(ctx, arg));
  ctx.command(CommandIds.openPair, (arg) => openPairCommand(ctx, arg));
  ctx.command(CommandIds.openTranscript, (arg) => openTranscriptCommand(ctx, arg));
  ctx.command(CommandIds.compareRuns, (arg) => compareRunsCommand(ctx, arg));
  ctx.command(CommandIds.exportReport, (arg) => exportReportCommand(ctx, arg));
  ctx.command(CommandIds.showHistory, (arg) => showHistoryCommand(ctx, arg));
  ctx.command(CommandIds.collectPreferences, (arg) => collectPreferences(ctx, arg));
  ctx.command(CommandIds.selectModel, (arg) => selectModelCommand(ctx, arg));
  ctx.command(CommandIds.setApiKey, (arg) => setApiKeyCommand(ctx, arg));
  ctx.command(CommandIds.estimateCost, (arg) => estimateCommand(ctx, arg));
  ctx.command(CommandIds.benchPrepare, (arg) => benchPrepareCommand(ctx, arg));
  ctx.command(CommandIds.classifyPairs, (arg) => classifyCommand(ctx, arg));
  ctx.command(CommandIds.benchRun, (arg) => benchRunCommand(ctx, arg));
  ctx.command(CommandIds.benchScaling, (arg) => benchScalingCommand(ctx, arg));
  ctx.command(CommandIds.cancelRun, () => {
    const n = ctx.runs.cancelAll();
    void vscode.window.showInformationMessage(
      n ? `SynthesizeMe: cancelling ${n} run(s).` : 'SynthesizeMe: no run in progress.',
    );
    return n;
  });
}
