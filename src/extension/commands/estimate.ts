// Estimate cost of a run: the calls, tokens (and dollars when the model has a price) that evaluating
// a method on the test split would take, counting cached answers apart; the engine's eval plan, the
// same as `synthesizeme eval --dry-run`. Nothing is called.

import * as vscode from 'vscode';
import { type RunEstimate } from '../../core/llm';
import { isMethod, type Method, METHODS } from '../../core/method';
import { estimateEval, prepareEval } from '../../core/eval';
import type { Ctx } from '../ctx';
import { evalInputs, rewardFor } from './evaluate';
import { runInputs } from './run-inputs';

export async function estimateCommand(ctx: Ctx, arg: unknown): Promise<RunEstimate | undefined> {
  const given = (arg as { method?: unknown } | undefined)?.method;
  let method: Method | undefined = typeof given === 'string' && isMethod(given) ? given : undefined;
  if (!method) {
    const pick = await vscode.window.showQuickPick([...METHODS], {
      title: 'Estimate the cost of evaluating which method (test split, all users)?',
    });
    if (!pick) return undefined;
    method = pick as Method;
  }
  const folder = await ctx.folders.choose(arg, 'Estimate the cost: which folder?');
  if (!folder) return undefined;
  const inputs = await runInputs(folder, false);
  const reward = await rewardFor(folder, method);
  let est: RunEstimate;
  try {
    const all = inputs.index.users();
    const prepared = await prepareEval(evalInputs(inputs, all, method, 'test', undefined, reward), { dryRun: true });
    est = await estimateEval(prepared);
  } finally {
    await reward?.dispose();
  }
  const cost = est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ' (no price known for this model)';
  const message =
    `SynthesizeMe: evaluating ${method} on test with ${inputs.llm.model}: about ${est.calls} call(s) ` +
    `(${est.cachedCalls} more answered from the cache), ${est.promptTokens} prompt + ${est.completionTokens} completion tokens${cost}.`;
  ctx.log.info('estimate', message);
  void vscode.window.showInformationMessage(message);
  return est;
}
