// The door of src/core/bench: what the CLI and the extension may use of it.

export { BatchChatModel, BatchStateStore } from './batch';
export { type Classification, classifyPairs } from './classify';
export { modelSlug } from './fit-store';
export { preparePipeline, type StepModel } from './prepare';
export { type RawInput, readRawInput } from './raw-input';
export { prepareReportMarkdown } from './report';
export { type BenchJobOptions, benchRun, benchRunMarkdown, type BenchRunResult, fittable } from './run';
export { scaling, type ScalingResult, scalingSvg } from './scaling';
