// The eval job's part of `--similar-users m` (issue 24): embed every user of the pool (the workspace's users, not
// only the ones evaluated: a user's neighbours may be anyone with a persona), pick each evaluated user's m nearest,
// and give them to the user's prompt (similar-users.ts says what a neighbour gives, and why no held-out pair leaks).
// A dry run asks the server nothing: it reads cached vectors, and without them counts the embedding calls to come
// and plans with stand-in neighbours (the prompts' size is the same, the neighbours may differ).
import type { Embedder } from '../llm/embeddings';
import { estimateTextTokens, type RunEstimate } from '../llm/estimate';
import type { Pair } from '../data/pair';
import type { PersonaModel } from '../method/persona-file';
import { embeddingText, nearestUsers, neighbourOf } from '../method/similar-users';
import { UserError } from '../user-error';
import type { EvalUser } from './evaluate';

/** A user of the pool: what they are embedded from, and what they can give as a neighbour. */
export interface PoolUser {
  id: string;
  persona?: PersonaModel | undefined;
  personaHash?: string | undefined;
  context: readonly Pair[];
}

/** The embedding calls of a run: those to come, and those the cache answers. */
export type EmbedEstimate = Pick<RunEstimate, 'calls' | 'cachedCalls' | 'promptTokens'>;

/** `--similar-users m` without an embedding model is bad input, said before any call. */
export function checkSimilarInputs(m: number | undefined, embedder: Embedder | undefined): void {
  if (m && !embedder)
    throw new UserError('--similar-users: no embedding model to find similar users with (--embed-model NAME)', 2);
}

/** Sets `similar` on each evaluated user; returns the embedding calls made (or, in a dry run, to come). */
export async function attachSimilarUsers(
  users: EvalUser[],
  pool: readonly PoolUser[],
  run: { m: number; embedder: Embedder; dryRun?: boolean; signal?: AbortSignal },
): Promise<EmbedEstimate> {
  const texts = pool.map((u) => ({ id: u.id, text: embeddingText(u) })).filter((t) => t.text.trim());
  const vectors = new Map<string, number[]>();
  const estimate: EmbedEstimate = { calls: 0, cachedCalls: 0, promptTokens: 0 };
  if (run.dryRun) {
    for (const t of texts) {
      const v = await run.embedder.cached(t.text);
      if (v) vectors.set(t.id, v);
      else
        Object.assign(estimate, {
          calls: estimate.calls + 1,
          promptTokens: estimate.promptTokens + estimateTextTokens(t.text),
        });
    }
    estimate.cachedCalls = vectors.size;
    // Not all known: stand-in neighbours (every vector alike, so the nearest are the first by id).
    if (estimate.calls) for (const t of texts) vectors.set(t.id, [1]);
  } else {
    const got = await run.embedder.embed(
      texts.map((t) => t.text),
      run.signal,
    );
    texts.forEach((t, i) => vectors.set(t.id, got[i]!));
  }
  const byId = new Map(pool.map((u) => [u.id, u]));
  const givers = new Set(pool.filter((u) => u.persona?.persona.trim()).map((u) => u.id));
  const nearest = nearestUsers(vectors, run.m, givers);
  for (const u of users) {
    const similar = (nearest.get(u.id) ?? []).flatMap((n) => neighbourOf(byId.get(n.userId)!, n.similarity) ?? []);
    if (similar.length) u.similar = similar;
  }
  return estimate;
}
