// What model made a run: its name, and its digest when the server names one. Ollama does
// (/api/tags): the name stays when `ollama pull` brings new weights, the digest does not. An
// OpenAI-compatible server names none, so it is not asked. VS Code's language models name their
// vendor, id, family and version (the face's listing puts them in ModelInfo.identity): recorded alike.

import type { ModelInfo } from '../llm/provider';
import type { ProviderKind } from '../llm/types';

export interface ModelLister {
  readonly provider: ProviderKind;
  readonly model: string;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
}

/** How long the run waits for the server's list of models before it goes on without a digest. */
const DIGEST_WAIT_MS = 10_000;

/**
 * The model's digest, or undefined when the server names none or cannot be reached: a run of answers
 * that are all cached must not fail (or wait long) because the server is down.
 */
export async function modelDigestOf(llm: ModelLister, signal?: AbortSignal): Promise<string | undefined> {
  if (llm.provider === 'openai') return undefined;
  const wait = AbortSignal.timeout(DIGEST_WAIT_MS);
  try {
    const models = await llm.listModels(signal ? AbortSignal.any([signal, wait]) : wait);
    if (llm.provider === 'vscode-lm') return models.find((m) => m.name === llm.model)?.identity;
    return models.find((m) => sameOllamaModel(m.name, llm.model))?.digest;
  } catch {
    return undefined;
  }
}

/** Ollama names a model without a tag as `name:latest`. */
function sameOllamaModel(listed: string, wanted: string): boolean {
  const tagged = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return tagged(listed) === tagged(wanted);
}
