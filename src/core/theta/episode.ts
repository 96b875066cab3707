// One episode of the Θ search: a Θ and a user. The persona is synthesized with Θ from the user's
// first stage, then the judge, given that persona, judges each of the user's scoring pairs in both
// orders. The score is the accuracy over the order-samples; the feedback for reflection is the
// persona and the misjudged orders, with the judge's reasoning and the user's real choice.
//
// The judge sees the persona and nothing else of the user: the first stage's demonstrations are the
// same whatever Θ is, so they would add the same evidence to both sides of every comparison and
// only dilute what Θ changes.

import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import { judgePair, isFatal, pairFailed, type PairVerdict } from '../method/judge';
import { judgeSystem } from '../method/messages';
import { personaOfAnswer } from '../method/fit';
import { chatWhole } from '../method/whole-answer';
import { UserError } from '../user-error';
import { synthesisRequest, type FirstStage } from '../method/first-stage';

export interface EpisodeOptions {
  temperature: number;
  seed: number;
  signal?: AbortSignal;
}

export interface Episode {
  userId: string;
  persona: string;
  verdicts: PairVerdict[];
  /** Correct order-samples. */
  correct: number;
  samples: number;
}

/** The number of calls an episode makes: one persona, two orders per pair. */
export function episodeCalls(pairs: number): number {
  return 1 + 2 * pairs;
}

export async function runEpisode(
  model: ChatModel,
  theta: string,
  stage: FirstStage,
  pairs: readonly Pair[],
  judgeInstructions: string,
  opts: EpisodeOptions,
): Promise<Episode> {
  let persona: string;
  try {
    // The fit's own reading and rule: a cut answer is asked again with room once, then a failed call.
    persona = personaOfAnswer(
      await chatWhole(model, synthesisRequest(stage, theta, 'theta persona synthesis'), opts.signal),
    ).persona;
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    throw incomplete(`the persona-synthesis call for user "${stage.userId}" failed (${(err as Error).message})`);
  }
  // An empty persona is a poor Θ's result, not a failure: the judge then knows nothing about the user.
  const system = judgeSystem(judgeInstructions, persona ? { persona } : {});
  const call = { temperature: opts.temperature, seed: opts.seed, ...(opts.signal ? { signal: opts.signal } : {}) };
  const verdicts = await Promise.all(pairs.map((p) => judgePair(model, system, p, call)));
  const failed = verdicts.find(pairFailed);
  if (failed)
    throw incomplete(
      `a judge call for pair ${failed.pairId} of user "${stage.userId}" failed ` +
        `(${failed.orders.find((o) => o.error)?.error ?? 'no answer'})`,
    );
  let correct = 0;
  for (const v of verdicts) for (const o of v.orders) if (o.correct) correct++;
  return { userId: stage.userId, persona, verdicts, correct, samples: 2 * verdicts.length };
}

/** A failed call is no answer: the search stops rather than score it, and a re-run retries it (the rest is cached). */
export function incomplete(what: string): UserError {
  return new UserError(
    `${what}; the Θ search stopped: run the same command again to retry (the answers so far are cached)`,
  );
}
