// Select Provider and Model's "Enter a server address...": what the user typed, checked and written the way
// the engine writes a base URL (one normalizer, so the setting names one server as the cache and the pool do).
// Pure (no `vscode`): unit-tested.

import { normalizeBaseUrl } from '../core/llm';

export type ServerAddresses = { urls: string[] } | { error: string };

const EXAMPLE = 'http://127.0.0.1:11434 or https://api.openai.com/v1';

/**
 * One address, or several separated by commas or spaces (servers that serve the same model share the load):
 * each an http or https URL with a host, normalized by the engine's normalizer; duplicates count once.
 */
export function parseServerAddresses(text: string): ServerAddresses {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) return { error: `Enter the server's address, like ${EXAMPLE}` };
  const urls: string[] = [];
  for (const p of parts) {
    // The scheme is asked for: `host:11434` would parse as the scheme `host:`, and the protocol is a choice.
    if (!/^https?:\/\//i.test(p)) return { error: `${p}: an address starts with http:// or https://, like ${EXAMPLE}` };
    let url: URL;
    try {
      url = new URL(p);
    } catch {
      return { error: `${p} is not a URL, like ${EXAMPLE}` };
    }
    if (!url.hostname) return { error: `${p} names no host, like ${EXAMPLE}` };
    if (url.search || url.hash) return { error: `${p}: a server address has no ?query or #fragment` };
    const normal = normalizeBaseUrl(p);
    if (!urls.includes(normal)) urls.push(normal);
  }
  return { urls };
}

/** The input box's validation: the problem, or undefined when the text is a valid address list. */
export function serverAddressProblem(text: string): string | undefined {
  const r = parseServerAddresses(text);
  return 'error' in r ? r.error : undefined;
}
