// Re-validating an edit: judge a split with the text as it is now and with its previous version, and
// compare the two pair by pair (METHOD.md section 4: a paired comparison on the same pairs, clustered
// by user when there are several). What can be re-validated, and with which method:
//   - the judge prompt: every user judged with persona+demos when they have a persona file, with the
//     default judge otherwise (the method each user would be evaluated with; both use the judge prompt);
//   - the memory prompt: the memory method (the only one that uses it);
//   - the persona-synthesis prompt Θ: each user's persona re-synthesized from their first stage
//     (fit.ts synthesizePersona) with each version of Θ, then persona+demos with the first stage's
//     demonstrations on both sides, so that only the persona differs; no persona file is written;
//   - a persona file: persona+demos for the file's user.
// The previous version comes from history (prompt-store.ts, the persona's history folder); nothing is
// compared with itself. Without another version, a prompt is not judged at all; a persona file is judged
// alone (its accuracy and interval, no comparison), as VS Code always showed it. The text used is kept as
// a version, so a later edit is compared with it. On request (VS Code's Re-validate Persona) the persona
// file then records the new validation figures (revalidate-figures.ts).
//
// The CLI (`synthesizeme revalidate`) and the extension share this engine: prepareRevalidation (no
// calls), estimateRevalidation (the estimate, replaying the cache only), runRevalidation.

import { READ_LIMITS, readOwnText } from '../read-guard';
import { basename } from 'node:path';
import type { ChatModel, ChatRequest } from '../llm/types';
import type { RunEstimate } from '../llm/estimate';
import type { ContextPlan } from '../llm/client';
import type { Pair } from '../data/pair';
import type { UserEntry } from '../data/workspace-index';
import { DEFAULT_PROMPTS, type PromptName } from '../method/default-prompts';
import { previousPromptVersion, promptHash, recordPromptVersion, type Prompt } from '../method/prompt-store';
import { parsePersona, readUserPersonaFile, type PersonaModel } from '../method/persona-file';
import { exampleUsers } from '../method/worked-examples';
import {
  DEFAULT_FIT_OPTIONS,
  presentationOrder,
  synthesizePersona,
  type FitKnobs,
  type FitOptions,
  type FitPrompts,
} from '../method/fit';
import { bootstrapRequests, planFitRequests, TYPICAL_PERSONA, typicalExamples } from '../method/fit-plan';
import { extractMemory, MethodUnavailable, profileFor, type Method } from '../method/methods';
import { judgeMessages, judgeSystem, memoryMessages } from '../method/messages';
import { JUDGMENT_SCHEMA, MEMORY_SCHEMA } from '../method/schemas';
import type { PairVerdict } from '../method/judge';
import { isFatal } from '../method/judge';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { pairsBySplit } from '../workspace/open-workspace';
import { keepVersion, listVersions } from '../versions/version-store';
import { evaluate, figures, type EvalUser } from './evaluate';
import { compareVerdicts, type VerdictComparison } from './compare';
import { verdictKey, type RunFailures, type UserFigures } from './run-file';
import { comparisonPowerNote } from './sample-size';
import { CacheOnlyModel, type Estimating } from './revalidate-estimate';
import { saveValidationFigures } from './revalidate-figures';
import { firstStage, synthesisRequest, type FirstStage } from '../method/first-stage';
import { textHash } from '../text-hash';
import { UserError } from '../user-error';
import { mkdirChecked } from '../write-guard';
import { forEachInPool } from '../work-pool';

/** The prompts that can be re-validated (bootstrap shapes the whole fit: re-fit to measure it). */
export const REVALIDATE_PROMPTS = ['judge', 'memory', 'persona-synthesis'] as const;
export type RevalidatePrompt = (typeof REVALIDATE_PROMPTS)[number];

export function isRevalidatePrompt(s: string): s is RevalidatePrompt {
  return (REVALIDATE_PROMPTS as readonly string[]).includes(s);
}

export type RevalidateTarget =
  | { kind: 'prompt'; name: RevalidatePrompt }
  /** `text`: the persona as an editor shows it, unsaved (else the file's text). */
  | { kind: 'persona'; path: string; text?: string };

/** What a re-validation reads of a workspace (a Workspace of open-workspace.ts has it all). */
export interface RevalidateWorkspace {
  layout: WorkspaceLayout;
  prompts: { get(name: PromptName): Promise<Prompt> };
  split: { seed: number };
}

export interface RevalidateInputs {
  ws: RevalidateWorkspace;
  target: RevalidateTarget;
  /** The users to judge; for a persona file, the file's user must be among them. */
  users: readonly UserEntry[];
  split: 'validation' | 'test';
  temperature: number;
  /** Θ only: the fit's k, stop score and demo count, over each user's persona file's provenance (else the fit's defaults). */
  fit?: Partial<FitKnobs>;
  /** How paths are shown in messages (relative to the current folder, in the CLI). */
  display?: (path: string) => string;
}

export interface RevalidateRun {
  model: ChatModel;
  modelDigest?: string;
  baseUrl?: string;
  label?: string;
  signal?: AbortSignal;
  onProgress?: (label: string, done: number, total: number) => void;
  onNote?: (message: string) => void;
  /**
   * A persona file only, on validation: once the run is complete, the file records the new validation
   * figures and `edited: true` when an earlier version differs (through savePersona, which keeps the
   * version it replaces). VS Code's Re-validate Persona sets it; the CLI leaves the file as it is.
   */
  saveFigures?: boolean;
  /** False: the current text is not kept as a version (VS Code's Compare persona versions only looks). */
  keepCurrent?: boolean;
}

/** A version compared with: its id is the history file's name, or "default" for the shipped default. */
export interface VersionRef {
  id: string;
  path?: string;
  source: 'history' | 'default';
  hash: string;
}

export interface MethodGroup {
  method: Method;
  users: UserEntry[];
}

export interface RevalidationPlan {
  inputs: RevalidateInputs;
  /** The prompt's name, or the persona file as displayed. */
  target: string;
  kind: 'prompt' | 'persona';
  current: { text: string; hash: string; path?: string };
  previous?: VersionRef & { text: string };
  /** Set when there is nothing to compare with; nothing is judged then. */
  nothingToCompare?: string;
  /** A persona file with no earlier version that differs: it is judged alone, and this says so. */
  alone?: string;
  /** Which method each user is judged with. */
  groups: MethodGroup[];
  skipped: { user: string; reason: string }[];
  prompts: { judge: Prompt; memory: Prompt; bootstrap: Prompt; personaSynthesis: Prompt };
  /** Persona files by user (judge prompt: who is judged with persona+demos; a persona file: both versions). */
  personas: Map<string, { model: PersonaModel; hash: string }>;
  previousPersona?: PersonaModel;
  fit: Required<FitKnobs> & { byUser: Map<string, Required<FitKnobs>> };
}

/** One order of a pair, 1 right and 0 wrong (null: that order was not judged). */
export interface OrderScores {
  AB: number | null;
  BA: number | null;
  /** The pair's score: the mean of its orders. */
  score: number;
}

export interface FlippedPair {
  pair: string;
  user: string;
  before: OrderScores;
  after: OrderScores;
}

export interface RevalidateResult {
  target: string;
  kind: 'prompt' | 'persona';
  split: string;
  /** The version compared with; undefined when there is none (see message). */
  previous?: VersionRef;
  /** Why nothing was compared. */
  message?: string;
  methods: { method: Method; users: string[] }[];
  pairs: number;
  users: number;
  /** Current minus previous, as a proportion; null without a comparison. */
  difference: number | null;
  ci95: [number, number] | null;
  p: number | null;
  flipped: FlippedPair[];
  comparison?: VerdictComparison;
  /** What this many pairs can show at all. */
  power?: string;
  runs: { previous: string[]; current: string[] };
  /** False when calls failed: the comparison covers the pairs judged on both sides only. */
  complete: boolean;
  failed: RunFailures;
  /** Users left out because a call of their first stage or persona synthesis failed (Θ). */
  incomplete: { user: string; reason: string }[];
  skipped: { user: string; reason: string }[];
  /** The history file the current text is kept as. */
  recorded?: string;
  /**
   * Each side's figures over all the pairs it judged (the previous side only with a comparison): a
   * persona judged alone has its accuracy and interval here.
   */
  figures: { current?: SideFigures; previous?: SideFigures };
  /** The persona file written with the new figures (RevalidateRun.saveFigures). */
  saved?: string;
}

/** What one side's run measured: accuracy, its 95% interval, consistency, samples and pairs. */
export type SideFigures = Omit<UserFigures, 'id'>;

const PERSONA_VERSION = '.persona.yaml';

/** Reads the target and its previous version and decides the methods; makes no call and writes nothing. */
export async function prepareRevalidation(inputs: RevalidateInputs): Promise<RevalidationPlan> {
  const { ws } = inputs;
  const [judge, memory, bootstrap, personaSynthesis] = await Promise.all([
    ws.prompts.get('judge'),
    ws.prompts.get('memory'),
    ws.prompts.get('bootstrap'),
    ws.prompts.get('persona-synthesis'),
  ]);
  const base: PlanBase = {
    inputs,
    skipped: [],
    prompts: { judge, memory, bootstrap, personaSynthesis },
    personas: new Map(),
  };
  return inputs.target.kind === 'persona'
    ? preparePersona(base, inputs.target.path)
    : preparePrompt(base, inputs.target.name);
}

async function readPersonaTarget(path: string, show: (p: string) => string): Promise<string> {
  try {
    return await readOwnText(path, { what: 'persona file', maxBytes: READ_LIMITS.text });
  } catch (err) {
    if (err instanceof UserError) throw err;
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such persona file' : (err as Error).message;
    throw new UserError(`${show(path)}: ${why}`, 2);
  }
}

type PlanBase = Pick<RevalidationPlan, 'inputs' | 'skipped' | 'prompts' | 'personas'>;

const showOf = (inputs: RevalidateInputs) => inputs.display ?? ((p: string) => p);

/** A persona file: persona+demos for its user, against the newest kept version that differs. */
async function preparePersona(base: PlanBase, path: string): Promise<RevalidationPlan> {
  const { inputs } = base;
  const show = showOf(inputs);
  const given = inputs.target.kind === 'persona' ? inputs.target.text : undefined;
  const text = given ?? (await readPersonaTarget(path, show));
  const model = parsePersona(text, show(path));
  const user = inputs.users.find((u) => u.id === model.userId);
  if (!user)
    throw new UserError(`${show(path)} is the persona of user "${model.userId}", who has no pairs in the workspace`, 2);
  base.personas.set(user.id, { model, hash: promptHash(text) });
  const previous = await previousPersonaVersion(personaHistoryDir(inputs.ws.layout, user.id), model);
  return {
    ...base,
    target: show(path),
    kind: 'persona',
    current: { text, hash: promptHash(text), path },
    ...(previous
      ? { previous: previous.ref, previousPersona: previous.model }
      : {
          alone:
            `${show(path)}: no earlier version of this persona differs from it (history holds the fitted ` +
            'version and every saved one): the current persona is judged alone, with nothing to compare it with',
        }),
    groups: [{ method: 'persona+demos', users: [user] }],
    fit: { ...pickFit(inputs), byUser: new Map() },
  };
}

/** A prompt: its previous version from history (or the shipped default) and the method each user is judged with. */
async function preparePrompt(base: PlanBase, name: RevalidatePrompt): Promise<RevalidationPlan> {
  const { inputs } = base;
  const prompt = await inputs.ws.prompts.get(name);
  const prev = await previousPromptVersion(inputs.ws.layout.historyDir, name, prompt.text);
  const previous = prev
    ? {
        id: prev.source === 'default' ? 'default' : basename(prev.path!),
        ...(prev.path ? { path: prev.path } : {}),
        source: prev.source,
        hash: prev.hash,
        text: prev.text,
      }
    : undefined;
  const byUser = new Map<string, Required<FitKnobs>>();
  const groups: MethodGroup[] =
    name === 'judge'
      ? await judgeGroups(base)
      : name === 'memory'
        ? [{ method: 'memory', users: [...inputs.users] }]
        : await thetaGroups(base, [prompt.text, ...(previous ? [previous.text] : [])], byUser);
  const unchanged =
    prompt.text === DEFAULT_PROMPTS[name] ? 'the shipped default' : 'unchanged since its last kept version';
  return {
    ...base,
    target: name,
    kind: 'prompt',
    current: { text: prompt.text, hash: prompt.hash, ...(prompt.path ? { path: prompt.path } : {}) },
    ...(previous
      ? { previous }
      : { nothingToCompare: `${name}: the prompt is ${unchanged}, and no other version exists: nothing to compare` }),
    groups,
    fit: { ...pickFit(inputs), byUser },
  };
}

/** The judge prompt: the method each user is evaluated with, persona+demos once fitted, the default judge before. */
async function judgeGroups(base: PlanBase): Promise<MethodGroup[]> {
  const { inputs } = base;
  const fitted: UserEntry[] = [];
  const unfitted: UserEntry[] = [];
  for (const u of inputs.users) {
    const found = await readUserPersonaFile(inputs.ws.layout.personaDir, u.id, showOf(inputs));
    if (found) base.personas.set(u.id, { model: found.model, hash: found.hash });
    (found ? fitted : unfitted).push(u);
  }
  return [
    ...(fitted.length ? [{ method: 'persona+demos' as const, users: fitted }] : []),
    ...(unfitted.length ? [{ method: 'default' as const, users: unfitted }] : []),
  ];
}

/** Θ: the users with a first stage to start from and no worked example in either version, with their fit's knobs. */
async function thetaGroups(
  base: PlanBase,
  thetas: readonly string[],
  byUser: Map<string, Required<FitKnobs>>,
): Promise<MethodGroup[]> {
  const { inputs } = base;
  const ready: UserEntry[] = [];
  // A user whose fit is a worked example in either version of Θ has their own answer in the prompt.
  const inTheta = new Set(thetas.flatMap((t) => [...exampleUsers(t)]));
  for (const u of inputs.users) {
    if (pairsBySplit(u).context.length === 0) {
      base.skipped.push({ user: u.id, reason: 'no context pairs: no first stage to synthesize a persona from' });
      continue;
    }
    if (inTheta.has(u.id)) {
      base.skipped.push({
        user: u.id,
        reason: "a worked example in Θ comes from this user's fit, so Θ holds their data",
      });
      continue;
    }
    ready.push(u);
    // The first stage is the fit's when it is made with the fit's k and stop score: then it is cached.
    const found = await readUserPersonaFile(inputs.ws.layout.personaDir, u.id, showOf(inputs)).catch(() => undefined);
    const prov = found?.model.provenance;
    byUser.set(u.id, {
      k: inputs.fit?.k ?? prov?.k ?? DEFAULT_FIT_OPTIONS.k,
      stopScore: inputs.fit?.stopScore ?? prov?.stopScore ?? DEFAULT_FIT_OPTIONS.stopScore,
      // A persona file without a demo count was fitted before labelled demonstrations existed: with none.
      labeledDemos: inputs.fit?.labeledDemos ?? (prov ? (prov.labeledDemos ?? 0) : DEFAULT_FIT_OPTIONS.labeledDemos),
    });
  }
  return ready.length ? [{ method: 'persona+demos', users: ready }] : [];
}

function pickFit(inputs: RevalidateInputs): Required<FitKnobs> {
  return {
    k: inputs.fit?.k ?? DEFAULT_FIT_OPTIONS.k,
    stopScore: inputs.fit?.stopScore ?? DEFAULT_FIT_OPTIONS.stopScore,
    labeledDemos: inputs.fit?.labeledDemos ?? DEFAULT_FIT_OPTIONS.labeledDemos,
  };
}

/** The newest kept version of a persona whose persona text or demonstrations differ from the current one. */
export async function previousPersonaVersion(
  historyDir: string,
  current: PersonaModel,
): Promise<{ ref: VersionRef & { text: string }; model: PersonaModel } | undefined> {
  for (const v of await listVersions(historyDir, PERSONA_VERSION)) {
    let model: PersonaModel;
    try {
      model = parsePersona(v.text, v.path);
    } catch {
      continue; // a damaged version is no comparison
    }
    if (model.userId !== current.userId || sameContent(model, current)) continue;
    return { ref: { id: basename(v.path), path: v.path, source: 'history', hash: v.hash, text: v.text }, model };
  }
  return undefined;
}

/** Provenance aside (re-validation and re-fits rewrite it), the same persona and the same demonstrations. */
function sameContent(a: PersonaModel, b: PersonaModel): boolean {
  const demos = (m: PersonaModel) =>
    JSON.stringify(m.demos.map((d) => [d.pairId, d.order, d.preference, d.reasoning.trim()]));
  return a.persona.trim() === b.persona.trim() && demos(a) === demos(b);
}

type Side = 'previous' | 'current';

function sidePrompts(plan: RevalidationPlan, side: Side): { judge: Prompt; memory: Prompt } {
  const { judge, memory } = plan.prompts;
  if (side === 'current' || plan.kind !== 'prompt' || !plan.previous) return { judge, memory };
  const prev = { text: plan.previous.text, hash: plan.previous.hash };
  if (plan.target === 'judge') return { judge: { name: 'judge', ...prev }, memory };
  if (plan.target === 'memory') return { judge, memory: { name: 'memory', ...prev } };
  return { judge, memory };
}

function thetaOf(plan: RevalidationPlan, side: Side): { text: string; hash: string } {
  return side === 'current' || !plan.previous
    ? { text: plan.prompts.personaSynthesis.text, hash: plan.prompts.personaSynthesis.hash }
    : { text: plan.previous.text, hash: plan.previous.hash };
}

function evalUser(
  u: UserEntry,
  split: RevalidateInputs['split'],
  persona?: { model: PersonaModel; hash?: string },
): EvalUser {
  const s = pairsBySplit(u);
  return {
    id: u.id,
    pairs: u.pairs,
    context: s.context,
    target: split === 'test' ? s.test : s.validation,
    ...(persona ? { persona: persona.model, ...(persona.hash ? { personaHash: persona.hash } : {}) } : {}),
  };
}

/** The users of a group as one side judges them (the prompt targets and persona files: no call needed). */
function sideUsers(plan: RevalidationPlan, group: MethodGroup, side: Side): EvalUser[] {
  return group.users.map((u) => {
    if (group.method === 'default' || group.method === 'memory') return evalUser(u, plan.inputs.split);
    if (plan.kind === 'persona' && side === 'previous')
      return evalUser(u, plan.inputs.split, { model: plan.previousPersona!, hash: plan.previous!.hash });
    return evalUser(u, plan.inputs.split, plan.personas.get(u.id));
  });
}

/** A persona model for a synthesized persona and the first stage's demonstrations (never written to a file). */
function synthesizedModel(stage: FirstStage, persona: string): PersonaModel {
  return {
    userId: stage.userId,
    persona,
    demos: stage.examples.map(({ pair, demo }) => ({
      pairId: pair.pairId,
      order: demo.order,
      preference: demo.preference,
      reasoning: demo.reasoning,
    })),
    provenance: { provider: '', model: '', seed: 0, temperature: 0, k: 0, stopScore: 0, prompts: {}, created: '' },
  };
}

function judgeRequests(system: string, pairs: readonly Pair[], temperature: number, seed: number): ChatRequest[] {
  return pairs.flatMap((p) =>
    (['AB', 'BA'] as const).map((o) => ({
      messages: judgeMessages(system, p, o),
      schema: JUDGMENT_SCHEMA,
      temperature,
      seed,
    })),
  );
}

function fitPrompts(plan: RevalidationPlan): FitPrompts {
  return {
    bootstrap: plan.prompts.bootstrap,
    personaSynthesis: plan.prompts.personaSynthesis,
    judge: plan.prompts.judge,
  };
}

function fitOptionsFor(plan: RevalidationPlan, userId: string, extra: Partial<FitOptions> = {}): FitOptions {
  const f = plan.fit.byUser.get(userId) ?? plan.fit;
  return {
    ...DEFAULT_FIT_OPTIONS,
    temperature: plan.inputs.temperature,
    seed: plan.inputs.ws.split.seed,
    k: f.k,
    stopScore: f.stopScore,
    labeledDemos: f.labeledDemos,
    ...extra,
  };
}

export interface RevalidationEstimate {
  estimate: RunEstimate;
  /**
   * False when a Θ re-validation's first stage is not in the cache: its calls are then counted at most
   * (every candidate on every validation pair; pruning needs fewer). Text that only a call can write
   * (memory facts, a new persona) is taken to be new, at a typical length: its judge calls are counted as
   * calls (fewer are made when the text comes out the same as a cached one), and its tokens are estimated.
   */
  exact: boolean;
  context?: ContextPlan;
}

/** What the model needs for an estimate: its cache (estimate) and, on Ollama, the run's context size. */
export interface EstimatingLlm extends Estimating {
  sizeContext(requests: readonly ChatRequest[], signal?: AbortSignal): Promise<ContextPlan | undefined>;
  resetCounters?(): void;
}

/**
 * The calls and tokens of a re-validation, before it runs; it also fixes Ollama's context size for the
 * run (from the same prompts eval and fit size it from, so that their cached answers are found). Prompts
 * known in advance are exact; those that depend on earlier answers (memory facts, a Θ's first stage and
 * personas) are exact when the cache holds those answers (replayed through a cache-only view, which
 * calls nothing), else estimated (see RevalidationEstimate.exact). The replay's cache hits are taken
 * off the model's counters (resetCounters), so that the run's usage is the run's own.
 */
export async function estimateRevalidation(
  plan: RevalidationPlan,
  llm: EstimatingLlm,
  opts: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<RevalidationEstimate> {
  const size = async (requests: ChatRequest[]) =>
    opts.dryRun
      ? await llm.sizeContext(requests, opts.signal).catch(() => undefined)
      : await llm.sizeContext(requests, opts.signal);
  if (plan.nothingToCompare) return { estimate: await llm.estimate([]), exact: true };
  const replay = new CacheOnlyModel(llm);
  const theta = plan.kind === 'prompt' && plan.target === 'persona-synthesis';
  const context = theta ? await size(thetaSizing(plan)) : await size(await judgeRequestsOf(plan, async () => []));
  let exact = true;
  const requests = theta
    ? await thetaRequests(plan, replay, opts.signal, () => (exact = false))
    : await judgeRequestsOf(plan, (prompts, u) =>
        // Facts not yet in the cache: the judge calls are counted all the same (they cannot be cached either), without facts.
        extractMemory(replay, prompts.memory.text, u.context, {
          temperature: plan.inputs.temperature,
          seed: plan.inputs.ws.split.seed,
          ...(opts.signal ? { signal: opts.signal } : {}),
        }).catch(() => []),
      );
  const estimate = await llm.estimate(requests, { defaultCompletionTokens: 150 });
  llm.resetCounters?.();
  return { estimate, exact, ...(context ? { context } : {}) };
}

/** Memory extractions and judge calls of both sides (prompt targets and persona files); facts from `memory`. */
async function judgeRequestsOf(
  plan: RevalidationPlan,
  memory: (prompts: { judge: Prompt; memory: Prompt }, u: EvalUser) => Promise<string[]>,
): Promise<ChatRequest[]> {
  const { temperature } = plan.inputs;
  const seed = plan.inputs.ws.split.seed;
  const out: ChatRequest[] = [];
  for (const side of sidesOf(plan)) {
    const prompts = sidePrompts(plan, side);
    for (const g of plan.groups) {
      for (const u of sideUsers(plan, g, side)) {
        if (g.method === 'memory')
          out.push({
            messages: memoryMessages(prompts.memory.text, u.context),
            schema: MEMORY_SCHEMA,
            temperature,
            seed,
          });
        const profile = await profileOrUndefined(g.method, u, () => memory(prompts, u));
        if (profile) out.push(...judgeRequests(judgeSystem(prompts.judge.text, profile), u.target, temperature, seed));
      }
    }
  }
  return out;
}

/** Θ: the fit's own sizing, so that the first stage goes out with the fit's num_ctx and comes from the cache. */
function thetaSizing(plan: RevalidationPlan): ChatRequest[] {
  const users = plan.groups.flatMap((g) => g.users);
  const k = Math.max(plan.fit.k, ...[...plan.fit.byUser.values()].map((f) => f.k));
  return planFitRequests(users.map(pairsBySplit), fitPrompts(plan), {
    temperature: plan.inputs.temperature,
    seed: plan.inputs.ws.split.seed,
    k,
  });
}

/**
 * Θ: per user, the first stage (replayed from the cache, else at most every candidate on every validation
 * pair), two personas, and the judge calls.
 */
async function thetaRequests(
  plan: RevalidationPlan,
  replay: ChatModel,
  signal: AbortSignal | undefined,
  upperBound: () => void,
): Promise<ChatRequest[]> {
  const { temperature } = plan.inputs;
  const seed = plan.inputs.ws.split.seed;
  const out: ChatRequest[] = [];
  for (const u of plan.groups.flatMap((g) => g.users)) {
    const s = pairsBySplit(u);
    const target = plan.inputs.split === 'test' ? s.test : s.validation;
    const fitOpts = fitOptionsFor(plan, u.id, signal ? { signal } : {});
    const stage = await firstStage(replay, u.id, s.context, s.validation, fitPrompts(plan), fitOpts).catch(
      (err: unknown) => {
        if (isFatal(err)) throw err;
        return undefined;
      },
    );
    let examples: FirstStage['examples'];
    if (stage) examples = stage.examples;
    else {
      upperBound();
      examples = typicalExamples(s.context, seed);
      out.push(...unstagedRequests(plan, s, examples, fitOpts.k));
    }
    const staged: FirstStage = stage ?? { userId: u.id, examples, temperature, seed };
    for (const side of ['previous', 'current'] as const) {
      const theta = thetaOf(plan, side).text;
      out.push(synthesisRequest(staged, theta));
      const persona = stage
        ? // A persona not yet written: its judge calls are counted all the same, with a persona of typical length.
          await synthesizePersona(replay, theta, stage.userId, stage.examples, {
            temperature,
            seed,
            ...(signal ? { signal } : {}),
          })
            .then((r) => r.persona)
            .catch((err: unknown) => {
              if (isFatal(err)) throw err;
              return TYPICAL_PERSONA;
            })
        : TYPICAL_PERSONA;
      out.push(
        ...judgeRequests(judgeSystem(plan.prompts.judge.text, { persona, demos: examples }), target, temperature, seed),
      );
    }
  }
  return out;
}

/** A first stage not in the cache, counted at most: every bootstrap call, then every candidate on every validation pair. */
function unstagedRequests(
  plan: RevalidationPlan,
  s: { context: readonly Pair[]; validation: readonly Pair[] },
  examples: FirstStage['examples'],
  k: number,
): ChatRequest[] {
  const { temperature } = plan.inputs;
  const seed = plan.inputs.ws.split.seed;
  const boot = judgeSystem(plan.prompts.bootstrap.text, {}, 'bootstrap');
  const out = bootstrapRequests(boot, s.context, temperature, seed);
  const selection = judgeSystem(plan.prompts.judge.text, { demos: examples });
  for (let c = 0; c <= k; c++)
    for (const p of s.validation)
      out.push({
        messages: judgeMessages(selection, p, presentationOrder(p, seed)),
        schema: JUDGMENT_SCHEMA,
        temperature,
        seed,
        sample: c + 1,
      });
  return out;
}

async function profileOrUndefined(method: Method, u: EvalUser, memory: () => Promise<string[]>) {
  return profileFor({
    method,
    userId: u.id,
    pairs: u.pairs,
    context: u.context,
    ...(u.persona ? { persona: u.persona } : {}),
    memory,
  }).catch((err: unknown) => {
    if (err instanceof MethodUnavailable) return undefined;
    throw err;
  });
}

/** The sides a plan judges: a persona judged alone has no previous side. */
function sidesOf(plan: RevalidationPlan): readonly Side[] {
  return plan.previous ? ['previous', 'current'] : ['current'];
}

/** Judges both versions and compares them (a persona with no earlier version: the current one alone). */
export async function runRevalidation(plan: RevalidationPlan, run: RevalidateRun): Promise<RevalidateResult> {
  if (run.saveFigures && (plan.kind !== 'persona' || plan.inputs.split !== 'validation'))
    throw new UserError('revalidate: only a persona file re-validated on validation can record its figures', 2);
  const methods = plan.groups.map((g) => ({ method: g.method, users: g.users.map((u) => u.id) }));
  const base = { target: plan.target, kind: plan.kind, split: plan.inputs.split, methods, skipped: [...plan.skipped] };
  if (plan.nothingToCompare || (!plan.previous && !plan.alone)) {
    const failed: RunFailures = { calls: 0, pairs: 0, reasons: [] };
    const nothing = { runs: { previous: [], current: [] }, complete: true, failed, incomplete: [], figures: {} };
    return { ...base, ...nothing, ...noComparison(plan.nothingToCompare ?? 'nothing to compare') };
  }
  // With the figures saved, savePersona keeps the current text as the version it replaces (once the run is complete).
  const recorded = run.keepCurrent === false || run.saveFigures ? undefined : await recordCurrent(plan);
  const incomplete: { user: string; reason: string }[] = [];
  const sides: Record<Side, SideUsers[]> =
    plan.kind === 'prompt' && plan.target === 'persona-synthesis'
      ? await thetaSides(plan, run, incomplete)
      : {
          previous: plan.previous
            ? plan.groups.map((g) => ({ method: g.method, users: sideUsers(plan, g, 'previous') }))
            : [],
          current: plan.groups.map((g) => ({ method: g.method, users: sideUsers(plan, g, 'current') })),
        };
  const judged = await judgeSides(plan, run, sides);
  const seed = plan.inputs.ws.split.seed;
  const current = [...judged.verdicts.current.values()];
  const common: Judged = {
    ...base,
    skipped: [...base.skipped, ...judged.skipped.filter((s) => !base.skipped.some((b) => b.user === s.user))],
    ...(plan.previous ? { previous: versionRef(plan.previous) } : {}),
    runs: judged.runs,
    complete: judged.failed.pairs === 0 && incomplete.length === 0,
    failed: judged.failed,
    incomplete,
    ...(recorded ? { recorded } : {}),
    figures: {
      current: figures(current, seed),
      ...(plan.previous ? { previous: figures([...judged.verdicts.previous.values()], seed) } : {}),
    },
  };
  const result = plan.previous
    ? withComparison(plan, judged, common)
    : // Judged alone: what was judged, and no comparison.
      {
        ...common,
        ...noComparison(plan.alone!),
        pairs: current.length,
        users: new Set(current.map((v) => v.userId)).size,
      };
  const saved = run.saveFigures ? await saveValidationFigures(plan, result) : undefined;
  return saved ? { ...result, saved: saved.path, ...(saved.kept ? { recorded: saved.kept } : {}) } : result;
}

/** A result before its comparison. */
type Judged = Omit<RevalidateResult, keyof ReturnType<typeof noComparison> | 'comparison' | 'power'>;

function versionRef({ id, path, source, hash }: VersionRef): VersionRef {
  return { id, ...(path ? { path } : {}), source, hash };
}

/** The paired comparison of the pairs both sides judged: the engine's paired test (compare.ts) gives p and the interval. */
function withComparison(plan: RevalidationPlan, judged: JudgedSides, out: Judged): RevalidateResult {
  const c = compareVerdicts(judged.verdicts.previous, judged.verdicts.current, plan.inputs.ws.split.seed);
  if (c.pairs === 0) return { ...out, ...noComparison('no pair was judged with both versions: nothing to compare') };
  return {
    ...out,
    pairs: c.pairs,
    users: c.perUser.length,
    difference: c.difference,
    ci95: c.ci95,
    p: c.pairedTest.p,
    flipped: flippedPairs(judged.verdicts.previous, judged.verdicts.current),
    comparison: c,
    power: comparisonPowerNote(c.pairs, plan.inputs.split, c.perUser.length),
  };
}

/** The figures of a re-validation that compared nothing, and why. */
function noComparison(message: string) {
  return { message, pairs: 0, users: 0, difference: null, ci95: null, p: null, flipped: [] };
}

interface JudgedSides {
  verdicts: Record<Side, Map<string, PairVerdict>>;
  runs: Record<Side, string[]>;
  failed: RunFailures;
  skipped: { user: string; reason: string }[];
}

/** Evaluates every group of both sides (one run each), previous first. */
async function judgeSides(plan: RevalidationPlan, run: RevalidateRun, sides: Record<Side, SideUsers[]>) {
  const out: JudgedSides = {
    verdicts: { previous: new Map(), current: new Map() },
    runs: { previous: [], current: [] },
    failed: { calls: 0, pairs: 0, reasons: [] },
    skipped: [],
  };
  const failures: RunFailures[] = [];
  const skipped = new Map<string, string>();
  for (const side of ['previous', 'current'] as const) {
    for (const g of sides[side]) {
      if (!g.users.length) continue;
      const r = await evaluate(g.users, {
        method: g.method,
        split: plan.inputs.split,
        model: run.model,
        ...(run.baseUrl ? { baseUrl: run.baseUrl } : {}),
        ...(run.modelDigest ? { modelDigest: run.modelDigest } : {}),
        ...(run.label ? { label: run.label } : {}),
        ...(g.inputs ? { inputs: g.inputs } : {}),
        prompts: sidePrompts(plan, side),
        temperature: plan.inputs.temperature,
        seed: plan.inputs.ws.split.seed,
        runsDir: plan.inputs.ws.layout.runsDir,
        ...(run.signal ? { signal: run.signal } : {}),
        onProgress: (done, total) => run.onProgress?.(`${side} ${g.method}`, done, total),
      });
      out.runs[side].push(r.run);
      for (const v of r.verdicts) out.verdicts[side].set(verdictKey(v.userId, v.pairId), v);
      if (!r.complete) failures.push(r.failed);
      for (const s of r.skipped) skipped.set(s.user, s.reason);
    }
  }
  out.failed = mergeFailures(failures);
  out.skipped = [...skipped].map(([user, reason]) => ({ user, reason }));
  return out;
}

/** prepare, then run: the whole re-validation in one call (no estimate). */
export async function revalidate(inputs: RevalidateInputs, run: RevalidateRun): Promise<RevalidateResult> {
  return runRevalidation(await prepareRevalidation(inputs), run);
}

interface SideUsers {
  method: Method;
  users: EvalUser[];
  inputs?: Record<string, string>;
}

/** The current text, kept as a version so that a later edit is compared with it (the shipped default already counts as one). */
async function recordCurrent(plan: RevalidationPlan): Promise<string | undefined> {
  const { ws } = plan.inputs;
  if (plan.kind === 'persona') {
    const userId = plan.groups[0]!.users[0]!.id;
    return keepVersion(await ensureDir(personaHistoryDir(ws.layout, userId)), plan.current.text, PERSONA_VERSION);
  }
  const name = plan.target as RevalidatePrompt;
  if (plan.current.text === DEFAULT_PROMPTS[name]) return undefined;
  return recordPromptVersion(ws.layout.historyDir, name, plan.current.text);
}

async function ensureDir(dir: string): Promise<string> {
  await mkdirChecked(dir);
  return dir;
}

/** Users whose first stage and personas are made at once (each one's calls run side by side too). */
const THETA_SIDE_USERS = 4;

type SidePersonas = Record<Side, { model: PersonaModel; hash: string }>;

/** Θ: each user's first stage, then a persona with each Θ; a user whose calls failed is left out of both sides. */
async function thetaSides(
  plan: RevalidationPlan,
  run: RevalidateRun,
  incomplete: { user: string; reason: string }[],
): Promise<Record<Side, SideUsers[]>> {
  const users = plan.groups.flatMap((g) => g.users);
  const made = new Map<string, SidePersonas>();
  let done = 0;
  run.onProgress?.('first stage and personas', 0, users.length);
  const options = { concurrency: THETA_SIDE_USERS, ...(run.signal ? { signal: run.signal } : {}) };
  await forEachInPool(users, options, async (u, signal) => {
    try {
      made.set(u.id, await userPersonas(plan, run, u, signal));
    } catch (err) {
      // A server that is down, a bad key or a missing model ends the run (and stops the other users'
      // calls); a failed call leaves this user out.
      if (signal.aborted || isFatal(err) || !(err instanceof UserError)) throw err;
      incomplete.push({ user: u.id, reason: err.message });
    }
    run.onProgress?.('first stage and personas', ++done, users.length);
  });
  const out: Record<Side, SideUsers[]> = { previous: [], current: [] };
  for (const side of ['previous', 'current'] as const) {
    const theta = thetaOf(plan, side);
    const ready = users.filter((u) => made.has(u.id));
    const inputs: Record<string, string> = { 'persona-synthesis': theta.hash, bootstrap: plan.prompts.bootstrap.hash };
    for (const u of ready) inputs[`synthesized-persona:${u.id}`] = made.get(u.id)![side].hash;
    out[side] = [
      {
        method: 'persona+demos',
        users: ready.map((u) => evalUser(u, plan.inputs.split, { model: made.get(u.id)![side].model })),
        inputs,
      },
    ];
  }
  return out;
}

/** One user's first stage, then their persona with each version of Θ. */
async function userPersonas(
  plan: RevalidationPlan,
  run: RevalidateRun,
  u: UserEntry,
  signal: AbortSignal,
): Promise<SidePersonas> {
  const { temperature } = plan.inputs;
  const seed = plan.inputs.ws.split.seed;
  const s = pairsBySplit(u);
  const stage = await firstStage(
    run.model,
    u.id,
    s.context,
    s.validation,
    fitPrompts(plan),
    fitOptionsFor(plan, u.id, {
      signal,
      ...(run.onNote ? { onNote: (m: string) => run.onNote!(`${u.id}: ${m}`) } : {}),
    }),
  );
  const personas = {} as SidePersonas;
  for (const side of ['previous', 'current'] as const) {
    const { persona: text } = await synthesizePersona(
      run.model,
      thetaOf(plan, side).text,
      stage.userId,
      stage.examples,
      {
        temperature,
        seed,
        signal,
      },
    );
    const model = synthesizedModel(stage, text);
    personas[side] = { model, hash: textHash(JSON.stringify([model.persona, model.demos])) };
  }
  return personas;
}

function mergeFailures(list: readonly RunFailures[]): RunFailures {
  const reasons = new Map<string, number>();
  let calls = 0;
  let pairs = 0;
  for (const f of list) {
    calls += f.calls;
    pairs += f.pairs;
    for (const r of f.reasons) reasons.set(r.message, (reasons.get(r.message) ?? 0) + r.count);
  }
  return {
    calls,
    pairs,
    reasons: [...reasons].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
  };
}

function scores(v: PairVerdict): OrderScores {
  const of = (order: 'AB' | 'BA') => {
    const o = v.orders.find((x) => x.order === order);
    return o ? (o.correct ? 1 : 0) : null;
  };
  const AB = of('AB');
  const BA = of('BA');
  const known = [AB, BA].filter((x): x is number => x !== null);
  return { AB, BA, score: known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0 };
}

/** The pairs judged with both versions whose outcome changed in either order, in user and pair order. */
export function flippedPairs(
  before: ReadonlyMap<string, PairVerdict>,
  after: ReadonlyMap<string, PairVerdict>,
): FlippedPair[] {
  const out: FlippedPair[] = [];
  for (const key of [...before.keys()].filter((k) => after.has(k)).sort()) {
    const b = scores(before.get(key)!);
    const a = scores(after.get(key)!);
    if (a.AB === b.AB && a.BA === b.BA) continue;
    const v = after.get(key)!;
    out.push({ pair: v.pairId, user: v.userId, before: b, after: a });
  }
  return out;
}
