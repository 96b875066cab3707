// The door of src/core/eval: what the CLI and the extension may use of it.

export { compareEvaluations, compareRuns, compareVerdicts, type Comparison, type VerdictComparison } from './compare';
export {
  buildComparisonGrid,
  type GridCell,
  type GridComparison,
  gridCsv,
  gridMarkdown,
  type GridRow,
  gridRunName,
  type GridRunInfo,
  type GridSummary,
  searchGrid,
} from './comparison-grid';
export { cellHover, orderLetter, shortReasoning } from './grid-cell-text';
export { type EvalResult, evaluate, type EvalUser, figures } from './evaluate';
export {
  type EvalJobInputs,
  type EvalJobResult,
  type EvalPersona,
  type EvalPrepared,
  type EvalRunHooks,
  type EvalSplit,
  estimateEval,
  prepareEval,
  runEval,
} from './eval-job';
export { LENS_SPLIT, type LensVerdictInputs, lensRunsDir, recordLensVerdict } from './lens-run';
export { pairJudgements } from './pair-history';
export {
  estimateRevalidation,
  isRevalidatePrompt,
  prepareRevalidation,
  REVALIDATE_PROMPTS,
  type RevalidatePrompt,
  type RevalidateResult,
  type RevalidateTarget,
  type RevalidationEstimate,
  type RevalidationPlan,
  runRevalidation,
} from './revalidate';
export { accuracyCell, evalResultText, pointwiseText, revalidateResultText } from './result-text';
export { readRun } from './run-file';
export { type EmbeddedFrom, type NearestUser, nearestUsersOf, type PoolUser, similarPool } from './similar-eval';
export { type DifferenceVerdict, differenceVerdict } from './statistics';
export { listRuns, type RunListing } from './runs-list';
export { modelDigestOf } from './runs-model-digest';
export { accuracyHeadline, comparisonPowerNote, rateText, SMALL_SAMPLE_PAIRS, smallSampleNote } from './sample-size';
export {
  NO_TRANSCRIPT_RECORDED,
  promptTokensText,
  readTranscript,
  type Transcript,
  type TranscriptOrder,
  verdictTranscript,
} from './transcript';
export {
  type HistorySeries,
  historySeries,
  historyWarnings,
  personaVersions,
  promptVersions,
  type VersionEntry,
  type VersionRun,
} from './version-history';
