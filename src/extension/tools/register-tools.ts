// The language-model tools offered to agent mode (issue 26 item 3). Each is a thin face over a command's engine
// path; here they are registered and guarded alike: an expected error (an unknown user, a line with no pair)
// becomes a text result the chat model can read and act on, and a cancelled run is a cancellation.

import * as vscode from 'vscode';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import { wasCancelled } from '../run-progress';
import { evaluateTool } from './evaluate-tool';
import { judgePairTool } from './judge-pair-tool';
import { personaTool } from './persona-tool';
import { revalidateTool } from './revalidate-tool';
import { type ToolName, ToolNames } from './tool-names';
import { textResult } from './tool-input';

export type LanguageModelTools = Record<ToolName, vscode.LanguageModelTool<unknown>>;

/** Registers every tool; returns them as registered (the integration tests call prepareInvocation directly). */
export function registerTools(ctx: Ctx): LanguageModelTools | undefined {
  // A host without the language-model API (a fork of VS Code) still runs everything else.
  if (typeof vscode.lm?.registerTool !== 'function') return undefined;
  const tools: LanguageModelTools = {
    [ToolNames.judgePair]: guarded(ctx, ToolNames.judgePair, judgePairTool(ctx)),
    [ToolNames.evaluateUser]: guarded(ctx, ToolNames.evaluateUser, evaluateTool(ctx)),
    [ToolNames.revalidate]: guarded(ctx, ToolNames.revalidate, revalidateTool(ctx)),
    [ToolNames.showPersona]: guarded(ctx, ToolNames.showPersona, personaTool(ctx)),
  };
  for (const [name, tool] of Object.entries(tools)) ctx.register(vscode.lm.registerTool(name, tool));
  return tools;
}

function guarded(ctx: Ctx, name: ToolName, tool: vscode.LanguageModelTool<unknown>): vscode.LanguageModelTool<unknown> {
  return {
    // Bad input found before the confirmation is said by invoke, as text: no confirmation for a call that fails.
    prepareInvocation: (options, token) => {
      try {
        return tool.prepareInvocation?.(options, token);
      } catch (err) {
        if (err instanceof UserError) return undefined;
        throw err;
      }
    },
    invoke: async (options, token) => {
      try {
        return await tool.invoke(options, token);
      } catch (err) {
        if (wasCancelled(err) || token.isCancellationRequested) {
          ctx.log.info(name, 'cancelled');
          throw new vscode.CancellationError();
        }
        if (!(err instanceof UserError)) throw err;
        ctx.log.warn(name, err.message);
        return textResult(`Error: ${err.message}`);
      }
    },
  };
}
