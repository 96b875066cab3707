// What a rubric verdict keeps of the model's answer (issue 24, the `rubric` methods): the weighted criteria, each
// reply's 1-10 scores in the order shown, and the two weighted sums that decided. Types only, so that judge.ts (the
// verdict) and rubric.ts (the call) can both name them without importing each other.

export interface RubricCriterion {
  name: string;
  /** Non-negative; the sums divide by the weights' total, so only their ratios matter. */
  weight: number;
}

export interface RubricRecord {
  criteria: RubricCriterion[];
  /** Per criterion, in the order of `criteria`: the reply shown as A, and the one shown as B. */
  scores: { A: number[]; B: number[] };
  /**
   * The weighted means of A's and of B's scores (rubricSums). With `--samples k`, the mean of the readable samples'
   * sums (which decided), while criteria and scores are one sample's; each sample's sums are in the verdict's samples.
   */
  sums: [number, number];
}

/** Why an order has no preference although the model answered: equal sums, or an answer that is no rubric. */
export type NoDecision = 'tie' | 'unreadable';
