// The door of src/core/theta: what the CLI and the extension may use of it.

export { addWorkedExamples } from './add-examples';
export { LIGHT_BUDGET, MEDIUM_BUDGET, parseBudget } from './budget';
export {
  estimateTheta,
  likelyThetaCalls,
  prepareTheta,
  runTheta,
  type ThetaOutcome,
  type ThetaPrepared,
  ThetaTooFewUsersError,
} from './optimize';
export { MIN_HELD_OUT_FOR_ADOPTION } from './plan';
export { accuracyOn } from './pool';
export { MERGE_EVERY, type ThetaSearchResult } from './search';
