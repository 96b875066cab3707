// What an OpenAI-compatible server can be asked beyond OpenAI's API, and how: vLLM's per-request prefix-cache salt
// and its choice-constrained output. Taken from vLLM's sources and changelogs (docs/vllm.md says the same):
// - vLLM's request models accept unknown fields (pydantic `extra="allow"`): a field a version does not know is
//   logged ("The following fields were present in the request but ignored") and the answer comes back 200, as if
//   it had not been sent. Support cannot be learnt from a refusal, so it is read from the version (`GET /version`,
//   at the server's root, `{"version": "0.11.0"}`), and `/v1/models` tells vLLM by `owned_by: "vllm"`.
// - `cache_salt` (a top-level field of the chat request) since 0.9.0 (vllm-project/vllm#17045, CVE-2025-46570): the
//   salt goes into the hash of the prompt's first block, so only requests with the same salt share cached
//   blocks. An empty salt is refused with a 400.
// - `structured_outputs: {"choice": [...]}` since 0.10.2 (vllm-project/vllm#22772), which deprecated the
//   top-level `guided_choice`; 0.12.0 removed `guided_choice` (vllm-project/vllm#29326), and from then it is
//   ignored like any unknown field: the answer is unconstrained, with no error.
import { createHash } from 'node:crypto';
import { versionAtLeast } from './ollama-provider';

/** What an endpoint takes beyond OpenAI's API. */
export interface ServerFeatures {
  /** The server salts its prefix cache per request with `cache_salt`. */
  cacheSalt: boolean;
  /** The request field that constrains an answer to a choice, when the server has one. */
  choice?: 'structured_outputs' | 'guided_choice';
  /** The server and its version, for the log ("vLLM 0.11.0"). */
  server?: string;
}

/** A server that takes nothing beyond OpenAI's API (OpenAI itself, llama-server, Ollama, anything unknown). */
export const PLAIN_SERVER: ServerFeatures = { cacheSalt: false };

export const CACHE_SALT_SINCE = '0.9.0';
export const STRUCTURED_OUTPUTS_SINCE = '0.10.2';

/**
 * A vLLM server's features by its version. Without a version (a proxy that passes `/v1/models` through but not
 * `/version`), the current API: an older server ignores both fields, and the call still gets its answer.
 */
export function vllmFeatures(version: string | undefined): ServerFeatures {
  const server = version ? `vLLM ${version}` : 'vLLM (version unknown)';
  if (!version) return { cacheSalt: true, choice: 'structured_outputs', server };
  return {
    cacheSalt: versionAtLeast(version, CACHE_SALT_SINCE),
    choice: versionAtLeast(version, STRUCTURED_OUTPUTS_SINCE) ? 'structured_outputs' : 'guided_choice',
    server,
  };
}

/** The request fields that ask a server with these features for one of `values`. */
export function choiceFields(features: ServerFeatures, values: readonly string[]): Record<string, unknown> {
  if (features.choice === 'structured_outputs') return { structured_outputs: { choice: [...values] } };
  if (features.choice === 'guided_choice') return { guided_choice: [...values] };
  return {};
}

/**
 * A user's prefix-cache salt: a hash of the workspace's name for itself and the user's id, never the id itself
 * (ids come from data files: untrusted, possibly personal). 256 bits in base64url, 43 characters, as vLLM
 * suggests. It is no secret and needs none: it keeps one user's cached prefixes from serving another's prompts.
 */
export function cacheSaltOf(scope: string, user: string): string {
  return createHash('sha256')
    .update(JSON.stringify(['synthesizeme-cache-salt', scope, user]))
    .digest('base64url');
}
