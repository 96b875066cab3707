// Similar users (issue 24, `--similar-users m`): for a user with little data, the judge also reads what is known of
// the m users nearest to them, by the cosine of their embeddings. A user is embedded from their persona, or, without
// one, from their context pairs (never their validation or test pairs). What a neighbour gives is their persona and a
// few of their verified demonstrations, and only those built from their context pairs: no user's held-out pairs ever
// reach another user's prompt. The section sits in the system message, which stays one per user (the shared prefix).
import type { Pair } from '../data/pair';
import { escapeMarkup, renderConversation, renderDemo, tagged, type Demo } from './render';
import type { PersonaModel } from './persona-file';

/** A neighbour as the judge reads them. */
export interface SimilarUser {
  userId: string;
  /** The cosine similarity of the two users' embeddings. */
  similarity: number;
  persona: string;
  /** The hash of the neighbour's persona file: its edit makes runs that read it stale. */
  personaHash?: string;
  demos: { pair: Pair; demo: Demo }[];
}

/** At most this many of a neighbour's demonstrations join the prompt: their taste, not a second user's whole file. */
export const SIMILAR_DEMOS = 2;
/** Without a persona, a user is embedded from at most this many of their context pairs. */
const EMBED_CONTEXT_PAIRS = 8;

export const SIMILAR_HEADING = 'People with similar taste (other users; not this user):';

/** The text a user is embedded from: their persona, else their context pairs' conversations and chosen replies. */
export function embeddingText(user: { persona?: PersonaModel | undefined; context: readonly Pair[] }): string {
  const persona = user.persona?.persona.trim();
  if (persona) return persona;
  return user.context
    .slice(0, EMBED_CONTEXT_PAIRS)
    .map((p) => `${renderConversation(p.context)}\n[preferred reply]\n${p.chosen.content}`)
    .join('\n\n');
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Each user's m nearest others among `candidates` (the users with something to give), most similar first; equal
 * similarities are ordered by user id, so the same vectors always give the same neighbours. `among` are the vectors
 * searched (default `vectors` itself): one user's neighbours are found by giving only their vector.
 */
export function nearestUsers(
  vectors: ReadonlyMap<string, readonly number[]>,
  m: number,
  candidates: ReadonlySet<string>,
  among: ReadonlyMap<string, readonly number[]> = vectors,
): Map<string, { userId: string; similarity: number }[]> {
  const out = new Map<string, { userId: string; similarity: number }[]>();
  for (const [id, v] of vectors) {
    const others = [...among]
      .filter(([other]) => other !== id && candidates.has(other))
      .map(([other, w]) => ({ userId: other, similarity: cosine(v, w) }))
      .sort((a, b) => b.similarity - a.similarity || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    out.set(id, others.slice(0, m));
  }
  return out;
}

/**
 * What a neighbour gives: their persona, and their first SIMILAR_DEMOS demonstrations whose pair is one of their
 * context pairs (a demonstration of any other split is left out). Undefined for a user without a persona.
 */
export function neighbourOf(
  user: { id: string; persona?: PersonaModel | undefined; personaHash?: string | undefined; context: readonly Pair[] },
  similarity: number,
): SimilarUser | undefined {
  if (!user.persona?.persona.trim()) return undefined;
  const context = new Map(user.context.map((p) => [p.pairId, p]));
  const demos: SimilarUser['demos'] = [];
  for (const d of user.persona.demos) {
    const pair = context.get(d.pairId);
    if (!pair || demos.length >= SIMILAR_DEMOS) continue;
    demos.push({ pair, demo: { pairId: d.pairId, order: d.order, preference: d.preference, reasoning: d.reasoning } });
  }
  return {
    userId: user.id,
    similarity,
    persona: user.persona.persona,
    ...(user.personaHash ? { personaHash: user.personaHash } : {}),
    demos,
  };
}

/** The judge's section on the neighbours: labelled as other people, so their choices inform and do not decide. */
export function similarSection(similar: readonly SimilarUser[]): string {
  const people = similar.map((s, i) => {
    const examples = s.demos.length
      ? '\n' + tagged('examples', s.demos.map((d, j) => renderDemo(d.pair, d.demo, j + 1)).join('\n\n'))
      : '';
    return `<similar_user number="${i + 1}">\n${tagged('persona', escapeMarkup(s.persona))}${examples}\n</similar_user>`;
  });
  return `${SIMILAR_HEADING}\n${tagged('similar_users', people.join('\n\n'))}`;
}
