// A user's first stage: what the fit does before it synthesizes the persona (bootstrap on the
// context pairs, candidate demonstration sets, selection on validation). None of it depends on Θ,
// so a Θ search or a Θ re-validation runs it once per user and then only re-synthesizes personas.
//
// It is the fit's own code (fit.ts fitFirstStage), not a copy: same prompts, same pruning, same
// seeds, so its calls are the fit's calls (a user fitted with the same settings answers them from
// the cache), and the persona-synthesis request for the current Θ is the one the fit sends.

import type { ChatModel, ChatRequest } from '../llm/types';
import type { Pair } from '../data/pair';
import { fitFirstStage, personaSynthesisRequest, type Example, type FitOptions, type FitPrompts } from './fit';

export interface FirstStage {
  userId: string;
  /** What the persona is synthesized from: the first selection's winner (or the whole pool), with the true preferences. */
  examples: Example[];
  temperature: number;
  seed: number;
}

export async function firstStage(
  model: ChatModel,
  userId: string,
  context: readonly Pair[],
  validation: readonly Pair[],
  prompts: FitPrompts,
  opts: FitOptions,
): Promise<FirstStage> {
  const { examples } = await fitFirstStage(model, userId, context, validation, prompts, opts);
  return { userId, examples, temperature: opts.temperature, seed: opts.seed };
}

/** The persona-synthesis request for a Θ: the fit's own for this user's examples, so a fitted Θ's answer comes from the cache. */
export function synthesisRequest(stage: FirstStage, theta: string, purpose = 'persona synthesis'): ChatRequest {
  return { ...personaSynthesisRequest(theta, stage.userId, stage.examples, stage), purpose };
}
