// The candidate pool of a Θ search and its per-user Pareto front.
//
// Every candidate Θ the search proposes is kept here, with its parent(s) and what happened to it:
// in the pool, rejected by a guard, or discarded (it did not do strictly better than its parent on
// its minibatch, or it repeats a candidate). Pool candidates carry an episode score on every
// selection user. The front is over those users, one user per objective: a candidate is on it
// when it is among the best on at least one selection user and no other candidate is at least as
// good on every selection user and better on one. Parents are drawn from the front in proportion to
// the number of users on which they are among the best, so a Θ that is the only one to serve some
// user keeps being improved, instead of every step refining the single best average.

import type { Episode } from './episode';

export type CandidateOrigin = 'current' | 'rewrite' | 'reflection' | 'merge';
/** proposed: passed the guards, not yet scored (a run stopped there shows it). */
export type CandidateStatus = 'proposed' | 'pool' | 'rejected' | 'discarded';

export interface UserScore {
  correct: number;
  samples: number;
  persona: string;
}

export interface Candidate {
  id: number;
  text: string;
  hash: string;
  parents: number[];
  origin: CandidateOrigin;
  /** The search step that made it (0: the seeds). */
  step: number;
  status: CandidateStatus;
  /** Why it was rejected or discarded. */
  reason?: string;
  /** The reflection model's account of what it changed. */
  diagnosis?: string;
  /** Episode scores by user. */
  scores: Map<string, UserScore>;
  /** Its episodes (verdicts included), by user, for feedback and the held-out comparison. */
  episodes: Map<string, Episode>;
  /** The minibatch it was tried on: correct order-samples of the parent(s) (the best of them, for a merge) and of the child. */
  minibatch?: { users: string[]; parent: number; child: number; samples: number };
}

export function accuracyOn(
  c: Candidate,
  users: readonly string[],
): { correct: number; samples: number; accuracy: number } {
  let correct = 0;
  let samples = 0;
  for (const u of users) {
    const s = c.scores.get(u);
    if (!s) continue;
    correct += s.correct;
    samples += s.samples;
  }
  return { correct, samples, accuracy: samples ? correct / samples : 0 };
}

function userAccuracy(c: Candidate, user: string): number {
  const s = c.scores.get(user);
  return s && s.samples ? s.correct / s.samples : 0;
}

export interface FrontMember {
  id: number;
  /** Selection users on which it is among the best. */
  wins: number;
}

/** The Pareto front of the pool candidates over the selection users, by candidate id. */
export function paretoFront(pool: readonly Candidate[], users: readonly string[]): FrontMember[] {
  const inPool = pool.filter((c) => c.status === 'pool');
  const wins = new Map<number, number>();
  for (const u of users) {
    const best = Math.max(...inPool.map((c) => userAccuracy(c, u)));
    for (const c of inPool) if (userAccuracy(c, u) === best) wins.set(c.id, (wins.get(c.id) ?? 0) + 1);
  }
  const leaders = inPool.filter((c) => wins.has(c.id));
  const dominated = (c: Candidate) =>
    leaders.some(
      (d) =>
        d !== c &&
        users.every((u) => userAccuracy(d, u) >= userAccuracy(c, u)) &&
        users.some((u) => userAccuracy(d, u) > userAccuracy(c, u)),
    );
  return leaders
    .filter((c) => !dominated(c))
    .map((c) => ({ id: c.id, wins: wins.get(c.id)! }))
    .sort((a, b) => a.id - b.id);
}

/** A parent from the front, drawn in proportion to its wins. */
export function drawParent(front: readonly FrontMember[], rng: () => number): number {
  const total = front.reduce((s, m) => s + m.wins, 0);
  let x = rng() * total;
  for (const m of front) {
    x -= m.wins;
    if (x < 0) return m.id;
  }
  return front[front.length - 1]!.id;
}

/** The pool candidate with the highest accuracy over the selection users; a tie goes to the earlier one. */
export function bestCandidate(pool: readonly Candidate[], users: readonly string[]): Candidate {
  let best: Candidate | undefined;
  let bestCorrect = -1;
  for (const c of pool) {
    if (c.status !== 'pool') continue;
    const { correct } = accuracyOn(c, users);
    if (correct > bestCorrect) {
      best = c;
      bestCorrect = correct;
    }
  }
  return best!;
}

/** Whether `a` is `b` or one of its ancestors (a merge of a candidate with its own ancestor adds nothing). */
export function isAncestor(pool: readonly Candidate[], a: number, b: number): boolean {
  const byId = new Map(pool.map((c) => [c.id, c]));
  const stack = [b];
  const seen = new Set<number>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === a) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.parents ?? []));
  }
  return false;
}
