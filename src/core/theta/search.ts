// `theta optimize`: a reflective, Pareto-based search for the persona-synthesis prompt Θ, across
// users, within a budget of calls.
//
//   1. First stages: each user's bootstrap and first demo selection, once (first-stage.ts).
//   2. Baselines: the current Θ's episode on every reflection and selection user.
//   3. Seeds: a few rewrites of the current Θ by the reflection model, each grounded in the current
//      Θ's failures on the reflection users and stressing one side of them; scored on the selection users.
//   4. Steps: a parent drawn from the per-user Pareto front (pool.ts) runs on a minibatch of
//      reflection users; the reflection model rewrites it from the failures; the child is scored on
//      the same minibatch and kept only if it does strictly better there than its parent, then
//      scored on every selection user. Every few steps, when the front has two unrelated members,
//      the step is a merge of the two instead.
//   5. The final check: the best candidate on the selection users against the current Θ on the
//      held-out users (acceptance.ts).
// Every candidate passes the guards (guards.ts) before any call is spent on it.
//
// Determinism: every choice (users, minibatches, parents) comes from the seed and from the answers,
// never from timing, and the budget counts cache hits like any call (budget.ts). So with the same
// answers (from the cache, after Ctrl+C) a re-run retraces the run, and each unit of work is
// started only when the budget has room for all of it (the held-out check's share is set aside
// from the start), so a run never stops halfway through an episode for lack of budget.

import type { ChatModel, ChatMessage } from '../llm/types';
import type { RequestBudget } from '../llm/request-budget';
import type { Pair } from '../data/pair';
import { createRng, shuffled } from '../random';
import { isFatal } from '../method/judge';
import { answerObject } from '../method/answer-object';
import { promptHash } from '../method/prompt-store';
import type { FitPrompts } from '../method/fit';
import { BudgetMeter, type BudgetCounts } from './budget';
import { firstStage, type FirstStage } from '../method/first-stage';
import { episodeCalls, incomplete, runEpisode, type Episode } from './episode';
import { buildGuardContext, checkCandidate, topicWords } from './guards';
import { composeTheta, parseTheta } from '../method/worked-examples';
import {
  accuracyOn,
  bestCandidate,
  drawParent,
  isAncestor,
  paretoFront,
  type Candidate,
  type CandidateOrigin,
  type FrontMember,
} from './pool';
import {
  FEEDBACK_CHARS,
  mergeMessages,
  readRewrite,
  reflectionMessages,
  renderFeedback,
  REFLECTION_SCHEMA,
  REFLECTION_TEMPERATURE,
  REWRITE_ANGLES,
} from './reflection-prompt';
import { heldOutCheck, type HeldOutCheck } from './acceptance';
import { SEED_REWRITES, type ThetaPlan } from './plan';
import { scoringPairs, type ThetaUserData } from './user-splits';
import type { LineageWriter } from './lineage';
import { forEachInPool } from '../work-pool';
import { percent } from '../percent';

/** Every this many steps, a merge instead of a reflection (when the front allows one). */
export const MERGE_EVERY = 4;
/** Reflection users whose failures a seed rewrite reads. */
const SEED_FEEDBACK_USERS = 4;
/** Users whose first stage runs at once (each one's calls run side by side too). */
const FIRST_STAGE_WORKERS = 4;

export type ThetaPhase = 'first stage' | 'baseline' | 'seed rewrites' | 'search' | 'held-out check';

export interface ThetaProgress {
  phase: ThetaPhase;
  used: number;
  budget: number;
  step: number;
}

export interface ThetaSearchInputs {
  model: ChatModel;
  /** The model that rewrites Θ (usually a larger one); the main model when not given. */
  reflectModel?: ChatModel;
  users: readonly ThetaUserData[];
  plan: ThetaPlan;
  /** The fit's prompts; `personaSynthesis` is the current Θ, where the search starts. */
  prompts: FitPrompts;
  temperature: number;
  seed: number;
  k: number;
  stopScore: number;
  /** The first stage's demo count (fit.ts); absent: the default. */
  labeledDemos?: number;
  budget: number;
  /** The HTTP requests the models send, capped at the same budget (their Llms hold it: Llm.limitRequests). */
  requests?: RequestBudget;
  merge: boolean;
  lineage?: LineageWriter;
  /** What run.json says about the run besides its progress. */
  runInfo?: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (p: ThetaProgress) => void;
  onNote?: (message: string) => void;
}

export interface ThetaSearchResult {
  plan: ThetaPlan;
  candidates: Candidate[];
  baseline: Candidate;
  best: Candidate;
  selection: { baseline: Accuracy; best: Accuracy };
  heldOut?: HeldOutCheck;
  accepted: boolean;
  /** One sentence: adopted or not, with the figures. */
  reason: string;
  steps: number;
  calls: BudgetCounts;
  topics: string[];
}

export interface Accuracy {
  correct: number;
  samples: number;
  accuracy: number;
}

const pct = (a: Accuracy) => `${percent(a.accuracy)} (${a.correct}/${a.samples})`;

export async function searchTheta(inp: ThetaSearchInputs): Promise<ThetaSearchResult> {
  const { plan, seed, signal } = inp;
  const { reflection: R, selection: S, heldOut: H } = plan.roles;
  let phase: ThetaPhase = 'first stage';
  let steps = 0;
  const meter = new BudgetMeter(
    inp.budget,
    (c) => inp.onProgress?.({ phase, used: c.used, budget: inp.budget, step: steps }),
    inp.requests,
  );
  const model = meter.wrap(inp.model);
  const reflect = inp.reflectModel ? meter.wrap(inp.reflectModel) : model;
  const note = (m: string) => inp.onNote?.(m);

  // The search rewrites Θ's instructions; its worked examples (worked-examples.ts) go with every candidate unchanged.
  const current = parseTheta(inp.prompts.personaSynthesis.text);
  const withExamples = (instructions: string) => composeTheta(instructions, current.examples);
  const byId = new Map(inp.users.map((u) => [u.id, u]));
  const everyone = [...R, ...S, ...H];
  const scoring = new Map(everyone.map((id) => [id, scoringPairs(byId.get(id)!, plan.pairsPerUser)]));
  const pairsOf = new Map(everyone.map((id) => [id, new Map(scoring.get(id)!.map((p) => [p.pairId, p] as const))]));
  const calls = (users: readonly string[]) => users.reduce((s, u) => s + episodeCalls(scoring.get(u)!.length), 0);
  const guard = buildGuardContext(
    everyone.flatMap((id) => {
      const u = byId.get(id)!;
      return [...u.context, ...u.validation, ...u.test] as Pair[];
    }),
    [current.instructions],
  );
  const finalReserve = 2 * calls(H);
  const affordable = (n: number) => meter.affords(n + finalReserve);

  const candidates: Candidate[] = [];
  const add = (text: string, parents: number[], origin: CandidateOrigin, step: number): Candidate => {
    const c: Candidate = {
      id: candidates.length,
      text,
      hash: promptHash(text),
      parents,
      origin,
      step,
      status: 'proposed',
      scores: new Map(),
      episodes: new Map(),
    };
    candidates.push(c);
    return c;
  };
  const baseline = add(current.instructions, [], 'current', 0);
  baseline.status = 'pool';

  let result: Partial<ThetaSearchResult> = {};
  const runRecord = () => ({
    ...inp.runInfo,
    phase,
    steps,
    calls: meter.snapshot(),
    budget: inp.budget,
    candidates: candidates.length,
    ...(result.reason ? { accepted: result.accepted, reason: result.reason } : {}),
  });
  const persist = async () => inp.lineage?.update(runRecord(), candidates, S);
  await inp.lineage?.start(runRecord());

  // 1. First stages.
  const stages = new Map<string, FirstStage>();
  await forEachInPool(
    everyone,
    { concurrency: FIRST_STAGE_WORKERS, ...(signal ? { signal } : {}) },
    async (id, stop) => {
      const u = byId.get(id)!;
      stages.set(
        id,
        await firstStage(model, id, u.context, u.validation, inp.prompts, {
          temperature: inp.temperature,
          seed,
          k: inp.k,
          stopScore: inp.stopScore,
          ...(inp.labeledDemos !== undefined ? { labeledDemos: inp.labeledDemos } : {}),
          signal: stop,
          onNote: (m) => note(`${id}: ${m}`),
        }),
      );
    },
  );
  note(
    `first stages of ${everyone.length} user(s): ${meter.used} call(s) (at most ${plan.cost.firstStageBound} planned)`,
  );

  const episodeOpts = { temperature: inp.temperature, seed, ...(signal ? { signal } : {}) };
  const episodeOf = async (c: Candidate, user: string): Promise<Episode> => {
    const have = c.episodes.get(user);
    if (have) return have;
    const ep = await runEpisode(
      model,
      withExamples(c.text),
      stages.get(user)!,
      scoring.get(user)!,
      inp.prompts.judge.text,
      episodeOpts,
    );
    c.episodes.set(user, ep);
    c.scores.set(user, { correct: ep.correct, samples: ep.samples, persona: ep.persona });
    return ep;
  };
  const runOn = (c: Candidate, users: readonly string[]) => Promise.all(users.map((u) => episodeOf(c, u)));
  const missing = (c: Candidate, users: readonly string[]) => calls(users.filter((u) => !c.episodes.has(u)));
  const correctOn = (c: Candidate, users: readonly string[]) => users.reduce((s, u) => s + c.scores.get(u)!.correct, 0);
  const feedbackOf = (c: Candidate, users: readonly string[]) =>
    users.map((u, i) =>
      renderFeedback(c.episodes.get(u)!, pairsOf.get(u)!, i + 1, Math.floor(FEEDBACK_CHARS / users.length)),
    );

  // 2. Baselines.
  phase = 'baseline';
  await runOn(baseline, [...R, ...S]);
  note(
    `current Θ: ${pct(accuracyOn(baseline, S))} on the selection users, ${pct(accuracyOn(baseline, R))} on the reflection users`,
  );
  await persist();

  let reflections = 0;
  /** One call to the reflection model; the candidate it proposes, rejected when a guard says so. */
  const propose = async (
    messages: ChatMessage[],
    parents: number[],
    origin: CandidateOrigin,
    step: number,
  ): Promise<Candidate> => {
    let text: string;
    let obj: Record<string, unknown> | undefined;
    try {
      // A seed of its own per call: a real server at this temperature then writes another text each time.
      const r = await reflect.chat(
        {
          messages,
          schema: REFLECTION_SCHEMA,
          temperature: REFLECTION_TEMPERATURE,
          seed: seed + reflections++,
          purpose: 'theta reflection',
        },
        signal,
      );
      text = r.text;
      obj = answerObject(r);
    } catch (err) {
      if (isFatal(err) || signal?.aborted) throw err;
      throw incomplete(`the reflection call of step ${step} failed (${(err as Error).message})`);
    }
    const { instructions, diagnosis } = readRewrite(obj, text);
    const c = add(instructions, parents, origin, step);
    if (diagnosis) c.diagnosis = diagnosis;
    const verdict = checkCandidate(instructions, guard);
    const twin = candidates.find((d) => d !== c && d.hash === c.hash);
    if (!verdict.ok) {
      c.status = 'rejected';
      c.reason = `${verdict.guard}: ${verdict.reason}`;
      note(`candidate #${c.id} rejected: ${c.reason}`);
    } else if (twin) {
      c.status = 'discarded';
      c.reason = `repeats candidate #${twin.id}`;
    }
    return c;
  };

  // 3. Seed rewrites.
  phase = 'seed rewrites';
  const seedFeedback = feedbackOf(baseline, R.slice(0, SEED_FEEDBACK_USERS));
  for (let i = 0; i < Math.min(SEED_REWRITES, REWRITE_ANGLES.length); i++) {
    if (!affordable(1 + calls(S))) break;
    const c = await propose(
      reflectionMessages(baseline.text, seedFeedback, REWRITE_ANGLES[i]),
      [baseline.id],
      'rewrite',
      0,
    );
    if (c.status === 'proposed') {
      await runOn(c, S);
      c.status = 'pool';
      note(`seed rewrite #${c.id}: ${pct(accuracyOn(c, S))} on the selection users`);
    }
    await persist();
  }

  // 4. Search steps.
  phase = 'search';
  const rng = createRng(`${seed}:theta-search`);
  let rotation: string[] = [];
  const nextMinibatch = (): string[] => {
    const out: string[] = [];
    while (out.length < plan.minibatch) {
      if (!rotation.length) rotation = shuffled(R, rng);
      const u = rotation.shift()!;
      if (!out.includes(u)) out.push(u);
    }
    return out;
  };
  const merged = new Set<string>();
  let unbeatable = 0;
  for (;;) {
    const step = steps + 1;
    const front = paretoFront(candidates, S);
    const pair = inp.merge && step % MERGE_EVERY === 0 ? mergePair(front, candidates, merged) : undefined;
    const mb = nextMinibatch();
    const parents = pair ? pair.map((id) => candidates[id]!) : [candidates[drawParent(front, rng)]!];
    const need = parents.reduce((s, p) => s + missing(p, mb), 0) + 1 + calls(mb) + calls(S);
    if (!affordable(need)) break;
    steps = step;
    for (const p of parents) await runOn(p, mb);
    const parentScore = Math.max(...parents.map((p) => correctOn(p, mb)));
    // A parent right in every judgment of its minibatch cannot be beaten there: no reflection call for it.
    if (parentScore === mb.reduce((s, u) => s + parents[0]!.scores.get(u)!.samples, 0)) {
      if (++unbeatable > 2 * R.length + 2) {
        note(
          `step ${step}: the front's candidates are right in every judgment of the reflection users; the search stops`,
        );
        break;
      }
      continue;
    }
    const child = pair
      ? await propose(
          mergeMessages(mergeView(parents[0]!, parents[1]!, S), mergeView(parents[1]!, parents[0]!, S)),
          pair,
          'merge',
          step,
        )
      : await propose(
          reflectionMessages(parents[0]!.text, feedbackOf(parents[0]!, mb)),
          [parents[0]!.id],
          'reflection',
          step,
        );
    if (pair) merged.add(pair.join('+'));
    if (child.status === 'proposed') {
      await runOn(child, mb);
      const childScore = correctOn(child, mb);
      const samples = mb.reduce((s, u) => s + child.scores.get(u)!.samples, 0);
      child.minibatch = { users: mb, parent: parentScore, child: childScore, samples };
      const from = pair ? `merge of #${pair[0]} and #${pair[1]}` : `reflection on #${parents[0]!.id}`;
      if (childScore > parentScore) {
        await runOn(child, S);
        child.status = 'pool';
        note(
          `step ${step}: #${child.id} (${from}) did better on its minibatch (${childScore} vs ${parentScore} of ${samples}): ${pct(accuracyOn(child, S))} on the selection users`,
        );
      } else {
        child.status = 'discarded';
        child.reason = `no better than its parent${pair ? 's' : ''} on its minibatch (${childScore} vs ${parentScore} of ${samples} judgments)`;
      }
    }
    await persist();
  }

  // 5. The held-out check.
  phase = 'held-out check';
  const best = bestCandidate(candidates, S);
  const selection = { baseline: accuracyOn(baseline, S), best: accuracyOn(best, S) };
  let heldOut: HeldOutCheck | undefined;
  let reason: string;
  if (best === baseline) {
    reason = `not adopted: no candidate did better than the current Θ on the ${S.length} selection user(s) (current Θ ${pct(selection.baseline)}; ${candidates.length - 1} candidate(s) proposed)`;
  } else if (!meter.affords(missing(baseline, H) + missing(best, H))) {
    // Cannot happen (its share is set aside), but a check skipped must never read as a pass.
    reason = `not adopted: the budget left no room for the held-out check`;
  } else {
    const [b0, b1] = await Promise.all([runOn(baseline, H), runOn(best, H)]);
    heldOut = heldOutCheck(b0, b1, seed);
    reason = `${heldOut.sentence} (candidate #${best.id}: ${pct(selection.best)} on the selection users against ${pct(selection.baseline)})`;
  }
  result = { accepted: heldOut?.accepted ?? false, reason };
  await persist();
  return {
    plan,
    candidates,
    baseline,
    best,
    selection,
    ...(heldOut ? { heldOut } : {}),
    accepted: heldOut?.accepted ?? false,
    reason,
    steps,
    calls: meter.snapshot(),
    topics: topicWords(guard),
  };
}

/** Two front members to merge: most wins first, neither an ancestor of the other, not merged before. */
function mergePair(
  front: readonly FrontMember[],
  pool: readonly Candidate[],
  merged: ReadonlySet<string>,
): [number, number] | undefined {
  const ranked = [...front].sort((a, b) => b.wins - a.wins || a.id - b.id);
  for (let i = 0; i < ranked.length; i++) {
    for (let j = i + 1; j < ranked.length; j++) {
      const [a, b] = [ranked[i]!.id, ranked[j]!.id].sort((x, y) => x - y) as [number, number];
      if (merged.has(`${a}+${b}`) || isAncestor(pool, a, b) || isAncestor(pool, b, a)) continue;
      return [a, b];
    }
  }
  return undefined;
}

/** A candidate for the merge prompt: its text, and per selection user (by number) how it did against the other. */
function mergeView(c: Candidate, other: Candidate, users: readonly string[]): { theta: string; perUser: string } {
  const rows = users.map((u, i) => {
    const s = c.scores.get(u)!;
    const o = other.scores.get(u)!;
    const verdict =
      s.correct > o.correct
        ? 'better than the other version'
        : s.correct < o.correct
          ? 'worse than the other version'
          : 'as good as the other version';
    return `- user ${i + 1}: judge right in ${s.correct} of ${s.samples} judgments (${verdict})`;
  });
  return { theta: c.text, perUser: `How the judge did with the personas this version produced:\n${rows.join('\n')}` };
}
