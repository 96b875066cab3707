// --reward-model, --reward-base-url and --reward-endpoint, read once for every command that evaluates a
// `reward-model` method (eval, bench run); the workspace's `synthesizeme.reward.*` settings are the fallback.
// Which server, which key and which errors are the engine's (core/llm/reward-config.ts): this only gathers.

import { resolve } from 'node:path';
import { flag, intOption, stringOption, type CommandIO, type OptionSpec, type ParsedArgs } from './command';
import { CLI_REWARD_NAMES, type Llm, openRewardModel, type RewardModel } from '../core/llm';
import { isRewardMethod } from '../core/method';
import type { WorkspaceSettings } from '../core/workspace';

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
  const chosenCache = stringOption(args, 'cache-dir');
  const apiKeyEnv = stringOption(args, 'api-key-env') ?? settings.apiKeyEnv;
  const debug = flag(args, 'debug');
  return openRewardModel(
    {
      ...(model !== undefined ? { model } : {}),
      ...(baseUrl !== undefined ? { baseUrl } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    },
    chat.config,
    CLI_REWARD_NAMES,
    {
      // The chat model's cache folder (openLlm checked a named one already).
      ...(flag(args, 'no-cache')
        ? { noCache: true }
        : { cacheDir: chosenCache ? resolve(io.cwd, chosenCache) : run.cacheDir }),
      ...(apiKeyEnv ? { apiKeyEnv } : {}),
      env: io.env,
      log: (level, message) => {
        if (debug || level === 'warn') io.stderr(`[${level}] ${message}\n`);
      },
    },
  );
}
