// --reward-model, --reward-base-url and --reward-endpoint, read once for every command that evaluates a
// `reward-model` method (eval, bench run); the workspace's `synthesizeme.reward.*` settings are the fallback.
// Which server, which key and which errors are the engine's (core/llm/reward-config.ts): this only gathers.

import { intOption, stringOption, type CommandIO, type OptionSpec, type ParsedArgs } from './command';
import { CLI_REWARD_NAMES, type Llm, openRewardModel, type RewardModel } from '../core/llm';
import { isRewardMethod } from '../core/method';
import type { WorkspaceSettings } from '../core/workspace';
import { sideClientOptions } from './side-client-options';

export const rewardOptionSpec: OptionSpec = {
  'reward-model': { type: 'string' },
  'reward-base-url': { type: 'string' },
  'reward-endpoint': { type: 'string' },
};

export const rewardOptionHelp = `  --reward-model NAME        reward-model, reward-model+persona: the reward model served by vLLM's pooling
                             runner that scores each response (default synthesizeme.reward.model;
                             docs/reward-model.md)
  --reward-base-url URL      its server (default synthesizeme.reward.baseUrl, else the chat model's
                             --base-url when that is OpenAI-compatible); the API key is the chat model's
  --reward-endpoint E        classify (default) or pooling: vLLM's route that scores`;

type Settings = Pick<WorkspaceSettings, 'rewardModel' | 'rewardBaseUrl' | 'rewardEndpoint' | 'apiKeyEnv'>;

/**
 * The reward model of a run that evaluates a reward method, on the chat model's cache and key; undefined when
 * none is asked for (or none named: the engine then says so before any call).
 */
export function openRewardFor(
  args: ParsedArgs,
  io: CommandIO,
  settings: Settings,
  chat: Llm,
  run: { methods: readonly string[]; cacheDir: string },
): RewardModel | undefined {
  if (!run.methods.some(isRewardMethod)) return undefined;
  const model = stringOption(args, 'reward-model') ?? settings.rewardModel;
  const baseUrl = stringOption(args, 'reward-base-url') ?? settings.rewardBaseUrl;
  const endpoint = stringOption(args, 'reward-endpoint') ?? settings.rewardEndpoint;
  const timeout = stringOption(args, 'timeout') !== undefined ? intOption(args, 'timeout', 300, 1) : undefined;
  return openRewardModel(
    {
      ...(model !== undefined ? { model } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    },
    chat.config,
    CLI_REWARD_NAMES,
    sideClientOptions(args, io, settings, run),
  );
}
