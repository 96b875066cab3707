// Which reward model the `reward-model` methods score with (issue 24), decided once for the CLI and the editor
// from what each gives: the CLI's --reward-model / --reward-base-url / --reward-endpoint, else the settings
// `synthesizeme.reward.model` / `.baseUrl` / `.endpoint`. The server defaults to the chat model's, which is right
// for a vLLM that serves both (or a proxy in front of two): a reward model is served by vLLM's pooling runner on
// an OpenAI-compatible server, never by Ollama, so an Ollama chat server is no default and is said so.
import { UserError } from '../user-error';
import { isServerUrl, resolveLlmConfig } from './config-from-env';
import type { LlmConfig } from './client';
import { createRewardModel, type RewardConfig, type RewardModel, type RewardOptions } from './reward-client';
import { isRewardEndpoint } from './reward-wire';

/** What the user chose, each field unset when not given. */
export interface RewardChoice {
  model?: string;
  baseUrl?: string;
  endpoint?: string;
  timeoutSeconds?: number;
}

/** The names a face gives its three choices, for its messages (`--reward-base-url`, `synthesizeme.reward.baseUrl`). */
export interface RewardChoiceNames {
  model: string;
  baseUrl: string;
  endpoint: string;
}

export const CLI_REWARD_NAMES: RewardChoiceNames = {
  model: '--reward-model',
  baseUrl: '--reward-base-url',
  endpoint: '--reward-endpoint',
};

export const SETTINGS_REWARD_NAMES: RewardChoiceNames = {
  model: 'synthesizeme.reward.model',
  baseUrl: 'synthesizeme.reward.baseUrl',
  endpoint: 'synthesizeme.reward.endpoint',
};

/**
 * The reward model's config, or undefined when none is named (a reward method then stops before any call:
 * checkRewardInputs). Bad input is a UserError naming the face's option.
 */
export function rewardConfigOf(
  choice: RewardChoice,
  chat: Pick<LlmConfig, 'provider' | 'baseUrls'>,
  names: RewardChoiceNames,
): RewardConfig | undefined {
  const model = choice.model?.trim();
  if (!model) return undefined;
  const endpoint = choice.endpoint?.trim() || 'classify';
  if (!isRewardEndpoint(endpoint))
    throw new UserError(`${names.endpoint}: expected classify or pooling, got "${endpoint}"`, 2);
  const given = choice.baseUrl?.trim();
  if (given !== undefined && given !== '' && !isServerUrl(given))
    throw new UserError(`${names.baseUrl}: "${given}" is not an http or https server address`, 2);
  if (!given && chat.provider === 'ollama')
    throw new UserError(
      `the reward model "${model}" needs an OpenAI-compatible (vLLM) server: Ollama serves no /classify or ` +
        `/pooling, so the chat model's Ollama server cannot score. Serve the reward model with vLLM and give its ` +
        `address with ${names.baseUrl} (docs/reward-model.md)`,
      2,
    );
  const baseUrl = given || chat.baseUrls[0];
  if (!baseUrl) throw new UserError(`${names.baseUrl}: give the address of the reward model's vLLM server`, 2);
  return {
    model,
    baseUrl,
    endpoint,
    ...(choice.timeoutSeconds !== undefined ? { timeoutSeconds: choice.timeoutSeconds } : {}),
  };
}

/**
 * The reward model to score with, or undefined when none is named. The API key is the chat model's kind: the
 * same environment variable (`apiKeyEnv`, else OPENAI_API_KEY), or the key the face passes (the editor's stored
 * one), sent to the reward model's server only.
 */
export function openRewardModel(
  choice: RewardChoice,
  chat: Pick<LlmConfig, 'provider' | 'baseUrls'>,
  names: RewardChoiceNames,
  options: Omit<RewardOptions, 'apiKey'> & {
    apiKey?: string;
    apiKeyEnv?: string;
    env?: Record<string, string | undefined>;
  },
): RewardModel | undefined {
  const config = rewardConfigOf(choice, chat, names);
  if (!config) return undefined;
  const { apiKeyEnv, env, apiKey: given, ...rest } = options;
  const apiKey =
    given ??
    resolveLlmConfig({ provider: 'openai', baseUrls: [config.baseUrl], ...(apiKeyEnv ? { apiKeyEnv } : {}) }, env ?? {})
      .apiKey;
  return createRewardModel(config, { ...rest, ...(apiKey ? { apiKey } : {}) });
}
