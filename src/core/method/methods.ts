// The rows of the paper's table: what personal information each method gives the judge.

import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import type { JudgeProfile } from './messages';
import { memoryMessages } from './messages';
import { MEMORY_SCHEMA } from './schemas';
import { answerObject } from './answer-object';
import { chatWhole } from './whole-answer';
import type { PersonaModel } from './persona-file';
import type { Demo } from './render';
import { DEFAULT_RUBRIC_CONTEXT, rubricContext } from './rubric';
import type { SimilarUser } from './similar-users';

export const METHODS = [
  'default',
  'demographics',
  'memory',
  'demos',
  'persona',
  'persona+demos',
  'rubric',
  'rubric+persona',
  'reward-model',
  'reward-model+persona',
] as const;
export type Method = (typeof METHODS)[number];

export function isMethod(s: string): s is Method {
  return (METHODS as readonly string[]).includes(s);
}

export function needsPersona(m: Method): boolean {
  return (
    m === 'demos' || m === 'persona' || m === 'persona+demos' || m === 'rubric+persona' || m === 'reward-model+persona'
  );
}

/** The methods scored response by response by a served reward model (reward.ts), not judged by the chat model. */
export function isRewardMethod(m: string): m is 'reward-model' | 'reward-model+persona' {
  return m === 'reward-model' || m === 'reward-model+persona';
}

/** The methods whose judge writes weighted criteria and scores (rubric.ts) rather than a letter. */
export function isRubricMethod(m: string): m is 'rubric' | 'rubric+persona' {
  return m === 'rubric' || m === 'rubric+persona';
}

export class MethodUnavailable extends Error {
  readonly expected = true;
}

/** Demographics from the user's pairs (the first pair that has them). */
export function demographicsOf(pairs: readonly Pair[]): Record<string, unknown> | undefined {
  return pairs.find((p) => p.demographics && Object.keys(p.demographics).length)?.demographics;
}

/** Resolves a persona file's demo references against the user's pairs. */
export function demosOf(model: PersonaModel, pairs: readonly Pair[]): { pair: Pair; demo: Demo }[] {
  const byId = new Map(pairs.map((p) => [p.pairId, p]));
  return model.demos.map((d) => {
    const pair = byId.get(d.pairId);
    if (!pair)
      throw new MethodUnavailable(
        `persona for "${model.userId}" refers to pair "${d.pairId}", which is not in the workspace`,
      );
    return { pair, demo: { pairId: d.pairId, order: d.order, preference: d.preference, reasoning: d.reasoning } };
  });
}

export async function extractMemory(
  model: ChatModel,
  instructions: string,
  context: readonly Pair[],
  opts: { temperature: number; seed?: number; signal?: AbortSignal },
): Promise<string[]> {
  // The facts become the judge's memory of the user: a cut answer is a failed call, asked again with room once.
  const r = await chatWhole(
    model,
    {
      messages: memoryMessages(instructions, context),
      schema: MEMORY_SCHEMA,
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      purpose: 'memory',
    },
    opts.signal,
  );
  const obj = answerObject(r);
  // A model that ignored the format: one fact per non-empty line.
  if (!obj)
    return r.text
      .split('\n')
      .map((l) => l.replace(/^[-*\d.)\s]+/, '').trim())
      .filter(Boolean);
  return Array.isArray(obj?.facts)
    ? obj.facts.filter((f): f is string => typeof f === 'string' && f.trim() !== '')
    : [];
}

export interface ProfileInputs {
  method: Method;
  userId: string;
  pairs: readonly Pair[];
  context: readonly Pair[];
  persona?: PersonaModel;
  memory?: () => Promise<string[]>;
  /** The rubric methods: how many context pairs the judge reads (DEFAULT_RUBRIC_CONTEXT), shown in this seed's order. */
  rubricContext?: number;
  seed?: number;
  /** `--similar-users m`: the nearest users' personas and demos, read by the methods that read a persona. */
  similar?: readonly SimilarUser[];
}

/** The neighbours join the prompt of a method that reads a persona, the user's own first (similar-users.ts). */
function withSimilar(profile: JudgeProfile, inp: ProfileInputs): JudgeProfile {
  return inp.similar?.length ? { ...profile, similar: [...inp.similar] } : profile;
}

export async function profileFor(inp: ProfileInputs): Promise<JudgeProfile> {
  switch (inp.method) {
    case 'default':
      return {};
    case 'demographics': {
      const d = demographicsOf(inp.pairs);
      if (!d) throw new MethodUnavailable(`user "${inp.userId}" has no demographics`);
      return { demographics: d };
    }
    case 'memory': {
      if (!inp.context.length)
        throw new MethodUnavailable(`user "${inp.userId}" has no context conversations to remember`);
      return { memory: await inp.memory!() };
    }
    case 'demos':
    case 'persona':
    case 'persona+demos': {
      if (!inp.persona) throw new MethodUnavailable(`user "${inp.userId}" has no persona yet: run fit first`);
      const profile: JudgeProfile = {};
      if (inp.method !== 'demos') profile.persona = inp.persona.persona;
      if (inp.method !== 'persona') profile.demos = demosOf(inp.persona, inp.pairs);
      return withSimilar(profile, inp);
    }
    case 'rubric':
    case 'rubric+persona':
      return rubricProfile(inp);
    // The reward model reads the persona in its system message (reward.ts), nothing else.
    case 'reward-model':
      return {};
    case 'reward-model+persona':
      if (!inp.persona) throw new MethodUnavailable(`user "${inp.userId}" has no persona yet: run fit first`);
      return { persona: inp.persona.persona };
  }
}

/** A rubric judge's profile: the user's context pairs as labelled examples, and for `rubric+persona` the persona. */
function rubricProfile(inp: ProfileInputs): JudgeProfile {
  // Context pairs only: a test pair never reaches the prompt that judges it.
  if (!inp.context.length)
    throw new MethodUnavailable(`user "${inp.userId}" has no context pairs to learn a rubric from`);
  const demos = rubricContext(inp.context, inp.rubricContext ?? DEFAULT_RUBRIC_CONTEXT, inp.seed ?? 0);
  if (inp.method !== 'rubric+persona') return { demos };
  if (!inp.persona) throw new MethodUnavailable(`user "${inp.userId}" has no persona yet: run fit first`);
  return withSimilar({ persona: inp.persona.persona, demos }, inp);
}
