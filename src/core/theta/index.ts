// The door of src/core/theta: what the CLI and the extension may use of it.

export { addWorkedExamples } from './add-examples';
export { LIGHT_BUDGET, MEDIUM_BUDGET, parseBudget } from './budget';
export { estimateTheta, prepareTheta, runTheta, type ThetaOutcome, type ThetaPrepared } from './optimize';
export { accuracyOn } from './pool';
export { MERGE_EVERY, type ThetaSearchResult } from './search';
