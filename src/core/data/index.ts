// The door of src/core/data: what the CLI and the extension may use of it.

export { IMPORT_SOURCES, ImportError, importFile, type ImportSource, writeNativeJsonl } from './importers';
export { linkOutside, loadWorkspace, PathNotFoundError } from './load-workspace';
export { type Pair, type Problem, type Turn } from './pair';
export { type FileParse } from './parse-result';
export { failedFile, readPreferenceFile, sniffJsonlIsPreferences } from './read-file';
export { DEFAULT_SPLIT_OPTIONS, type SplitOptions } from './splits';
export { type PreferenceIndex, type UserEntry } from './workspace-index';
