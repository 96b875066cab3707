// The one normalizer of a model server's base URL: the pool's server list, the cache's key and the
// Ollama host read from the environment all write a URL the same way, so one server is never two.

/**
 * Canonical form of a base URL: trimmed, as the URL parser writes it (lower-case scheme and host), no trailing
 * slash. With `dropCredentials`, without user:password (a cache key must not hold a secret). Text that is not
 * a URL is only trimmed, of spaces and trailing slashes.
 */
export function normalizeBaseUrl(url: string, opts: { dropCredentials?: boolean } = {}): string {
  const trimmed = url.trim();
  try {
    const u = new URL(trimmed);
    if (opts.dropCredentials) {
      u.username = '';
      u.password = '';
    }
    return u.toString().replace(/\/+$/, '');
  } catch {
    return trimmed.replace(/\/+$/, '');
  }
}
