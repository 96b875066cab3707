// The door of src/core/collect: what the CLI and the extension may use of it. A session is planned
// (planCollect: the file, the sources and models, the settings, the estimate), then run (runCollect) with
// whoever answers as an `Asker`.

export { checkAppendable } from './append-pair';
export { collectLogPath } from './collect-log';
export { DEFAULT_SYSTEM, type GenerationProgress, generationText, type ResponseSource } from './generate';
export { pairKey } from './item-key';
export {
  COLLECT_TEMPERATURE,
  type CollectEstimate,
  type CollectPlan,
  type CollectPlanInputs,
  type CollectSources,
  planCollect,
  targetFile,
} from './plan';
export { type CollectOutcome, type CollectProgress, type CollectRunHooks, runCollect } from './run-session';
export {
  type Answer,
  type Asker,
  collect,
  type CollectCounts,
  type CollectSummary,
  type Item,
  type Pick,
  type Shown,
} from './session';
export { collectStatus, type CollectStatus, judgedCollectStatus } from './status';
