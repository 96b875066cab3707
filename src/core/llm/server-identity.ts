// What a server is, for the cache: the model it serves (Ollama's digest, llama.cpp's file metadata), not the
// address it answers on. The embedded server starts on a random port each run; keyed by address, a second run
// reused nothing. Asked once per endpoint and run; the answer is remembered in the cache itself, so a cached
// re-run against a server that is down still finds its answers.
import { createHash } from 'node:crypto';
import type { ResponseCache } from './cache';
import { normalizeBaseUrl } from './base-url';
import type { EndpointClient, ModelInfo } from './provider';
import type { ProviderKind } from './types';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** Whether a listed model is the one asked for (Ollama adds `:latest` to a bare name). */
export function sameModel(provider: ProviderKind, listed: string, wanted: string): boolean {
  if (listed === wanted) return true;
  if (provider !== 'ollama') return false;
  const tagged = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return tagged(listed) === tagged(wanted);
}

/** The identity the listing gives the model, or undefined when the server names none. */
export function identityInList(
  provider: ProviderKind,
  models: readonly ModelInfo[],
  model: string,
): string | undefined {
  const named = models.find((m) => sameModel(provider, m.name, model));
  // llama.cpp's server serves its one model whatever name a request gives.
  const listed = named ?? (provider === 'openai' && models.length === 1 ? models[0] : undefined);
  return listed?.digest ?? listed?.identity;
}

export class ServerIdentities {
  private readonly probes = new Map<EndpointClient, Promise<string | undefined>>();
  private changeSaid = false;

  constructor(
    private readonly provider: ProviderKind,
    private readonly model: string,
    private readonly cache: ResponseCache | undefined,
    private readonly log: Log,
  ) {}

  /** The endpoint's model identity, asked once per run (a failure too: a cached re-run must not wait on a dead server). */
  of(client: EndpointClient, signal: AbortSignal): Promise<string | undefined> {
    let probe = this.probes.get(client);
    if (!probe) {
      probe = this.probe(client, signal);
      this.probes.set(client, probe);
    }
    return probe;
  }

  private async probe(client: EndpointClient, signal: AbortSignal): Promise<string | undefined> {
    const key = this.rememberedKey(client.baseUrl);
    const remembered = (await this.cache?.serverIdentity(key)) || undefined;
    let models: ModelInfo[];
    try {
      models = await client.listModels(signal);
    } catch {
      return remembered;
    }
    const identity = identityInList(this.provider, models, this.model);
    if (identity && identity !== remembered) {
      if (remembered) this.sayChanged(remembered, identity);
      await this.cache?.rememberServer(key, identity, this.model);
    }
    return identity;
  }

  private sayChanged(before: string, now: string): void {
    if (this.changeSaid) return;
    this.changeSaid = true;
    const change =
      this.provider === 'ollama' ? `digest ${before.slice(0, 12)} -> ${now.slice(0, 12)}` : `${before} -> ${now}`;
    this.log('info', `${this.model} changed on the server since answers were cached (${change}): asking again`);
  }

  /** Where the last identity seen at this address is kept: a record of the cache, named apart from any answer's key. */
  private rememberedKey(baseUrl: string): string {
    const canonical = JSON.stringify([
      'server-identity',
      this.provider,
      normalizeBaseUrl(baseUrl, { dropCredentials: true }),
      this.model,
    ]);
    return createHash('sha256').update(canonical).digest('hex');
  }
}
