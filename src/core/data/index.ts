// The door of src/core/data: what the CLI and the extension may use of it.

export { includeMatcher, isIncludedFile } from './glob';
export {
  IMPORT_SOURCES,
  ImportError,
  importFile,
  type ImportProblem,
  type ImportSource,
  writeNativeJsonl,
} from './importers';
export {
  type ImportInputs,
  type ImportOutcome,
  type ImportPlan,
  prepareImport,
  runImport,
} from './importers/import-job';
export {
  DEFAULT_INCLUDE,
  findPreferencePaths,
  isPreferenceFile,
  linkOutside,
  loadWorkspace,
  PathNotFoundError,
} from './load-workspace';
export { type Pair, type Problem, type Turn } from './pair';
export { formatOf } from './file-text';
export { type FileParse } from './parse-result';
export { failedFile, parseText, readPreferenceFile, sniffJsonlIsPreferences } from './read-file';
export { DEFAULT_SPLIT_OPTIONS, type SplitOptions } from './splits';
export { PreferenceIndex, type UserEntry } from './workspace-index';
