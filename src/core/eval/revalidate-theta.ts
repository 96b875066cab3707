// Re-validating the persona-synthesis prompt Θ: each user's persona is written again from their
// first stage (the verified reasonings and the demonstration set chosen on validation), which does
// not depend on Θ. The first stage is the fit's own (fitUser, run up to its persona synthesis), so a
// user who was fitted with the same bootstrap and judge prompts gets it from the cache at no cost.

import type { ChatModel, ChatRequest } from '../llm/types';
import type { Pair } from '../data/pair';
import { presentationOrder, type FitOptions, type FitPrompts } from '../method/fit';
import { firstStage } from '../method/theta/first-stage';
import { personaSynthesisMessages } from '../method/messages';
import { renderPair, type Demo, type Order } from '../method/render';
import { PERSONA_SCHEMA } from '../method/schemas';
import { answerObject } from '../method/answer-object';
import { isFatal } from '../method/judge';
import { UserError } from '../user-error';

export interface FirstStage {
  userId: string;
  /** The demonstrations the persona is synthesized from: the first selection's winner (or every verified reasoning). */
  examples: { pair: Pair; demo: Demo }[];
}

/**
 * A user's first stage, exactly as fitUser makes it (bootstrap on context, candidate sets selected on
 * validation), through the Θ search's own interception of the fit (theta/first-stage.ts: one home for
 * "the fit up to its persona synthesis"). A failed call ends it with the fit's own UserError (run again
 * to resume from the cache). Re-validation also needs the demonstrations, read back from the request.
 */
export async function firstStageOf(model: ChatModel, user: { id: string; pairs: readonly Pair[]; context: readonly Pair[]; validation: readonly Pair[] }, prompts: FitPrompts, opts: FitOptions): Promise<FirstStage> {
  const { request } = await firstStage(model, user.id, user.context, user.validation, prompts, opts);
  const user_ = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const examples = recoverExamples(user_, user.pairs, opts.seed);
  // The examples must be exactly the ones the fit would have sent: the request rebuilt from them is the same.
  const rebuilt = personaSynthesisMessages(prompts.personaSynthesis.text, examples);
  if (JSON.stringify(rebuilt) !== JSON.stringify(request.messages)) throw new Error(`the first stage of user "${user.id}" could not be read back from its persona-synthesis request`);
  return { userId: user.id, examples };
}

/**
 * The demonstrations of a persona-synthesis request, read back from its rendering (render.ts's
 * renderDemo): each example's pair is found among the user's pairs by its rendered text.
 */
function recoverExamples(content: string, pairs: readonly Pair[], seed: number): { pair: Pair; demo: Demo }[] {
  const rendered: { pair: Pair; order: Order; text: string }[] = [];
  for (const pair of pairs) {
    const first = presentationOrder(pair, seed);
    for (const order of [first, first === 'AB' ? 'BA' : 'AB'] as const) rendered.push({ pair, order, text: `${renderPair(pair, order)}\n\n<reasoning>\n` });
  }
  const out: { pair: Pair; demo: Demo }[] = [];
  const opening = /<example number="\d+">\n/g;
  for (let m = opening.exec(content); m; m = opening.exec(content)) {
    const at = m.index + m[0].length;
    const hit = rendered.find((r) => content.startsWith(r.text, at));
    if (!hit) continue;
    const start = at + hit.text.length;
    const end = content.indexOf('\n</reasoning>\n<preference>', start);
    if (end < 0) continue;
    const preference = content.charAt(end + '\n</reasoning>\n<preference>'.length);
    if (preference !== 'A' && preference !== 'B') continue;
    out.push({ pair: hit.pair, demo: { pairId: hit.pair.pairId, order: hit.order, reasoning: content.slice(start, end), preference } });
    opening.lastIndex = end;
  }
  return out;
}

/** The persona-synthesis request for a Θ: the same one fitUser sends, so the fit's answer comes from the cache. */
export function personaRequest(theta: string, stage: FirstStage, opts: { temperature: number; seed: number }): ChatRequest {
  return {
    messages: personaSynthesisMessages(theta, stage.examples),
    schema: PERSONA_SCHEMA,
    temperature: opts.temperature,
    seed: opts.seed,
    purpose: 'persona synthesis',
    affinity: stage.userId,
  };
}

/** A user's persona written with a Θ from their first stage. */
export async function synthesizePersona(model: ChatModel, theta: string, stage: FirstStage, opts: { temperature: number; seed: number; signal?: AbortSignal }): Promise<string> {
  let persona: string;
  try {
    const r = await model.chat(personaRequest(theta, stage, opts), opts.signal);
    const obj = answerObject(r);
    persona = typeof obj?.persona === 'string' ? obj.persona.trim() : r.text.trim();
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted) throw err;
    throw new UserError(`persona synthesis failed for user "${stage.userId}": ${(err as Error).message}`);
  }
  if (!persona) throw new UserError(`persona synthesis for user "${stage.userId}" returned an empty persona`);
  return persona;
}
