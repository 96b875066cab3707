// What a reward-model verdict keeps (issue 24, the `reward-model` methods): the two scores the served reward model
// gave and their margin. Types only, so that judge.ts (the verdict) and reward.ts (the scoring) can both name them.

export interface RewardRecord {
  /** The reward model's score of the chosen response, and of the rejected one (raw logits where the server gives them). */
  chosen: number;
  rejected: number;
  /** chosen - rejected: positive when the reward model agrees with the user. */
  margin: number;
  /** The response cache's keys of the two scoring calls (their transcripts). */
  calls?: { chosen: string; rejected: string };
}
