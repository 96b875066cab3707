// Estimate cost of a run: the calls, tokens (and dollars when the model has a price) that
// evaluating a method on the test split would take, counting cached answers apart. Nothing is called.

import * as vscode from 'vscode';
import { type ChatRequest, type RunEstimate } from '../../core/llm';
import { type Method } from '../../core/method';
import type { Ctx } from '../ctx';
import { readPersonaOf, runInputs } from './run-inputs';

export async function estimateCommand(ctx: Ctx, arg: unknown): Promise<RunEstimate | undefined> {
  const [{ METHODS, isMethod }, { judgeSystem, judgeMessages }, { JUDGMENT_SCHEMA }, { pairsBySplit }] =
    await Promise.all([
      import('../../core/method/methods'),
      import('../../core/method/messages'),
      import('../../core/method/schemas'),
      import('../../core/workspace/open-workspace'),
    ]);
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
  const judge = await inputs.prompts.get('judge');
  const requests: ChatRequest[] = [];
  for (const u of inputs.index.users()) {
    const persona = method.startsWith('persona') ? await readPersonaOf(folder, u.id) : undefined;
    // The persona's length is what matters for the estimate; demos are left out (a lower bound).
    const system = judgeSystem(judge.text, persona ? { persona: persona.model.persona } : {});
    for (const p of pairsBySplit(u).test)
      for (const o of ['AB', 'BA'] as const)
        requests.push({
          messages: judgeMessages(system, p, o),
          schema: JUDGMENT_SCHEMA,
          temperature: inputs.temperature,
          seed: inputs.seed,
        });
  }
  const est = await inputs.llm.estimate(requests, { defaultCompletionTokens: 150 });
  const cost = est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ' (no price known for this model)';
  const message = `SynthesizeMe: evaluating ${method} on test with ${inputs.llm.model}: about ${est.calls} call(s) (${est.cachedCalls} more answered from the cache), ${est.promptTokens} prompt + ${est.completionTokens} completion tokens${cost}.`;
  ctx.log.info('estimate', message);
  void vscode.window.showInformationMessage(message);
  return est;
}
