// The eval job's part of the `reward-model` methods (issue 24): what their run header records, and their figures.
// A pointwise scorer has no order to be consistent across, so its consistency is not a figure (NaN, shown "n/a");
// the mean score margin over pairs is, with a seeded bootstrap interval (users, then pairs, as the accuracy's).
// Accuracy and its interval stay evaluate.ts's: both orders of a pointwise verdict carry the same outcome, so the
// interval's design effect makes the pair its unit (statistics.ts), and no observation counts twice.
import type { RewardModel } from '../llm/reward-client';
import type { RunEstimate } from '../llm/estimate';
import type { ChatMessage } from '../llm/types';
import type { PairVerdict } from '../method/judge';
import { isRewardMethod, type Method } from '../method/methods';
import { rewardMessages } from '../method/reward';
import { UserError } from '../user-error';
import type { Pair } from '../data/pair';
import type { PersonaModel } from '../method/persona-file';
import { bootstrapInterval } from './statistics';
import { hierarchicalBootstrap } from './hierarchical-bootstrap';
import type { Figures } from './run-file';

/** What names the reward model in the run's header: another model or endpoint is another run. */
export function rewardHeaderParts(rm: RewardModel) {
  // A scorer samples nothing: temperature 0, whatever the chat model's is, so changing it leaves the run current.
  return {
    provider: 'openai',
    model: rm.model,
    baseUrl: rm.baseUrl,
    temperature: 0,
    reward: { endpoint: rm.endpoint },
  };
}

/** The mean margin over the scored pairs, with a 95% interval: over pairs for one user, users then pairs for several. */
export function marginOf(verdicts: readonly PairVerdict[], seed: number): Figures['margin'] {
  const scored = verdicts.filter((v) => v.orders[0].reward !== undefined);
  if (!scored.length) return undefined;
  const margins = scored.map((v) => v.orders[0].reward!.margin);
  const mean = margins.reduce((a, b) => a + b, 0) / margins.length;
  const byUser = new Map<string, number[]>();
  for (const [i, v] of scored.entries()) byUser.set(v.userId, [...(byUser.get(v.userId) ?? []), margins[i]!]);
  const opts = { iterations: 2000, seed, level: 0.95 };
  const ci95: [number, number] =
    byUser.size < 2
      ? bootstrapInterval(margins, opts)
      : hierarchicalBootstrap(
          [...byUser.values()].map((m) => ({
            numerators: Float64Array.from(m),
            denominators: new Float64Array(m.length).fill(1),
          })),
          opts,
        );
  return { mean, ci95 };
}

/** How many pointwise verdicts scored both responses alike: counted wrong, and reported apart. */
export function tiesOf(verdicts: readonly PairVerdict[]): number {
  return verdicts.filter((v) => v.orders[0].pointwise && v.orders[0].noDecision === 'tie').length;
}

/** A reward method without a reward model to score with is bad input, said before any call. */
export function checkRewardInputs(methods: readonly string[], reward: RewardModel | undefined): void {
  const asked = methods.filter(isRewardMethod);
  if (asked.length && !reward)
    throw new UserError(
      `${asked.join(', ')}: no reward model to score with: name the reward model served by vLLM ` +
        '(--reward-model NAME, and --reward-base-url URL when it has its own server; in VS Code the settings ' +
        'synthesizeme.reward.model and synthesizeme.reward.baseUrl; docs/reward-model.md)',
      2,
    );
}

/** The conversations the reward methods will score, two per pair (for the estimate of the dry run). */
export function rewardConversations(
  users: readonly { target: readonly Pair[]; persona?: PersonaModel }[],
  methods: readonly Method[],
): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  for (const method of methods.filter(isRewardMethod))
    for (const u of users) {
      const persona = method === 'reward-model+persona' ? u.persona?.persona : undefined;
      if (method === 'reward-model+persona' && persona === undefined) continue;
      for (const pair of u.target)
        out.push(rewardMessages(pair, 'chosen', persona), rewardMessages(pair, 'rejected', persona));
    }
  return out;
}

/** The chat model's estimate with the reward model's calls added (a score is prompt tokens only, and free). */
export async function withRewardEstimate(
  chat: RunEstimate,
  reward: RewardModel | undefined,
  conversations: readonly ChatMessage[][],
): Promise<RunEstimate> {
  if (!reward || !conversations.length) return chat;
  const r = await reward.estimate(conversations);
  return {
    calls: chat.calls + r.calls,
    cachedCalls: chat.cachedCalls + r.cachedCalls,
    promptTokens: chat.promptTokens + r.promptTokens,
    completionTokens: chat.completionTokens,
    costUsd: chat.costUsd,
  };
}
