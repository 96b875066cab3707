// The options a command's second client takes from the chat model's (the reward model, the embedder): the same
// cache folder (--cache-dir, else the workspace's; --no-cache), the same key's variable, and its log on stderr
// (warnings always, the rest with --debug). One reading, for every such client.

import { resolve } from 'node:path';
import { flag, stringOption, type CommandIO, type ParsedArgs } from './command';

export interface SideClientOptions {
  noCache?: boolean;
  cacheDir?: string;
  apiKeyEnv?: string;
  env: NodeJS.ProcessEnv;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export function sideClientOptions(
  args: ParsedArgs,
  io: CommandIO,
  settings: { apiKeyEnv?: string },
  run: { cacheDir: string },
): SideClientOptions {
  const chosenCache = stringOption(args, 'cache-dir');
  const apiKeyEnv = stringOption(args, 'api-key-env') ?? settings.apiKeyEnv;
  const debug = flag(args, 'debug');
  return {
    // The chat model's cache folder (openLlm checked a named one already).
    ...(flag(args, 'no-cache')
      ? { noCache: true }
      : { cacheDir: chosenCache ? resolve(io.cwd, chosenCache) : run.cacheDir }),
    ...(apiKeyEnv ? { apiKeyEnv } : {}),
    env: io.env,
    log: (level, message) => {
      if (debug || level === 'warn') io.stderr(`[${level}] ${message}\n`);
    },
  };
}
