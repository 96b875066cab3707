// A user's first stage: what the fit does before it synthesizes the persona (bootstrap on the
// context pairs, candidate demonstration sets, selection on validation). None of it depends on Θ,
// so a Θ search runs it once per user and then only re-synthesizes personas.
//
// It is the fit's own code, not a copy: fitUser runs with a model that stops it at its
// persona-synthesis call and keeps that request. So the first stage is exactly the fit's (same
// prompts, same pruning, same seeds), its calls are the fit's calls (a user fitted with the same
// settings answers them from the cache), and the kept request is the one the fit would send with
// the current Θ: swapping Θ in its system message gives the request for any other Θ.

import type { ChatModel, ChatRequest } from '../../llm/types';
import type { Pair } from '../../data/pair';
import { fitUser, type FitOptions, type FitPrompts } from '../fit';
import { personaSynthesisMessages } from '../messages';
import { PERSONA_SCHEMA } from '../schemas';

export interface FirstStage {
  userId: string;
  /** The fit's persona-synthesis request (with the Θ it ran with): the chosen examples, with their true preferences. */
  request: ChatRequest;
}

/** Thrown at the persona-synthesis call: `stopsRun`, so the fit lets it through unchanged. */
class SynthesisReached extends Error {
  readonly stopsRun = true;
  constructor() {
    super('first stage done');
  }
}

export async function firstStage(model: ChatModel, userId: string, context: readonly Pair[], validation: readonly Pair[], prompts: FitPrompts, opts: FitOptions): Promise<FirstStage> {
  let kept: ChatRequest | undefined;
  const stop = new SynthesisReached();
  const stopping: ChatModel = {
    provider: model.provider,
    model: model.model,
    chat: (request, signal) => {
      if (request.schema?.name === PERSONA_SCHEMA.name) {
        kept = request;
        return Promise.reject(stop);
      }
      return model.chat(request, signal);
    },
  };
  try {
    await fitUser(stopping, userId, context, validation, prompts, opts);
  } catch (err) {
    if (err !== stop) throw err;
  }
  // fitUser always synthesizes a persona after its first selection; without one the fit has changed shape.
  if (!kept) throw new Error(`the fit of user "${userId}" made no persona-synthesis call`);
  return { userId, request: kept };
}

/** The persona-synthesis request for another Θ: the same examples and settings, Θ's text in the system message. */
export function synthesisRequest(stage: FirstStage, theta: string): ChatRequest {
  // personaSynthesisMessages builds the system message (Θ, then the output format, which stays in code).
  const [system] = personaSynthesisMessages(theta, []);
  return { ...stage.request, messages: [system!, ...stage.request.messages.slice(1)], purpose: 'theta persona synthesis' };
}
