// What a server is, for the cache: the model it serves (Ollama's digest, llama.cpp's file metadata), not the
// address it answers on. The embedded server starts on a random port each run; keyed by address, a second run
// reused nothing. Asked once per endpoint and run; the answer is remembered in the cache itself, so a cached
// re-run against a server that is down still finds its answers.
import { createHash } from 'node:crypto';
import type { ResponseCache } from './cache';
import { normalizeBaseUrl } from './base-url';
import type { EndpointClient, ModelInfo } from './provider';
import type { ProviderKind } from './types';
import { redactUrl } from './errors';
import { PLAIN_SERVER, type ServerFeatures } from './vllm';

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
  /** Each endpoint's model listing, asked once per run for its identity and its features alike. */
  private readonly listings = new Map<EndpointClient, Promise<ModelInfo[] | undefined>>();
  private readonly featureProbes = new Map<EndpointClient, Promise<ServerFeatures>>();
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

  /**
   * What the endpoint takes beyond its protocol (vLLM's cache salt and choice), asked once per run. A server that
   * cannot be asked takes nothing more: its calls go out as to any server of the protocol.
   */
  features(client: EndpointClient, signal: AbortSignal): Promise<ServerFeatures> {
    let probe = this.featureProbes.get(client);
    if (!probe) {
      probe = this.probeFeatures(client, signal);
      this.featureProbes.set(client, probe);
    }
    return probe;
  }

  private async probeFeatures(client: EndpointClient, signal: AbortSignal): Promise<ServerFeatures> {
    if (!client.features) return PLAIN_SERVER;
    const models = await this.listing(client, signal);
    const features = models ? await client.features(models, signal).catch(() => PLAIN_SERVER) : PLAIN_SERVER;
    if (features.server) {
      const extras = [
        features.cacheSalt ? 'a prefix-cache salt per user (cache_salt)' : '',
        features.choice ? `verdicts constrained to their letters (${features.choice})` : '',
      ].filter(Boolean);
      this.log(
        'info',
        `${redactUrl(client.baseUrl)} is ${features.server}: ${extras.join(', ') || 'nothing more sent'}`,
      );
    }
    return features;
  }

  private listing(client: EndpointClient, signal: AbortSignal): Promise<ModelInfo[] | undefined> {
    let listing = this.listings.get(client);
    if (!listing) {
      listing = client.listModels(signal).catch(() => undefined);
      this.listings.set(client, listing);
    }
    return listing;
  }

  private async probe(client: EndpointClient, signal: AbortSignal): Promise<string | undefined> {
    const key = this.rememberedKey(client.baseUrl);
    const remembered = (await this.cache?.serverIdentity(key)) || undefined;
    const models = await this.listing(client, signal);
    if (!models) return remembered;
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
