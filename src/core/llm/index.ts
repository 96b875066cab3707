// The door of src/core/llm: what the CLI and the extension may use of it.

export { normalizeBaseUrl } from './base-url';
export { BatchFiles, type BatchLineFailure, type BatchStage } from './batch-files';
export {
  BATCH_MODES,
  BATCH_PRICE_FACTOR,
  type BatchMode,
  type BatchOutcome,
  estimateStages,
  runInBatches,
  type StageEstimate,
} from './batch-run';
export { ResponseCache } from './cache';
export { type ContextPlan, createLlm, type Llm, type LlmConfig, VSCODE_LM_ONLY } from './client';
export { isServerUrl, resolveLlmConfig } from './config-from-env';
export { CountingModel } from './counting-model';
export { createEmbedder, type Embedder, openEmbedder } from './embeddings';
export { adviseText, cliAdvice, isLlmError, type LlmAdvice, LlmError, type LlmErrorKind, redactUrl } from './errors';
export { clearlyOverContext, estimateTextTokens, type RunEstimate } from './estimate';
export {
  type CallTimeouts,
  type EndpointCheck,
  type EndpointClient,
  type ModelInfo,
  type ProviderCall,
  type ProviderReply,
} from './provider';
export { createRewardModel, type RewardConfig, type RewardModel, type RewardOptions } from './reward-client';
export {
  CLI_REWARD_NAMES,
  openRewardModel,
  type RewardChoice,
  rewardConfigOf,
  SETTINGS_REWARD_NAMES,
} from './reward-config';
export { isRewardEndpoint, REWARD_ENDPOINTS, type RewardEndpoint } from './reward-wire';
export { type ChatMessage, type ChatRequest, type Usage, VSCODE_LM_ADDRESS } from './types';
export { usageSentence, usageSince, type UsageSnapshot } from './usage';
