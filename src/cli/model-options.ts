// The options every command that calls a model shares (CLI.md), and turning them, the
// workspace's settings and the environment into one Llm.

import { flag, intOption, listOption, stringOption, type OptionSpec, type ParsedArgs, type CommandIO } from './command';
import {
  type BatchFiles,
  createLlm,
  isServerUrl,
  type Llm,
  type LlmConfig,
  resolveLlmConfig,
  VSCODE_LM_ONLY,
} from '../core/llm';
import { UserError } from '../core/user-error';
import { parseNumCtx, parseOutputCaps, parseThink, type WorkspaceSettings } from '../core/workspace';
import { resolve } from 'node:path';
import { allowWritesUnder, checkNamedFolder } from '../core/write-guard';
import { UsageError } from './usage-error';

export const modelOptionSpec: OptionSpec = {
  provider: { type: 'string' },
  'base-url': { type: 'string', multiple: true },
  model: { type: 'string' },
  concurrency: { type: 'string' },
  'no-cache': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  timeout: { type: 'string' },
  'api-key-env': { type: 'string' },
  temperature: { type: 'string' },
  'num-ctx': { type: 'string' },
  'keep-alive': { type: 'string' },
  think: { type: 'string' },
  'output-caps': { type: 'string' },
  'dry-run': { type: 'boolean' },
};

export const modelOptionHelp = `Model options (defaults: the workspace's .vscode/settings.json, then OLLAMA_HOST /
OPENAI_BASE_URL / OPENAI_API_KEY, then Ollama on 127.0.0.1:11434):
  --provider ollama|openai   which protocol the server speaks
  --base-url URL             server address; repeat or separate with commas for several servers
  --model NAME               model name (default llama3.1:8b on Ollama, gpt-4o-mini on OpenAI)
  --concurrency N            calls in flight per server (default 4 for Ollama, 8 for OpenAI)
  --temperature T            sampling temperature (default 0)
  --timeout SECONDS          time allowed for the first byte of an answer (default 300)
  --num-ctx N|auto           Ollama's context size for every call (default auto: sized once per run from
                             the largest prompt, at least 8192, at most the model's trained length)
  --think off|on|low|high    let a reasoning model think before it answers (default off: Ollama's think,
                             vLLM/llama-server's enable_thinking, OpenAI's reasoning_effort)
  --output-caps K=N,...      answer caps in tokens by kind of call (defaults: judge=512, bootstrap=768,
                             persona=1024, memory=768, personalizable=256, rubric=1024; 4x when the model
                             thinks)
  --keep-alive DURATION      how long Ollama keeps the model loaded after a call (e.g. 30m, 2h, 600;
                             Ollama's default is 5m: a slow phase between calls unloads it)
  --api-key-env NAME         environment variable holding the API key (default OPENAI_API_KEY)
  --no-cache                 neither read nor write the response cache
  --cache-dir DIR            response cache folder (default <workspace>/.synthesizeme/cache)
  --dry-run                  estimate calls and tokens, call nothing`;

export function temperatureFrom(args: ParsedArgs, settings: WorkspaceSettings): number {
  const s = stringOption(args, 'temperature');
  if (s === undefined) return settings.temperature ?? 0;
  const t = Number(s);
  if (!Number.isFinite(t) || t < 0 || t > 2)
    throw new UsageError(`--temperature: expected a number between 0 and 2, got "${s}"`);
  return t;
}

/** What a batch run (--batch: batch-options.ts) changes of the model: every call goes to its folder's files. */
export interface BatchModel {
  files: BatchFiles;
}

export function openLlm(
  args: ParsedArgs,
  io: CommandIO,
  settings: WorkspaceSettings,
  cacheDir: string,
  batch?: BatchModel,
): Llm {
  const provider = stringOption(args, 'provider') ?? settings.provider;
  // Chosen in the extension (a workspace's settings say so) or typed: either way, not a provider the CLI can reach.
  if (provider === 'vscode-lm') throw new UserError(VSCODE_LM_ONLY);
  if (provider !== undefined && provider !== 'ollama' && provider !== 'openai')
    throw new UsageError(`--provider: expected ollama or openai, got "${provider}"`);
  const urls = listOption(args, 'base-url');
  for (const u of urls
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!isServerUrl(u)) throw new UsageError(`--base-url: "${u}" is not an http or https server address`);
  }
  const concurrency =
    stringOption(args, 'concurrency') !== undefined ? intOption(args, 'concurrency', 4, 1) : settings.concurrency;
  const timeout = stringOption(args, 'timeout') !== undefined ? intOption(args, 'timeout', 300, 1) : undefined;
  const baseUrls = urls.length ? urls : settings.baseUrls;
  const apiKeyEnv = stringOption(args, 'api-key-env') ?? settings.apiKeyEnv;
  const model = stringOption(args, 'model') ?? settings.model;
  const numCtxRaw = stringOption(args, 'num-ctx');
  const numCtx = numCtxRaw !== undefined ? parseNumCtx(numCtxRaw) : settings.numCtx;
  if (numCtxRaw !== undefined && numCtx === undefined)
    throw new UsageError(`--num-ctx: expected auto or a whole number of tokens (256 or more), got "${numCtxRaw}"`);
  const thinkRaw = stringOption(args, 'think');
  const think = thinkRaw !== undefined ? parseThink(thinkRaw) : settings.think;
  if (thinkRaw !== undefined && think === undefined)
    throw new UsageError(`--think: expected off, on, low or high, got "${thinkRaw}"`);
  const capsRaw = stringOption(args, 'output-caps');
  const outputCaps = capsRaw !== undefined ? parseOutputCaps(capsRaw) : settings.outputCaps;
  if (capsRaw !== undefined && outputCaps === undefined)
    throw new UsageError(
      '--output-caps: expected KIND=TOKENS,... with KIND one of judge, bootstrap, persona, memory, personalizable ' +
        `and TOKENS 16 or more, got "${capsRaw}"`,
    );
  const keepAliveRaw = stringOption(args, 'keep-alive');
  // Ollama's own forms: a duration with a unit ("30m", "1h30m") or seconds; -1 keeps the model loaded.
  if (keepAliveRaw !== undefined && !/^(-1|\d+|(\d+(\.\d+)?(ms|s|m|h))+)$/.test(keepAliveRaw.trim()))
    throw new UsageError(`--keep-alive: expected a duration such as 30m, 2h or 600 (seconds), got "${keepAliveRaw}"`);
  const keepAlive =
    keepAliveRaw === undefined
      ? undefined
      : /^-?\d+$/.test(keepAliveRaw.trim())
        ? Number(keepAliveRaw)
        : keepAliveRaw.trim();
  const resolved = resolveLlmConfig(
    {
      ...(provider ? { provider } : {}),
      ...(baseUrls ? { baseUrls } : {}),
      ...(model ? { model } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(timeout ? { timeoutSeconds: timeout } : {}),
      ...(apiKeyEnv ? { apiKeyEnv } : {}),
      ...(numCtx !== undefined ? { numCtx } : {}),
      ...(keepAlive !== undefined ? { keepAlive } : {}),
      ...(think !== undefined ? { think } : {}),
      ...(outputCaps ? { outputCaps } : {}),
    },
    io.env,
  );
  // A batch line is an OpenAI-compatible request whatever server the settings name (vllm run-batch, a Batch API).
  const config: LlmConfig = batch ? { ...resolved.config, provider: 'openai' } : resolved.config;
  return openLlmFor(config, args, io, settings, cacheDir, resolved.apiKey, batch);
}

/** The API key the options name (--api-key-env, the settings, OPENAI_API_KEY) for this config's provider. */
export function keyFor(
  config: LlmConfig,
  args: ParsedArgs,
  io: CommandIO,
  settings: WorkspaceSettings,
): string | undefined {
  const apiKeyEnv = stringOption(args, 'api-key-env') ?? settings.apiKeyEnv;
  const input = { provider: config.provider, baseUrls: config.baseUrls, ...(apiKeyEnv ? { apiKeyEnv } : {}) };
  return resolveLlmConfig(input, io.env).apiKey;
}

/**
 * A model of a config the engine decided (collect's second model: the first one's with another name), with
 * the key, cache and log these options give.
 */
export function openLlmFor(
  config: LlmConfig,
  args: ParsedArgs,
  io: CommandIO,
  settings: WorkspaceSettings,
  cacheDir: string,
  apiKey = keyFor(config, args, io, settings),
  batch?: BatchModel,
): Llm {
  const debug = flag(args, 'debug');
  const chosenCache = stringOption(args, 'cache-dir');
  // A cache folder named on the command line may be anywhere, but not reached through a link planted in a
  // data set (ws/o -> /elsewhere, --cache-dir ws/o/cache): the named-path rule (docs/security.md).
  if (chosenCache) {
    checkNamedFolder(resolve(io.cwd, chosenCache), 'the cache folder');
    allowWritesUnder(resolve(io.cwd, chosenCache));
  }
  return createLlm(config, {
    ...(flag(args, 'no-cache')
      ? { noCache: true }
      : { cacheDir: chosenCache ? resolve(io.cwd, chosenCache) : cacheDir }),
    ...(apiKey ? { apiKey } : {}),
    ...(batch ? { batchClient: (baseUrl: string, model: string) => batch.files.client(baseUrl, model) } : {}),
    log: (level, message) => {
      // Errors reach the user once, as the command's message; warnings (fallbacks, endpoints taken out) as they happen.
      if (debug || level === 'warn') io.stderr(`[${level}] ${message}\n`);
    },
  });
}
