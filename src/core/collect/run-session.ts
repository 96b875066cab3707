// Runs a planned collect session (plan.ts) with whoever answers: the terminal, standard input, a file of
// answers or the VS Code panel, each only an `Asker`. The second model (two models) is opened here and
// closed at the end; the counts go out as progress; the result carries the status after the session and
// whether a re-fit is due, so that both faces offer it by the same rule.

import type { Llm } from '../llm/client';
import type { CollectEvent } from './collect-log';
import type { GenerationProgress, ResponseSource } from './generate';
import type { CollectPlan } from './plan';
import { collect, type Asker, type CollectCounts, type CollectInputs, type CollectSummary } from './session';
import { collectStatus, type CollectStatus } from './status';

export interface CollectProgress {
  event: CollectEvent;
  counts: CollectCounts;
}

export interface CollectRunHooks {
  signal?: AbortSignal;
  onProgress?: (p: CollectProgress) => void;
  onNote?: (message: string) => void;
  /** How far the generation of the next pair has come: tokens so far and tokens a second (generate.ts). */
  onGeneration?: (g: GenerationProgress) => void;
  /** Tests: the journal's retry waits and a hook after each step of a pick. */
  journal?: CollectInputs['journal'];
}

export interface CollectOutcome {
  summary: CollectSummary;
  /** After the session, without judging: the counts, the person's agreement, and whether to re-fit. */
  status: CollectStatus;
  /** A re-fit is due: at least `refitAfter` pairs since the persona's fit. */
  refit: boolean;
  /** Picks kept in the log only (the file could not take them): the run did not finish its work. */
  pendingInLog: boolean;
}

function responseSources(plan: CollectPlan, second: Llm | undefined): [ResponseSource, ResponseSource] {
  const source = (i: 0 | 1): ResponseSource => {
    const s = plan.sources[i];
    return { label: s.label, system: s.system, model: s.model === 'second' && second ? second : plan.inputs.model };
  };
  return [source(0), source(1)];
}

/** The session's inputs from the plan: every setting decided there, the asker and the hooks from the face. */
function sessionInputs(
  plan: CollectPlan,
  asker: Asker,
  second: Llm | undefined,
  hooks: CollectRunHooks,
): CollectInputs {
  return {
    userId: plan.userId,
    file: plan.file,
    fileName: plan.fileName,
    root: plan.root,
    items: plan.inputs.items,
    sources: responseSources(plan, second),
    asker,
    seed: plan.seed,
    temperature: plan.temperature,
    retestRate: asker.scripted ? 0 : plan.retestRate,
    newPairs: plan.newPairs,
    ...(plan.max !== undefined ? { max: plan.max } : {}),
    ...(plan.informative ? { informative: { judge: plan.inputs.model, ...plan.informative } } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onNote ? { onNote: hooks.onNote } : {}),
    ...(hooks.onGeneration ? { onGeneration: hooks.onGeneration } : {}),
    ...(hooks.journal ? { journal: hooks.journal } : {}),
    onEvent: (event, counts) => hooks.onProgress?.({ event, counts }),
    appender: plan.appender,
  };
}

/** Runs the session to its end (the asker ends it, the items run out, or `max` pairs are answered). */
export async function runCollect(
  plan: CollectPlan,
  asker: Asker,
  hooks: CollectRunHooks = {},
): Promise<CollectOutcome> {
  // Ready pairs need no second model: nothing is generated.
  const generates = plan.inputs.items.some((i) => i.kind === 'prompt');
  const second = plan.secondModel && generates ? await plan.inputs.openModel(plan.secondModel) : undefined;
  try {
    const summary = await collect(sessionInputs(plan, asker, second, hooks));
    const status = await collectStatus(plan.logPath, [], plan.inputs.persona, { refitAfter: plan.refitAfter });
    return { summary, status, refit: status.refit, pendingInLog: summary.pending.length > 0 };
  } finally {
    await second?.dispose();
  }
}
