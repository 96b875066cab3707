// The eval job's part of `--similar-users m` (issue 24): embed every user of the pool (the workspace's users, not
// only the ones evaluated: a user's neighbours may be anyone with a persona), pick each evaluated user's m nearest,
// and give them to the user's prompt (similar-users.ts says what a neighbour gives, and why no held-out pair leaks).
// A dry run asks the server nothing: it reads cached vectors, and without them counts the embedding calls to come
// and plans with stand-in neighbours (the prompts' size is the same, the neighbours may differ).
// nearestUsersOf finds one user's neighbours the same way (same vectors, cache and candidates) for the Persona
// Inspector's list; `bench run --similar-users` attaches them as eval does (attachSimilarUsers).
import type { Embedder } from '../llm/embeddings';
import { estimateTextTokens, type RunEstimate } from '../llm/estimate';
import type { Pair } from '../data/pair';
import type { PersonaModel } from '../method/persona-file';
import { embeddingText, nearestUsers, neighbourOf } from '../method/similar-users';
import { UserError } from '../user-error';
import type { EvalUser } from './evaluate';
import type { UserEntry } from '../data/workspace-index';
import { pairsBySplit } from '../workspace/open-workspace';

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

/** What a user is embedded from (similar-users.ts embeddingText): their persona, else their context pairs. */
export type EmbeddedFrom = 'persona' | 'context pairs';

export const embeddedFrom = (u: Pick<PoolUser, 'persona'>): EmbeddedFrom =>
  u.persona?.persona.trim() ? 'persona' : 'context pairs';

/** A neighbour found for one user: where they rank, how similar, and what their vector was made from. */
export interface NearestUser {
  rank: number;
  userId: string;
  similarity: number;
  embedded: EmbeddedFrom;
}

/**
 * The pool as a run reads it: each entry's persona (`readPersona`) and context pairs only (no validation or test
 * pair is ever embedded nor given). `known` are users already read (the evaluated ones), taken as they are.
 */
export async function similarPool(
  entries: readonly UserEntry[],
  readPersona: (userId: string) => Promise<{ model: PersonaModel; hash: string } | undefined>,
  known: ReadonlyMap<string, PoolUser> = new Map(),
): Promise<PoolUser[]> {
  const pool: PoolUser[] = [];
  for (const entry of entries) {
    const read = known.get(entry.id);
    if (read) pool.push(read);
    else {
      const persona = await readPersona(entry.id);
      pool.push({
        id: entry.id,
        persona: persona?.model,
        personaHash: persona?.hash,
        context: pairsBySplit(entry).context,
      });
    }
  }
  return pool;
}

/** The pool's vectors (a dry run reads the cache only, with stand-ins when not all are there) and their calls. */
async function embedPool(
  pool: readonly PoolUser[],
  run: { embedder: Embedder; dryRun?: boolean; signal?: AbortSignal },
): Promise<{ vectors: Map<string, number[]>; estimate: EmbedEstimate }> {
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
  return { vectors, estimate };
}

/** Who may be a neighbour: a user with a persona to give (neighbourOf). */
const giversOf = (pool: readonly PoolUser[]) => new Set(pool.filter((u) => u.persona?.persona.trim()).map((u) => u.id));

/**
 * The m users nearest to one user of the pool, as a run would give them to that user's prompt (the same vectors,
 * cache and candidates as attachSimilarUsers): what the Persona Inspector lists. `embedded` is undefined for a user
 * with nothing to embed (no persona, no context pair), who has no neighbours.
 */
export async function nearestUsersOf(
  userId: string,
  pool: readonly PoolUser[],
  run: { m: number; embedder: Embedder; signal?: AbortSignal },
): Promise<{ embedded?: EmbeddedFrom; nearest: NearestUser[] }> {
  const user = pool.find((u) => u.id === userId);
  if (!user || !embeddingText(user).trim()) return { nearest: [] };
  const { vectors } = await embedPool(pool, run);
  const byId = new Map(pool.map((u) => [u.id, u]));
  const found = nearestUsers(new Map([[userId, vectors.get(userId)!]]), run.m, giversOf(pool), vectors).get(userId);
  return {
    embedded: embeddedFrom(user),
    nearest: (found ?? []).map((n, i) => ({ rank: i + 1, ...n, embedded: embeddedFrom(byId.get(n.userId)!) })),
  };
}

/** Sets `similar` on each evaluated user; returns the embedding calls made (or, in a dry run, to come). */
export async function attachSimilarUsers(
  users: EvalUser[],
  pool: readonly PoolUser[],
  run: { m: number; embedder: Embedder; dryRun?: boolean; signal?: AbortSignal },
): Promise<EmbedEstimate> {
  const { vectors, estimate } = await embedPool(pool, run);
  const byId = new Map(pool.map((u) => [u.id, u]));
  const nearest = nearestUsers(vectors, run.m, giversOf(pool));
  for (const u of users) {
    const similar = (nearest.get(u.id) ?? []).flatMap((n) => neighbourOf(byId.get(n.userId)!, n.similarity) ?? []);
    if (similar.length) u.similar = similar;
  }
  return estimate;
}
