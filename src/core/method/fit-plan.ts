// The requests a fit may make, for estimates before a run (CLI --dry-run, the extension before
// fitting every user). The first bootstrap pass is exact (its prompts are known); the rest is an
// upper bound: every candidate scored on every validation pair in both stages, with a persona
// and reasonings of typical length. Pruning and the stop score usually need far fewer.

import type { ChatRequest } from '../llm/types';
import type { Pair } from '../data/pair';
import { BOOTSTRAP_SCHEMA, JUDGMENT_SCHEMA, PERSONA_SCHEMA } from './schemas';
import { judgeMessages, judgeSystem, personaSynthesisMessages } from './messages';
import { candidateBound, presentationOrder, type Example, type FitOptions, type FitPrompts } from './fit';

// Lengths assumed for text that only a call can write (a persona, a demonstration's reasoning).
export const TYPICAL_REASONING = 'x'.repeat(600);
export const TYPICAL_PERSONA = 'x'.repeat(1200);

/** Demonstrations of typical length standing in for the ones a bootstrap would write. */
export function typicalExamples(context: readonly Pair[], seed: number): Example[] {
  return context.map((pair) => ({
    pair,
    demo: {
      pairId: pair.pairId,
      order: presentationOrder(pair, seed),
      preference: 'A' as const,
      reasoning: TYPICAL_REASONING,
    },
  }));
}

/** The bootstrap calls on the context pairs, each in its presentation order: as the fit sends them. */
export function bootstrapRequests(
  system: string,
  context: readonly Pair[],
  temperature: number,
  seed: number,
  purpose: 'bootstrap' | 'bootstrap-persona' = 'bootstrap',
): ChatRequest[] {
  return context.map((p) => ({
    messages: judgeMessages(system, p, presentationOrder(p, seed)),
    schema: BOOTSTRAP_SCHEMA,
    temperature,
    seed,
    purpose,
  }));
}

/**
 * The most calls of each phase of one user's fit, in FIT_PHASES order: both bootstraps exactly, the persona
 * once, each selection every candidate on every validation pair (the count planFitRequests plans).
 */
export function fitPhaseBounds(
  contextSize: number,
  validationSize: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
): number[] {
  const selection = (withEmpty: boolean) => candidateBound(contextSize, knobs, withEmpty) * validationSize;
  return [contextSize, selection(false), 1, contextSize, selection(true)];
}

export function planFitRequests(
  splits: readonly { context: readonly Pair[]; validation: readonly Pair[] }[],
  prompts: FitPrompts,
  opts: { temperature: number; seed: number } & Pick<FitOptions, 'k' | 'labeledDemos'>,
): ChatRequest[] {
  const { temperature, seed } = opts;
  const requests: ChatRequest[] = [];
  const boot = judgeSystem(prompts.bootstrap.text, {}, 'bootstrap');
  const bootWithPersona = judgeSystem(prompts.bootstrap.text, { persona: TYPICAL_PERSONA }, 'bootstrap');
  for (const s of splits) {
    requests.push(...bootstrapRequests(boot, s.context, temperature, seed));
    const demos = typicalExamples(s.context, seed);
    const selection = judgeSystem(prompts.judge.text, { persona: TYPICAL_PERSONA, demos });
    // Every candidate of both stages (the second has the zero-demo one too), in the order of the fit's phases (a
    // batch run's stages: batch-run.ts estimateStages).
    const first = candidateBound(s.context.length, opts, false);
    const candidates = first + candidateBound(s.context.length, opts, true);
    const selections = (from: number, to: number, purpose: string) => {
      for (let c = from; c < to; c++)
        for (const p of s.validation)
          requests.push({
            messages: judgeMessages(selection, p, 'AB'),
            schema: JUDGMENT_SCHEMA,
            temperature,
            seed,
            sample: c,
            purpose,
          });
    };
    selections(0, first, 'select');
    requests.push({
      messages: personaSynthesisMessages(prompts.personaSynthesis.text, demos),
      schema: PERSONA_SCHEMA,
      temperature,
      seed,
      purpose: 'persona synthesis',
    });
    requests.push(...bootstrapRequests(bootWithPersona, s.context, temperature, seed, 'bootstrap-persona'));
    selections(first, candidates, 'select-persona');
  }
  return requests;
}
