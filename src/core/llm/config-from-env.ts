// Where the model comes from when nobody said: explicit settings (CLI options, the workspace
// settings file, already merged by the caller) win, then the environment, then a local Ollama.
// OPENAI_API_KEY alone never switches to the OpenAI API: a key left in a shell profile must not
// turn a local experiment into a paid one. OPENAI_BASE_URL (or --provider openai) does.
import { LlmError } from './errors';
import type { LlmConfig } from './client';
import { OLLAMA_DEFAULT_HOST } from './ollama-provider';
import { OPENAI_DEFAULT_BASE_URL } from './openai-provider';
import { type ProviderKind, VSCODE_LM_ADDRESS } from './types';
import { normalizeBaseUrl } from './base-url';

export const DEFAULT_MODELS: Readonly<Record<ProviderKind, string>> = {
  // The model of the paper's main table.
  ollama: 'llama3.1:8b',
  openai: 'gpt-4o-mini',
  // None: which of VS Code's models (and whose quota) a run spends is the user's choice, made in Select Model.
  'vscode-lm': '',
};

export interface LlmConfigInput extends Partial<Omit<LlmConfig, 'baseUrls'>> {
  /** Base URLs: an array, or one string with commas. */
  baseUrls?: string[] | string;
  /** Name of the environment variable that holds the API key. Default OPENAI_API_KEY. */
  apiKeyEnv?: string;
}

export interface ResolvedLlmConfig {
  config: LlmConfig;
  /** The key for an OpenAI-compatible server, if one was found. Hand it to createLlm; never print it. */
  apiKey?: string;
  /** Where each setting came from, for `--debug` and the extension's status: never the key itself. */
  sources: { provider: string; baseUrls: string; model: string; apiKey?: string };
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveLlmConfig(input: LlmConfigInput = {}, env: Env = process.env): ResolvedLlmConfig {
  const explicitUrls = splitUrls(input.baseUrls);
  let provider: ProviderKind;
  let providerSource: string;
  if (input.provider) {
    provider = input.provider;
    providerSource = 'option';
  } else if (env['OPENAI_BASE_URL']?.trim()) {
    provider = 'openai';
    providerSource = 'OPENAI_BASE_URL';
  } else {
    provider = 'ollama';
    providerSource = env['OLLAMA_HOST']?.trim() ? 'OLLAMA_HOST' : 'default';
  }

  let baseUrls = explicitUrls;
  let urlSource = 'option';
  // VS Code's models have no server: base URLs set for another provider stay for it, and are not used here.
  if (provider === 'vscode-lm') {
    baseUrls = [VSCODE_LM_ADDRESS];
    urlSource = 'vscode-lm';
  } else if (baseUrls.length === 0) {
    if (provider === 'ollama') {
      const host = env['OLLAMA_HOST']?.trim();
      baseUrls = host ? splitUrls(host).map(ollamaHostToUrl) : [OLLAMA_DEFAULT_HOST];
      urlSource = host ? 'OLLAMA_HOST' : 'default';
    } else {
      const url = env['OPENAI_BASE_URL']?.trim();
      baseUrls = url ? splitUrls(url) : [OPENAI_DEFAULT_BASE_URL];
      urlSource = url ? 'OPENAI_BASE_URL' : 'default';
    }
  } else if (provider === 'ollama') {
    baseUrls = baseUrls.map(ollamaHostToUrl);
  }

  const model = input.model?.trim() || DEFAULT_MODELS[provider];
  const { apiKeyEnv, baseUrls: _urls, ...rest } = input;
  const config: LlmConfig = { ...rest, provider, baseUrls, model };

  const sources: ResolvedLlmConfig['sources'] = {
    provider: providerSource,
    baseUrls: urlSource,
    model: input.model?.trim() ? 'option' : 'default',
  };
  let apiKey: string | undefined;
  if (provider === 'openai') {
    const name = apiKeyEnv?.trim() || 'OPENAI_API_KEY';
    apiKey = env[name]?.trim() || undefined;
    if (apiKeyEnv && !apiKey) {
      throw new LlmError('auth', `The environment variable ${name}`, {
        advice: { kind: 'api-key-env', variable: name },
        afterAdvice: 'is not set or empty.',
      });
    }
    if (apiKey) sources.apiKey = name;
  }
  return { config, apiKey, sources };
}

/**
 * Whether a server address can be used: http or https (a bare `host:port` means http, as OLLAMA_HOST does).
 * Anything else (`file:`, `ftp:`, `javascript:`) is refused where it is given, in one line, rather than
 * failing every call with a stack.
 */
export function isServerUrl(value: string): boolean {
  const v = value.trim();
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function splitUrls(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * OLLAMA_HOST as Ollama itself reads it: `host`, `host:port`, `:port`, or a full URL. The
 * server's bind-all address 0.0.0.0 means "this machine" to a client.
 */
export function ollamaHostToUrl(host: string): string {
  let h = host.trim();
  if (h.startsWith(':')) h = `127.0.0.1${h}`;
  const explicit = /^[a-z][a-z0-9+.-]*:\/\//i.test(h);
  if (!explicit) h = `http://${h}`;
  let url: URL;
  try {
    url = new URL(h);
  } catch {
    throw new LlmError('bad-request', `OLLAMA_HOST / --base-url "${host}" is not a host or URL.`);
  }
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  if (!url.port && !explicit) url.port = '11434';
  return normalizeBaseUrl(url.toString());
}
