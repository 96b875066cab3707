// The door of src/core/workspace: what the CLI and the extension may use of it.

export { checkFitTargets, fitAndSave } from './fit-and-save';
export {
  estimateFit,
  FIT_CONCURRENCY,
  type FitFailure,
  type FitJobInputs,
  type FitJobResult,
  type FitPlan,
  type FitRunHooks,
  type FittedUser,
  likelyFitJobCalls,
  NothingToFitError,
  planFit,
  runFit,
} from './fit-job';
export { type FitStatus, fitStatusText } from './fit-status';
export { personaHistoryDir, workspaceLayout, type WorkspaceLayout } from './layout';
export { openWorkspace, pairsBySplit, readUserPersona, selectUsers, type Workspace } from './open-workspace';
export {
  isPreferenceSplitChoice,
  type PreferenceData,
  type PreferenceDataTarget,
  type PreferenceLine,
  type PreferenceMessage,
  type PreferenceSplitChoice,
  preferenceLine,
  preferenceSplits,
  preparePreferenceData,
  type WrittenPreferenceFile,
  writePreferenceData,
} from './preference-data';
export {
  parseNumCtx,
  parseOutputCaps,
  parseThink,
  readWorkspaceSettings,
  readWorkspaceSettingsWithNotes,
  type WorkspaceSettings,
} from './settings';
export { defaultOf, readSettings, type SettingsRead } from './settings-table';
export { pinLegacySplits, readSplitState, type SplitState } from './split-record';
