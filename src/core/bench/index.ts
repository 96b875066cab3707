// The door of src/core/bench: what the CLI and the extension may use of it. Each job is one engine API
// in Θ's shape (prepare, estimate, run with hooks, a result): bench prepare (prepareBenchData ...), bench
// run (prepareBench ...), bench scaling (prepareScaling ...) and classify (prepareClassify ...).

export {
  type BenchEstimate,
  type BenchHooks,
  type BenchInputs,
  type BenchJobInputs,
  type BenchOutcome,
  type BenchPlan,
  estimateBench,
  prepareBench,
  runBench,
} from './bench-job';
export { benchDir, benchReportFile } from './bench-output';
export { type Classification } from './classify';
export {
  classifyMarkdown,
  type ClassifyOutcome,
  type ClassifyPlan,
  estimateClassify,
  labelText,
  prepareClassify,
  runClassify,
} from './classify-job';
export { modelSlug } from './fit-store';
export { preparePipeline, type StepModel } from './prepare';
export {
  type BenchDataEstimate,
  type BenchDataInputs,
  type BenchDataOutcome,
  type BenchDataPlan,
  DEFAULT_AGREEMENT,
  estimateBenchData,
  prepareBenchData,
  rawInputFiles,
  runBenchData,
} from './prepare-job';
export { type RawInput, readRawInput } from './raw-input';
export { benchRunMarkdown, type BenchRunResult, fittable } from './run';
export { type ScalingResult, scalingChart, scalingSvg } from './scaling';
export { estimateScaling, prepareScaling, runScaling, type ScalingOutcome } from './scaling-job';
