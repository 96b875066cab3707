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
import { fitSettingsOf, type FitPrompts, type FitSettings } from '../method/fit';
import { BudgetMeter, type BudgetCounts } from './budget';
import { firstStage, type FirstStage } from '../method/first-stage';
import { episodeCalls, incomplete, runEpisode, type Episode } from './episode';
import { buildGuardContext, checkCandidate, topicWords, type GuardContext } from './guards';
import { composeTheta, parseTheta, type ThetaParts } from '../method/worked-examples';
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
import { words } from '../method/copied-runs';

/** Every this many steps, a merge instead of a reflection (when the front allows one). */
export const MERGE_EVERY = 4;
/** Reflection users whose failures a seed rewrite reads. */
const SEED_FEEDBACK_USERS = 4;
/** Users whose first stage runs at once (each one's calls run side by side too). */
const FIRST_STAGE_WORKERS = 4;
/**
 * Proposals in a row, each rejected (by a guard, or as a repeat), that repeat an earlier candidate's text: the
 * reflection model is stuck on one answer, and every further call would buy the same text again (a small model
 * once proposed one text 222 times over a budget). The search stops there.
 */
export const REPEATS_TO_STOP = 5;
/** Word-trigram overlap (Jaccard) from which two texts count as near-identical. */
const NEAR_IDENTICAL = 0.9;

export type ThetaPhase = 'first stage' | 'baseline' | 'seed rewrites' | 'search' | 'held-out check';

export interface ThetaProgress {
  phase: ThetaPhase;
  used: number;
  budget: number;
  step: number;
}

/** The fit settings are the first stage's: a user fitted with the same ones answers it from the cache. */
export interface ThetaSearchInputs extends FitSettings {
  model: ChatModel;
  /** The model that rewrites Θ (usually a larger one); the main model when not given. */
  reflectModel?: ChatModel;
  users: readonly ThetaUserData[];
  plan: ThetaPlan;
  /** The fit's prompts; `personaSynthesis` is the current Θ, where the search starts. */
  prompts: FitPrompts;
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
  /** Why the search stopped before its budget ran out (proposals that kept repeating one text), if it did. */
  stopped?: string;
}

export interface Accuracy {
  correct: number;
  samples: number;
  accuracy: number;
}

const pct = (a: Accuracy) => `${percent(a.accuracy)} (${a.correct}/${a.samples})`;

export async function searchTheta(inp: ThetaSearchInputs): Promise<ThetaSearchResult> {
  const search = new ThetaSearch(inp);
  await search.start();
  await search.firstStages();
  await search.baselines();
  await search.seedRewrites();
  await search.searchSteps();
  return search.finish();
}

/** One search's state: the budget meter, the users' data, the candidates; each phase is one method. */
class ThetaSearch {
  private phase: ThetaPhase = 'first stage';
  private steps = 0;
  private readonly meter: BudgetMeter;
  private readonly model: ChatModel;
  private readonly reflect: ChatModel;
  private readonly current: ThetaParts;
  private readonly byId: Map<string, ThetaUserData>;
  private readonly roles: { R: readonly string[]; S: readonly string[]; H: readonly string[] };
  private readonly everyone: string[];
  private readonly scoring: Map<string, Pair[]>;
  private readonly pairsOf: Map<string, Map<string, Pair>>;
  private readonly guard: GuardContext;
  private readonly candidates: Candidate[] = [];
  private readonly baseline: Candidate;
  private readonly stages = new Map<string, FirstStage>();
  private reflections = 0;
  /** Rejected proposals in a row that repeat an earlier text (REPEATS_TO_STOP). */
  private repeats = 0;
  private stopped: string | undefined;
  private readonly texts: { words: string; trigrams: Set<string> }[] = [];
  private result: Partial<ThetaSearchResult> = {};

  constructor(private readonly inp: ThetaSearchInputs) {
    const { reflection: R, selection: S, heldOut: H } = inp.plan.roles;
    this.roles = { R, S, H };
    this.meter = new BudgetMeter(
      inp.budget,
      (c) => inp.onProgress?.({ phase: this.phase, used: c.used, budget: inp.budget, step: this.steps }),
      inp.requests,
    );
    this.model = this.meter.wrap(inp.model);
    this.reflect = inp.reflectModel ? this.meter.wrap(inp.reflectModel) : this.model;
    // The search rewrites Θ's instructions; its worked examples (worked-examples.ts) go with every candidate unchanged.
    this.current = parseTheta(inp.prompts.personaSynthesis.text);
    this.byId = new Map(inp.users.map((u) => [u.id, u]));
    this.everyone = [...R, ...S, ...H];
    this.scoring = new Map(this.everyone.map((id) => [id, scoringPairs(this.byId.get(id)!, inp.plan.pairsPerUser)]));
    this.pairsOf = new Map(
      this.everyone.map((id) => [id, new Map(this.scoring.get(id)!.map((p) => [p.pairId, p] as const))]),
    );
    const pairs = this.everyone.flatMap((id) => {
      const u = this.byId.get(id)!;
      return [...u.context, ...u.validation, ...u.test] as Pair[];
    });
    this.guard = buildGuardContext(pairs, [this.current.instructions]);
    this.baseline = this.add(this.current.instructions, [], 'current', 0);
    this.baseline.status = 'pool';
    this.texts.push(textShape(this.baseline.text));
  }

  private note(m: string): void {
    this.inp.onNote?.(m);
  }

  private calls(users: readonly string[]): number {
    return users.reduce((s, u) => s + episodeCalls(this.scoring.get(u)!.length), 0);
  }

  /** Room for `n` calls, with the held-out check's share set aside. */
  private affordable(n: number): boolean {
    return this.meter.affords(n + 2 * this.calls(this.roles.H));
  }

  private add(text: string, parents: number[], origin: CandidateOrigin, step: number): Candidate {
    const c: Candidate = {
      id: this.candidates.length,
      text,
      hash: promptHash(text),
      parents,
      origin,
      step,
      status: 'proposed',
      scores: new Map(),
      episodes: new Map(),
    };
    this.candidates.push(c);
    return c;
  }

  private runRecord() {
    const { result } = this;
    return {
      ...this.inp.runInfo,
      phase: this.phase,
      steps: this.steps,
      calls: this.meter.snapshot(),
      budget: this.inp.budget,
      candidates: this.candidates.length,
      ...(result.reason ? { accepted: result.accepted, reason: result.reason } : {}),
    };
  }

  private async persist(): Promise<void> {
    await this.inp.lineage?.update(this.runRecord(), this.candidates, this.roles.S);
  }

  async start(): Promise<void> {
    await this.inp.lineage?.start(this.runRecord());
  }

  /** 1. Each user's first stage, a few users at a time. */
  async firstStages(): Promise<void> {
    const { inp } = this;
    const options = { concurrency: FIRST_STAGE_WORKERS, ...(inp.signal ? { signal: inp.signal } : {}) };
    await forEachInPool(this.everyone, options, async (id, signal) => {
      const u = this.byId.get(id)!;
      const stage = await firstStage(this.model, id, u.context, u.validation, inp.prompts, {
        ...fitSettingsOf(inp),
        signal,
        onNote: (m) => this.note(`${id}: ${m}`),
      });
      this.stages.set(id, stage);
    });
    const bound = inp.plan.cost.firstStageBound;
    this.note(`first stages of ${this.everyone.length} user(s): ${this.meter.used} call(s) (at most ${bound} planned)`);
  }

  private async episodeOf(c: Candidate, user: string): Promise<Episode> {
    const have = c.episodes.get(user);
    if (have) return have;
    const { inp } = this;
    const ep = await runEpisode(
      this.model,
      composeTheta(c.text, this.current.examples),
      this.stages.get(user)!,
      this.scoring.get(user)!,
      inp.prompts.judge.text,
      { temperature: inp.temperature, seed: inp.seed, ...(inp.signal ? { signal: inp.signal } : {}) },
    );
    c.episodes.set(user, ep);
    c.scores.set(user, { correct: ep.correct, samples: ep.samples, persona: ep.persona });
    return ep;
  }

  private runOn(c: Candidate, users: readonly string[]): Promise<Episode[]> {
    return Promise.all(users.map((u) => this.episodeOf(c, u)));
  }

  private missing(c: Candidate, users: readonly string[]): number {
    return this.calls(users.filter((u) => !c.episodes.has(u)));
  }

  private feedbackOf(c: Candidate, users: readonly string[]): string[] {
    const chars = Math.floor(FEEDBACK_CHARS / users.length);
    return users.map((u, i) => renderFeedback(c.episodes.get(u)!, this.pairsOf.get(u)!, i + 1, chars));
  }

  /** 2. The current Θ on every reflection and selection user. */
  async baselines(): Promise<void> {
    const { R, S } = this.roles;
    this.phase = 'baseline';
    await this.runOn(this.baseline, [...R, ...S]);
    this.note(
      `current Θ: ${pct(accuracyOn(this.baseline, S))} on the selection users, ` +
        `${pct(accuracyOn(this.baseline, R))} on the reflection users`,
    );
    await this.persist();
  }

  /** One call to the reflection model; the candidate it proposes, rejected when a guard says so. */
  private async propose(
    messages: ChatMessage[],
    parents: number[],
    origin: CandidateOrigin,
    step: number,
  ): Promise<Candidate> {
    const { signal } = this.inp;
    let text: string;
    let obj: Record<string, unknown> | undefined;
    try {
      // A seed of its own per call: a real server at this temperature then writes another text each time.
      const request = {
        messages,
        schema: REFLECTION_SCHEMA,
        temperature: REFLECTION_TEMPERATURE,
        seed: this.inp.seed + this.reflections++,
        purpose: 'theta reflection',
      };
      const r = await this.reflect.chat(request, signal);
      text = r.text;
      obj = answerObject(r);
    } catch (err) {
      if (isFatal(err) || signal?.aborted) throw err;
      throw incomplete(`the reflection call of step ${step} failed (${(err as Error).message})`);
    }
    const { instructions, diagnosis } = readRewrite(obj, text);
    const c = this.add(instructions, parents, origin, step);
    if (diagnosis) c.diagnosis = diagnosis;
    const verdict = checkCandidate(instructions, this.guard);
    const twin = this.candidates.find((d) => d !== c && d.hash === c.hash);
    if (!verdict.ok) {
      c.status = 'rejected';
      c.reason = `${verdict.guard}: ${verdict.reason}`;
      this.note(`candidate #${c.id} rejected: ${c.reason}`);
    } else if (twin) {
      c.status = 'discarded';
      c.reason = `repeats candidate #${twin.id}`;
    }
    this.countRepeat(c);
    return c;
  }

  /** A rejected proposal that repeats an earlier text (the same words, or nearly) adds to the run; any other ends it. */
  private countRepeat(c: Candidate): void {
    const mine = textShape(c.text);
    const again = this.texts.some(
      (t) => t.words === mine.words || overlap(t.trigrams, mine.trigrams) >= NEAR_IDENTICAL,
    );
    if (!again) this.texts.push(mine);
    this.repeats = again && c.status !== 'proposed' ? this.repeats + 1 : 0;
    if (this.repeats >= REPEATS_TO_STOP && !this.stopped) {
      this.stopped =
        `the last ${this.repeats} proposals were rejected and repeat earlier candidates (same or nearly the same text): ` +
        'the reflection model is stuck on one answer, so the search stops instead of buying it again';
      this.note(this.stopped);
    }
  }

  /** 3. A few rewrites of the current Θ from its failures on the reflection users, scored on the selection users. */
  async seedRewrites(): Promise<void> {
    const { R, S } = this.roles;
    this.phase = 'seed rewrites';
    const feedback = this.feedbackOf(this.baseline, R.slice(0, SEED_FEEDBACK_USERS));
    for (let i = 0; i < Math.min(SEED_REWRITES, REWRITE_ANGLES.length); i++) {
      if (!this.affordable(1 + this.calls(S))) break;
      const messages = reflectionMessages(this.baseline.text, feedback, REWRITE_ANGLES[i]);
      const c = await this.propose(messages, [this.baseline.id], 'rewrite', 0);
      if (c.status === 'proposed') {
        await this.runOn(c, S);
        c.status = 'pool';
        this.note(`seed rewrite #${c.id}: ${pct(accuracyOn(c, S))} on the selection users`);
      }
      await this.persist();
    }
  }

  /** 4. Steps while the budget has room for one: a reflection on a parent from the front, or a merge. */
  async searchSteps(): Promise<void> {
    const { R } = this.roles;
    this.phase = 'search';
    const rng = createRng(`${this.inp.seed}:theta-search`);
    let rotation: string[] = [];
    const nextMinibatch = (): string[] => {
      const out: string[] = [];
      while (out.length < this.inp.plan.minibatch) {
        if (!rotation.length) rotation = shuffled(R, rng);
        const u = rotation.shift()!;
        if (!out.includes(u)) out.push(u);
      }
      return out;
    };
    const merged = new Set<string>();
    let unbeatable = 0;
    for (;;) {
      const step = this.steps + 1;
      const front = paretoFront(this.candidates, this.roles.S);
      const pair = this.inp.merge && step % MERGE_EVERY === 0 ? mergePair(front, this.candidates, merged) : undefined;
      const mb = nextMinibatch();
      const parents = pair ? pair.map((id) => this.candidates[id]!) : [this.candidates[drawParent(front, rng)]!];
      const outcome = await this.step(step, mb, parents, pair);
      if (outcome === 'no room' || this.stopped) break;
      if (outcome === 'done') {
        if (pair) merged.add(pair.join('+'));
        continue;
      }
      // A parent right in every judgment of its minibatch cannot be beaten there: no reflection call for it.
      if (++unbeatable > 2 * R.length + 2) {
        this.note(
          `step ${step}: the front's candidates are right in every judgment of the reflection users; the search stops`,
        );
        break;
      }
    }
  }

  /** One step on a minibatch: the parents' episodes, a child from the reflection model, kept if it does better. */
  private async step(
    step: number,
    mb: string[],
    parents: Candidate[],
    pair: [number, number] | undefined,
  ): Promise<'no room' | 'unbeatable' | 'done'> {
    const { S } = this.roles;
    const need = parents.reduce((s, p) => s + this.missing(p, mb), 0) + 1 + this.calls(mb) + this.calls(S);
    if (!this.affordable(need)) return 'no room';
    this.steps = step;
    for (const p of parents) await this.runOn(p, mb);
    const correctOn = (c: Candidate) => mb.reduce((s, u) => s + c.scores.get(u)!.correct, 0);
    const samplesOf = (c: Candidate) => mb.reduce((s, u) => s + c.scores.get(u)!.samples, 0);
    const parentScore = Math.max(...parents.map(correctOn));
    if (parentScore === samplesOf(parents[0]!)) return 'unbeatable';
    const [p0, p1] = parents as [Candidate, Candidate | undefined];
    const child = pair
      ? await this.propose(mergeMessages(mergeView(p0, p1!, S), mergeView(p1!, p0, S)), pair, 'merge', step)
      : await this.propose(reflectionMessages(p0.text, this.feedbackOf(p0, mb)), [p0.id], 'reflection', step);
    if (child.status === 'proposed') {
      await this.runOn(child, mb);
      const childScore = correctOn(child);
      const samples = samplesOf(child);
      child.minibatch = { users: mb, parent: parentScore, child: childScore, samples };
      const from = pair ? `merge of #${pair[0]} and #${pair[1]}` : `reflection on #${p0.id}`;
      const figures = `${childScore} vs ${parentScore} of ${samples}`;
      if (childScore > parentScore) {
        await this.runOn(child, S);
        child.status = 'pool';
        const selection = `${pct(accuracyOn(child, S))} on the selection users`;
        this.note(`step ${step}: #${child.id} (${from}) did better on its minibatch (${figures}): ${selection}`);
      } else {
        child.status = 'discarded';
        child.reason = `no better than its parent${pair ? 's' : ''} on its minibatch (${figures} judgments)`;
      }
    }
    await this.persist();
    return 'done';
  }

  /** 5. The best candidate on the selection users against the current Θ on the held-out users; the result. */
  async finish(): Promise<ThetaSearchResult> {
    const { S, H } = this.roles;
    const { baseline, candidates, meter } = this;
    this.phase = 'held-out check';
    const best = bestCandidate(candidates, S);
    const selection = { baseline: accuracyOn(baseline, S), best: accuracyOn(best, S) };
    let heldOut: HeldOutCheck | undefined;
    let reason: string;
    if (best === baseline) {
      reason =
        `not adopted: no candidate did better than the current Θ on the ${S.length} selection user(s) ` +
        `(current Θ ${pct(selection.baseline)}; ${candidates.length - 1} candidate(s) proposed)`;
    } else if (!meter.affords(this.missing(baseline, H) + this.missing(best, H))) {
      // Cannot happen (its share is set aside), but a check skipped must never read as a pass.
      reason = `not adopted: the budget left no room for the held-out check`;
    } else {
      const [b0, b1] = await Promise.all([this.runOn(baseline, H), this.runOn(best, H)]);
      heldOut = heldOutCheck(b0, b1, this.inp.seed);
      reason =
        `${heldOut.sentence} (candidate #${best.id}: ${pct(selection.best)} on the selection users ` +
        `against ${pct(selection.baseline)})`;
    }
    const accepted = heldOut?.accepted ?? false;
    this.result = { accepted, reason };
    await this.persist();
    return {
      plan: this.inp.plan,
      candidates,
      baseline,
      best,
      selection,
      ...(heldOut ? { heldOut } : {}),
      accepted,
      reason,
      steps: this.steps,
      calls: meter.snapshot(),
      topics: topicWords(this.guard),
      ...(this.stopped ? { stopped: this.stopped } : {}),
    };
  }
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

/** A text as the repeat rule compares it: its words (case and punctuation aside), and its word trigrams. */
function textShape(text: string): { words: string; trigrams: Set<string> } {
  const ws = words(text);
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= ws.length; i++) trigrams.add(ws.slice(i, i + 3).join(' '));
  return { words: ws.join(' '), trigrams };
}

function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (!a.size || !b.size) return 0;
  let both = 0;
  for (const t of a) if (b.has(t)) both++;
  return both / (a.size + b.size - both);
}
