// Splitting the users of a Θ search: users whose failures the reflection model reads, users whose
// scores select among candidates (the Pareto front), and held-out users who serve only for the final
// check. A user is one unit: all their pairs go to one role, so a Θ is never judged on the users it
// was learned from.
//
// Who can take which role depends on their sizes. Searching on a user needs a first stage with a
// real selection (two context pairs or more) and enough scored pairs to tell candidates apart (four
// or more validation and test pairs); a user with fewer can still be a held-out user (one context
// pair, one scored pair), where any number of pairs adds to the paired comparison.

import type { Pair } from '../data/pair';
import { createRng, shuffled } from '../random';

export const MIN_SEARCH_CONTEXT = 2;
export const MIN_SEARCH_SCORING = 4;

export interface ThetaUserData {
  id: string;
  context: Pair[];
  validation: Pair[];
  test: Pair[];
}

export type Role = 'reflection' | 'selection' | 'held-out';

export interface Roles {
  reflection: string[];
  selection: string[];
  heldOut: string[];
}

/** What a user can be used for: the search, the held-out check only, or nothing (and why). */
export function eligibility(u: Pick<ThetaUserData, 'context' | 'validation' | 'test'>): 'search' | 'held-out' | string {
  const scoring = u.validation.length + u.test.length;
  if (u.context.length === 0) return 'no context pairs: no persona can be synthesized';
  if (scoring === 0) return 'no validation or test pairs to score';
  if (u.context.length >= MIN_SEARCH_CONTEXT && scoring >= MIN_SEARCH_SCORING) return 'search';
  return 'held-out';
}

/** The usable users in a seeded order: the order in which a smaller budget drops them (last first). */
export function seededOrder<T extends { id: string }>(users: readonly T[], seed: number): T[] {
  const byId = [...users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return shuffled(byId, createRng(`${seed}:theta-users`));
}

/**
 * Roles for the kept users (in their seeded order). About 40% of the users are held out (users only
 * fit for the held-out check count first), then the rest is shared between selection and reflection,
 * reflection getting the odd one. Undefined when there are too few users for one of each role.
 */
export function assignRoles(kept: readonly { id: string; role: 'search' | 'held-out' }[]): Roles | undefined {
  const search = kept.filter((u) => u.role === 'search').map((u) => u.id);
  const onlyHeldOut = kept.filter((u) => u.role === 'held-out').map((u) => u.id);
  const target = Math.max(1, Math.round(0.4 * kept.length));
  const fromSearch = Math.min(Math.max(0, target - onlyHeldOut.length), Math.max(0, search.length - 2));
  const heldOut = [...onlyHeldOut, ...search.slice(0, fromSearch)];
  const rest = search.slice(fromSearch);
  if (heldOut.length === 0 || rest.length < 2) return undefined;
  const nSelection = Math.floor(rest.length / 2);
  return { heldOut, selection: rest.slice(0, nSelection), reflection: rest.slice(nSelection) };
}

/**
 * The pairs an episode scores for a user: test pairs first (never seen by the fit), then validation
 * pairs (seen only by the first stage's selection, which is the same for every Θ), each in file order,
 * at most `cap` of them.
 */
export function scoringPairs(u: Pick<ThetaUserData, 'validation' | 'test'>, cap: number): Pair[] {
  return [...u.test, ...u.validation].slice(0, cap);
}
