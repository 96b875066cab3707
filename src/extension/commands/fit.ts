// Fit user / Fit all users: the engine's fitUser on the context split, selection on validation,
// the persona file written with its provenance (the previous version kept in history).

import * as vscode from 'vscode';
import { type UserEntry } from '../../core/data';
import { type FitProgress } from '../../core/method';
import { accuracyHeadline } from '../../core/eval';
import type { Ctx } from '../ctx';
import { folderArg } from '../folders';
import type { RunInputs } from './run-inputs';
import { pickUser, runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { editorErrorText } from '../error-notice';

export interface FitOutcome {
  user: string;
  persona: string;
  validation: { accuracy: number; correct: number; evaluated: number };
}

async function fitOne(
  ctx: Ctx,
  inputs: RunInputs,
  user: UserEntry,
  signal: AbortSignal,
  onProgress?: (message: string) => void,
): Promise<FitOutcome> {
  // The engine's one path: fit, build the persona model with its provenance, keep the previous version.
  const [{ DEFAULT_FIT_OPTIONS, fitProgressText }, { fitAndSave }, { pairsBySplit }] = await Promise.all([
    import('../../core/method/fit'),
    import('../../core/workspace/fit-and-save'),
    import('../../core/workspace/open-workspace'),
  ]);
  if (!pairsBySplit(user).context.length)
    throw new UserError(`user "${user.id}" has no context pairs to learn from (${user.pairs.length} pairs)`);
  const prompts = {
    bootstrap: await inputs.prompts.get('bootstrap'),
    personaSynthesis: await inputs.prompts.get('persona-synthesis'),
    judge: await inputs.prompts.get('judge'),
  };
  const r = await fitAndSave(inputs.llm, inputs.layout, user, prompts, {
    ...DEFAULT_FIT_OPTIONS,
    temperature: inputs.temperature,
    seed: inputs.seed,
    signal,
    onNote: (m: string) => ctx.log.warn('fit', `${user.id}: ${m}`),
    // The run's title already names the user ("fitting bruno"): the message is the phase alone.
    ...(onProgress ? { onProgress: (p: FitProgress) => onProgress(fitProgressText(p)) } : {}),
  });
  const v = r.persona.provenance.validation ?? { accuracy: 0, correct: 0, evaluated: 0 };
  ctx.log.info(
    'fit',
    `${user.id}: persona written to ${inputs.folder.relative(r.path)} (${r.persona.demos.length} demos, validation ${v.correct}/${v.evaluated}, ${r.usage.calls} calls)`,
  );
  return {
    user: user.id,
    persona: r.path,
    validation: { accuracy: v.accuracy, correct: v.correct, evaluated: v.evaluated },
  };
}

export async function fitUserCommand(ctx: Ctx, arg: unknown): Promise<FitOutcome | undefined> {
  const picked = await pickUser(ctx, arg, 'Fit a persona model');
  if (!picked) return undefined;
  const { user } = picked;
  const inputs = await runInputs(picked.folder);
  const out = await ctx.runs.run(`fitting ${user.id}`, (signal, report) =>
    fitOne(ctx, inputs, user, signal, (m) => report(0, 0, m)),
  );
  const figure = accuracyHeadline(out.validation.accuracy, undefined, out.validation.evaluated);
  void vscode.window
    .showInformationMessage(
      `SynthesizeMe: persona for ${user.id} written (validation ${out.validation.correct}/${out.validation.evaluated}: ${figure}).`,
      'Open Persona',
    )
    .then((pick) => {
      if (pick) void vscode.window.showTextDocument(vscode.Uri.file(out.persona));
    });
  return out;
}

/** Every user of every folder, each folder with its own settings and model. */
export async function fitAllCommand(ctx: Ctx, arg?: unknown): Promise<FitOutcome[]> {
  const folders =
    folderArg(arg) !== undefined ? [(await ctx.folders.choose(arg, 'Fit all users'))!] : ctx.folders.all();
  if (!folders.length) await ctx.folders.choose(undefined, 'Fit all users');
  const done: FitOutcome[] = [];
  const failed: string[] = [];
  let total = 0;
  for (const folder of folders) {
    const inputs = await runInputs(folder);
    total += inputs.index.users().length;
    await fitFolder(ctx, inputs, done, failed, folders.length > 1 ? ` of ${folder.name}` : '');
  }
  void vscode.window.showInformationMessage(
    `SynthesizeMe: fitted ${done.length} of ${total} user(s).${failed.length ? ` Not fitted: ${failed.join('; ')}` : ''}`,
  );
  return done;
}

async function fitFolder(ctx: Ctx, inputs: RunInputs, done: FitOutcome[], failed: string[], of: string): Promise<void> {
  const users = inputs.index.users();
  // The cost is shown as the long run starts (and logged): an upper bound, nothing is called for it.
  const [{ planFitRequests }, { DEFAULT_FIT_OPTIONS }, { pairsBySplit }, { isFatal }] = await Promise.all([
    import('../../core/method/fit-plan'),
    import('../../core/method/fit'),
    import('../../core/workspace/open-workspace'),
    import('../../core/method/judge'),
  ]);
  const prompts = {
    bootstrap: await inputs.prompts.get('bootstrap'),
    personaSynthesis: await inputs.prompts.get('persona-synthesis'),
    judge: await inputs.prompts.get('judge'),
  };
  const est = await inputs.llm.estimate(
    planFitRequests(users.map(pairsBySplit), prompts, {
      temperature: inputs.temperature,
      seed: inputs.seed,
      k: DEFAULT_FIT_OPTIONS.k,
    }),
    { defaultCompletionTokens: 200 },
  );
  const estimate = `at most ${est.calls} call(s) (${est.cachedCalls} more from the cache), about ${est.promptTokens + est.completionTokens} tokens${est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ''}`;
  ctx.log.info('fit', `fitting ${users.length} user(s)${of} with ${inputs.llm.model}: ${estimate}`);
  await ctx.runs.run(`fitting all users${of}`, async (signal, report) => {
    // A few users at a time keeps the server busy; the scheduler bounds the calls in flight.
    const queue = [...users];
    let finished = 0;
    report(0, users.length, `${users.length} user(s): ${estimate}`);
    const worker = async () => {
      for (let u = queue.shift(); u; u = queue.shift()) {
        try {
          done.push(await fitOne(ctx, inputs, u, signal));
        } catch (err) {
          if (signal.aborted || isFatal(err)) throw err;
          failed.push(`${u.id}: ${editorErrorText(err)}`);
          ctx.log.warn('fit', `${u.id}: ${(err as Error).message}`);
        }
        report(++finished, users.length, `${finished} of ${users.length} user(s) done (last: ${u.id})`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, users.length) }, worker));
  });
}
