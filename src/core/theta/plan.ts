// The plan of a Θ search within its budget: which users take part and in which role, and how many
// pairs each episode scores. Everything is counted before the first call:
//   first stage   per user, at most n_context bootstrap calls + candidate sets (fit.ts candidateBound) x n_validation
//                 (the fit's pruning usually needs far fewer; what is not spent goes to the search)
//   episode       1 persona synthesis + 2 calls per scored pair (both orders)
//   baselines     an episode of the current Θ on every reflection and selection user
//   search step   at most: the parent on a minibatch of reflection users, one reflection call, the
//                 child on the minibatch, and, when the child does strictly better there, the child
//                 on every selection user
//   final check   the current Θ and the best candidate on every held-out user (set aside from the start)
// When the whole does not fit with room for three search steps, the plan shrinks, in this order:
// users beyond eight, pairs per user down to six, users down to three, room for one step instead of
// three, pairs per user down to two. Below that the budget is too small, and the error says so.

import { UserError } from '../user-error';
import { candidateBound, selectionCallBound, type FitOptions } from '../method/fit';
import { episodeCalls } from './episode';
import {
  assignRoles,
  eligibility,
  MIN_SEARCH_CONTEXT,
  MIN_SEARCH_SCORING,
  scoringPairs,
  seededOrder,
  type Roles,
  type ThetaUserData,
} from './user-splits';

/** Scored pairs per user at most (test pairs first). */
export const MAX_PAIRS_PER_USER = 12;
/** Reflection users per search step at most. */
export const MINIBATCH = 3;
/** Grounded rewrites of the current Θ that seed the pool, budget permitting. */
export const SEED_REWRITES = 2;

export interface PlannedUser {
  id: string;
  /** The upper bound of the user's first stage. */
  firstStageBound: number;
  /** Pairs scored per episode (after the cap). */
  pairs: number;
}

/**
 * Held-out users an adoption needs at the least: adopting Θ claims a gain for users in general, tested over
 * the held-out users (an exact sign-flip over users), whose smallest p with U users is 2 / 2^U: below 0.05
 * only from 6 users on.
 */
export const MIN_HELD_OUT_FOR_ADOPTION = 6;

/**
 * Selection users below which the best candidate is picked on too little: with one selection user a candidate
 * is "best" for winning a few judgments of one person, and the held-out check mostly meets chance winners.
 */
export const MIN_SELECTION_USERS = 2;

export interface ThetaPlan {
  roles: Roles;
  /**
   * What the user should know before spending the budget, one line each: too few held-out users to adopt, too
   * few selection users to select. prepareTheta asks whether to go on when there is any.
   */
  notes: string[];
  users: PlannedUser[];
  /** Users left out, and why (too small, or past what the budget allows). */
  unused: { user: string; reason: string }[];
  pairsPerUser: number;
  minibatch: number;
  cost: {
    firstStageBound: number;
    baselines: number;
    finalCheck: number;
    /** The most one search step can cost. */
    step: number;
    /** Search steps the budget leaves room for if every child reached the selection users (more when children fail their minibatch). */
    steps: number;
  };
}

export function firstStageBound(
  u: Pick<ThetaUserData, 'context' | 'validation'>,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
): number {
  return u.context.length + selectionCallBound(u.context.length, u.validation.length, knobs, false);
}

function costOf(
  users: readonly ThetaUserData[],
  roles: Roles,
  cap: number,
  knobs: Pick<FitOptions, 'k' | 'labeledDemos'>,
  minibatch: number,
  steps: number,
) {
  const byId = new Map(users.map((u) => [u.id, u]));
  const e = (id: string) => episodeCalls(scoringPairs(byId.get(id)!, cap).length);
  const sum = (ids: readonly string[]) => ids.reduce((s, id) => s + e(id), 0);
  const all = [...roles.reflection, ...roles.selection, ...roles.heldOut];
  const firstStage = all.reduce((s, id) => s + firstStageBound(byId.get(id)!, knobs), 0);
  // The costliest minibatch: the reflection users with the most pairs.
  const mb = [...roles.reflection].sort((a, b) => e(b) - e(a)).slice(0, minibatch);
  const step = 1 + 2 * sum(mb) + sum(roles.selection);
  const baselines = sum(roles.reflection) + sum(roles.selection);
  const finalCheck = 2 * sum(roles.heldOut);
  return { firstStage, baselines, finalCheck, step, total: firstStage + baselines + finalCheck + steps * step };
}

export function planSearch(
  users: readonly ThetaUserData[],
  opts: { budget: number; k: number; labeledDemos?: number; seed: number },
): ThetaPlan {
  const unused: { user: string; reason: string }[] = [];
  const usable: { data: ThetaUserData; role: 'search' | 'held-out' }[] = [];
  for (const u of users) {
    const e = eligibility(u);
    if (e === 'search' || e === 'held-out') usable.push({ data: u, role: e });
    else unused.push({ user: u.id, reason: e });
  }
  let kept = seededOrder(
    usable.map((u) => ({ id: u.data.id, role: u.role, data: u.data })),
    opts.seed,
  );
  const searchable = kept.filter((u) => u.role === 'search').length;
  if (searchable < 2 || kept.length < 3) {
    throw new UserError(
      `a Θ search needs at least three users, two of them with ${MIN_SEARCH_CONTEXT} or more context pairs ` +
        `and ${MIN_SEARCH_SCORING} or more validation and test pairs (one to reflect on, one to select with, one held out); ` +
        `this workspace has ${searchable} such user(s) and ${kept.length - searchable} smaller usable one(s)`,
      2,
    );
  }
  const maxPairs = Math.max(...kept.map((u) => u.data.validation.length + u.data.test.length));
  let cap = Math.min(MAX_PAIRS_PER_USER, maxPairs);
  let steps = 3;
  const dropped: string[] = [];
  const rolesOf = () => assignRoles(kept);
  const fits = () => {
    const roles = rolesOf();
    return (
      roles !== undefined &&
      costOf(users, roles, cap, opts, Math.min(MINIBATCH, roles.reflection.length), steps).total <= opts.budget
    );
  };
  /** Drops the last user in the seeded order, if the roles still fill. */
  const dropUser = (): boolean => {
    const next = kept.slice(0, -1);
    if (!assignRoles(next)) return false;
    dropped.push(kept[kept.length - 1]!.id);
    kept = next;
    return true;
  };
  while (!fits() && kept.length > 8 && dropUser());
  while (!fits() && cap > 6) cap--;
  while (!fits() && kept.length > 3 && dropUser());
  while (!fits() && steps > 1) steps--;
  while (!fits() && cap > 2) cap--;
  const roles = rolesOf()!;
  const minibatch = Math.min(MINIBATCH, roles.reflection.length);
  const cost = costOf(users, roles, cap, opts, minibatch, steps);
  if (cost.total > opts.budget) {
    throw new UserError(
      `--budget ${opts.budget} is too small for the smallest Θ search ` +
        `(${kept.length} users, ${cap} pairs each, one search step): it needs up to ${cost.total} calls, ` +
        `of which up to ${cost.firstStage} for the users' first stages (bootstrap and a first demo selection ` +
        `over up to ${candidateBound(Number.MAX_SAFE_INTEGER, opts, false)} candidate sets: a smaller --k lowers it)`,
      2,
    );
  }
  for (const id of dropped) unused.push({ user: id, reason: 'left out to fit the budget' });
  const byId = new Map(users.map((u) => [u.id, u]));
  const planned = kept.map((u) => ({
    id: u.id,
    firstStageBound: firstStageBound(u.data, opts),
    pairs: scoringPairs(byId.get(u.id)!, cap).length,
  }));
  const room = opts.budget - cost.firstStage - cost.baselines - cost.finalCheck;
  return {
    roles,
    notes: tooFewUsersNotes(roles, dropped.length),
    users: planned,
    unused,
    pairsPerUser: cap,
    minibatch,
    cost: {
      firstStageBound: cost.firstStage,
      baselines: cost.baselines,
      finalCheck: cost.finalCheck,
      step: cost.step,
      steps: Math.max(0, Math.floor(room / cost.step)),
    },
  };
}

/** What the roles cannot do, one line each, said before any call: no adoption possible, or a selection on too few users. */
function tooFewUsersNotes(roles: Roles, dropped: number): string[] {
  const notes: string[] = [];
  if (roles.heldOut.length < MIN_HELD_OUT_FOR_ADOPTION)
    notes.push(
      `only ${roles.heldOut.length} held-out user(s): no Θ can be adopted, ` +
        `since a gain for users in general needs at least ${MIN_HELD_OUT_FOR_ADOPTION} held-out users ` +
        '(the test is over users); the search still runs and reports its best candidate' +
        `${dropped ? `; a larger --budget keeps the ${dropped} user(s) left out` : '; more users would allow it'}`,
    );
  if (roles.selection.length < MIN_SELECTION_USERS)
    notes.push(
      `only ${roles.selection.length} selection user(s): the best candidate is chosen on one user's judgments, ` +
        `so a better one is mostly a chance winner (${MIN_SELECTION_USERS} or more need more users)`,
    );
  return notes;
}
