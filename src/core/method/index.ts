// The door of src/core/method: what the CLI and the extension may use of it.

export { copiedRuns, copiedRunText, copiesNote, type CopiedRun, pairSources } from './copied-runs';
export { DEFAULT_PROMPTS, type PromptName } from './default-prompts';
export { exportGenerationPrompt, exportJudgePrompt } from './export';
export {
  DEFAULT_FIT_OPTIONS,
  type FitKnobs,
  type FitProgress,
  fitProgressText,
  type FitPrompts,
  selectionCallBound,
} from './fit';
export { planFitRequests } from './fit-plan';
export { isFatal, judgePair, orderFailed, type PairVerdict } from './judge';
export { pairVerdictText } from './verdict-text';
export { judgeMessages, judgeSystem, personalizableMessages } from './messages';
export {
  demosOf,
  isMethod,
  isRewardMethod,
  isRubricMethod,
  type Method,
  METHODS,
  MethodUnavailable,
  needsPersona,
  profileFor,
} from './methods';
export {
  checkPersonaUser,
  findPersonaFile,
  loadPersona,
  longPersonaNote,
  parsePersona,
  type PersonaModel,
  personaStem,
  readPersonaText,
  readUserPersonaFile,
  savePersona,
} from './persona-file';
export { type Prompt, promptHash, PromptStore } from './prompt-store';
export { DEFAULT_RUBRIC_CONTEXT, readRubric, type RubricAnswer, rubricSums, type RubricSums } from './rubric';
export type { RubricCriterion, RubricRecord } from './rubric-record';
export type { RewardRecord } from './reward-record';
export { MAX_SAMPLES, SAMPLING_TEMPERATURE } from './samples';
export { JUDGMENT_SCHEMA, PERSONALIZABLE_SCHEMA } from './schemas';
