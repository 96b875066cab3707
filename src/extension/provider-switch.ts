// Select Model switching the provider: a base URL that is the other provider's default server (Ollama's
// 127.0.0.1:11434 left behind when choosing OpenAI, api.openai.com when choosing Ollama) cannot be meant for
// the new one, and is reset; a server someone chose on purpose is kept. Pure (no `vscode`): unit-tested.

import type { ProviderName } from './config';

/** The server a provider uses when no base URL is set (the engine's defaults, written out to stay import-free). */
const OLLAMA_PORT = '11434';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '0.0.0.0']);

function parse(url: string): URL | undefined {
  const t = url.trim();
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`);
  } catch {
    return undefined;
  }
}

/** Whether a base URL is `provider`'s default server, however it is written (localhost, a trailing slash, no scheme). */
export function isDefaultServerOf(provider: ProviderName, url: string): boolean {
  const u = parse(url);
  if (!u) return false;
  if (provider === 'ollama') return LOCAL_HOSTS.has(u.hostname) && u.port === OLLAMA_PORT && /^\/?$/.test(u.pathname);
  return u.hostname === 'api.openai.com';
}

/** 'reset' when every configured base URL is the other provider's default; 'keep' otherwise (none set included). */
export function baseUrlsOnSwitch(to: ProviderName, configured: readonly string[] | undefined): 'keep' | 'reset' {
  const other: ProviderName = to === 'ollama' ? 'openai' : 'ollama';
  const urls = (configured ?? []).filter((u) => u.trim());
  return urls.length > 0 && urls.every((u) => isDefaultServerOf(other, u)) ? 'reset' : 'keep';
}
