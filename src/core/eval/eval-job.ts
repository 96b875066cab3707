// `eval` as one engine job, shared by the CLI (`synthesizeme eval`) and VS Code (Evaluate..., Estimate
// Cost, Re-validate): gather each user's pairs and persona, plan the judge prompts each method really
// sends (the estimate of the dry run), size Ollama's context once, then evaluate method after method,
// each into its run file (header, lock, resume: evaluate.ts). The callers only parse, ask and format.

import type { UserEntry } from '../data/workspace-index';
import type { ContextPlan, Llm } from '../llm/client';
import type { RunEstimate } from '../llm/estimate';
import { redactUrl } from '../llm/errors';
import type { ChatRequest } from '../llm/types';
import type { Pair } from '../data/pair';
import type { Order } from '../method/render';
import type { PromptName } from '../method/default-prompts';
import { judgeMessages, judgeSystem, rubricMessages, rubricSystem } from '../method/messages';
import {
  isRewardMethod,
  isRubricMethod,
  MethodUnavailable,
  needsPersona,
  profileFor,
  type Method,
} from '../method/methods';
import type { RewardModel } from '../llm/reward-client';
import { checkRewardInputs, rewardConversations, withRewardEstimate } from './reward-eval';
import { longPersonaNote, readUserPersonaFile, type PersonaModel } from '../method/persona-file';
import type { Prompt } from '../method/prompt-store';
import { DEFAULT_RUBRIC_CONTEXT } from '../method/rubric';
import { samplingOf } from '../method/judge';
import { samplingTemperature } from '../method/samples';
import { JUDGMENT_SCHEMA, RUBRIC_GIVEN_PERSONA_SCHEMA, RUBRIC_SCHEMA } from '../method/schemas';
import type { WorkspaceLayout } from '../workspace/layout';
import { pairsBySplit } from '../workspace/open-workspace';
import { evaluate, type EvalResult, type EvalUser } from './evaluate';
import type { Embedder } from '../llm/embeddings';
import { attachSimilarUsers, checkSimilarInputs, type EmbedEstimate, similarPool } from './similar-eval';
import { modelDigestOf } from './runs-model-digest';

export type EvalSplit = 'test' | 'validation';

/** A persona as read for a run: its model, and the hash of its text (an edited persona is another run). */
export interface EvalPersona {
  model: PersonaModel;
  hash: string;
  path?: string;
}

export interface EvalJobInputs {
  layout: WorkspaceLayout;
  prompts: { get(name: PromptName): Promise<Prompt> };
  users: readonly UserEntry[];
  methods: readonly Method[];
  split: EvalSplit;
  model: Llm;
  temperature: number;
  seed: number;
  /** A name for the run, recorded in its header (and part of its identity). */
  label?: string;
  /** The rubric methods: how many context pairs the judge reads (`--rubric-context`, `synthesizeme.rubric.contextPairs`). */
  rubricContext?: number;
  /** `--samples k` (`synthesizeme.samples`): each order judged k times and aggregated (samples.ts); default 1. */
  samples?: number;
  /** The reward-model methods: the served reward model that scores each response (reward.ts). */
  reward?: RewardModel;
  /** `--similar-users m`: each user's prompt also reads the m nearest other users' personas (similar-eval.ts). */
  similarUsers?: number;
  /** The embedding model that finds the nearest users (`--embed-model`, default the chat model). */
  embedder?: Embedder;
  /** Who may be a neighbour: the workspace's users (default the users evaluated). */
  pool?: readonly UserEntry[];
  /** How a user's persona is read; default their file in the persona folder, under the read guard. */
  readPersona?: (userId: string) => Promise<EvalPersona | undefined>;
  /** Personas given instead of the users' files (the versions a re-validation compares). */
  personas?: ReadonlyMap<string, { model?: PersonaModel | undefined; hash: string }>;
  /** How paths are shown in notes and errors. */
  display?: (path: string) => string;
}

/** What a run will do, before any call. */
export interface EvalPrepared {
  inputs: EvalJobInputs;
  users: EvalUser[];
  prompts: { judge: Prompt; memory: Prompt; rubric?: Prompt };
  /** The judge requests of every method (memory's facts, unknown before its call, counted as none). */
  requests: ChatRequest[];
  context?: ContextPlan;
  /** `--similar-users m`: the embedding calls to come (a dry run), or made while preparing. */
  embeddings?: EmbedEstimate;
}

async function personaOf(inputs: EvalJobInputs, userId: string): Promise<EvalPersona | undefined> {
  const given = inputs.personas?.get(userId);
  if (given) return given.model ? { model: given.model, hash: given.hash } : undefined;
  if (!inputs.methods.some(needsPersona)) return undefined;
  if (inputs.readPersona) return inputs.readPersona(userId);
  return readUserPersonaFile(inputs.layout.personaDir, userId, inputs.display);
}

/** Each user's pairs and persona; a persona too long for a small context is said (`onNote`), not refused. */
async function evalUsersOf(inputs: EvalJobInputs, onNote?: (message: string) => void): Promise<EvalUser[]> {
  const show = inputs.display ?? ((p: string) => p);
  const users: EvalUser[] = [];
  for (const u of inputs.users) {
    const s = pairsBySplit(u);
    const persona = await personaOf(inputs, u.id);
    const long = persona?.path && longPersonaNote(persona.model, show(persona.path));
    if (long) onNote?.(long);
    users.push({
      id: u.id,
      pairs: u.pairs,
      context: s.context,
      target: inputs.split === 'test' ? s.test : s.validation,
      ...(persona ? { persona: persona.model, personaHash: persona.hash } : {}),
    });
  }
  return users;
}

/** The prompt each method really sends (persona+demos carries the demonstrations), so the estimate is the real one. */
async function evalRequests(p: Omit<EvalPrepared, 'requests' | 'context' | 'embeddings'>): Promise<ChatRequest[]> {
  const { seed } = p.inputs;
  // Each sample is a request of its own, under its own cache key (judge.ts samplingOf): cached ones count as cached.
  const k = p.inputs.samples ?? 1;
  const temperature = samplingTemperature(p.inputs.temperature, k);
  const draws = k > 1 ? Array.from({ length: k }, (_, i) => samplingOf(seed, i)) : [{ seed }];
  const requests: ChatRequest[] = [];
  for (const u of p.users)
    for (const method of p.inputs.methods) {
      const profile = await profileFor({
        method,
        userId: u.id,
        pairs: u.pairs,
        context: u.context,
        ...(u.persona ? { persona: u.persona } : {}),
        ...(u.similar ? { similar: u.similar } : {}),
        memory: async () => [],
        rubricContext: p.inputs.rubricContext ?? DEFAULT_RUBRIC_CONTEXT,
        seed,
      }).catch((err) => {
        if (err instanceof MethodUnavailable) return undefined;
        throw err;
      });
      if (!profile || isRewardMethod(method)) continue;
      const ask = askOf(method, profile, p.prompts);
      for (const pair of u.target)
        for (const o of ['AB', 'BA'] as const)
          for (const draw of draws) requests.push({ ...ask(pair, o), temperature, ...draw });
    }
  return requests;
}

/** A method's request for a pair in an order: the judge's, or the rubric's (its prompt, its schema). */
function askOf(method: Method, profile: Awaited<ReturnType<typeof profileFor>>, prompts: EvalPrepared['prompts']) {
  if (isRubricMethod(method) && prompts.rubric) {
    const given = method === 'rubric+persona';
    const system = rubricSystem(prompts.rubric.text, profile.demos ?? [], profile.persona, profile.similar);
    const schema = given ? RUBRIC_GIVEN_PERSONA_SCHEMA : RUBRIC_SCHEMA;
    return (pair: Pair, o: Order) => ({ messages: rubricMessages(system, pair, o, given), schema });
  }
  const system = judgeSystem(prompts.judge.text, profile);
  return (pair: Pair, o: Order) => ({ messages: judgeMessages(system, pair, o), schema: JUDGMENT_SCHEMA });
}

/**
 * Reads the users' pairs and personas, plans the requests, and sizes Ollama's context once from the
 * largest judge prompt (`dryRun` tolerates a server that cannot say its context).
 */
export async function prepareEval(
  inputs: EvalJobInputs,
  opts: { dryRun?: boolean; onNote?: (message: string) => void } = {},
): Promise<EvalPrepared> {
  checkRewardInputs(inputs.methods, inputs.reward);
  const prompts = {
    judge: await inputs.prompts.get('judge'),
    memory: await inputs.prompts.get('memory'),
    // Written out (and read) only when a rubric method is asked for: other runs leave the prompt folder as it was.
    ...(inputs.methods.some(isRubricMethod) ? { rubric: await inputs.prompts.get('rubric') } : {}),
  };
  const users = await evalUsersOf(inputs, opts.onNote);
  const embeddings = await similarUsersOf(inputs, users, opts.dryRun === true);
  const requests = await evalRequests({ inputs, users, prompts });
  const context = opts.dryRun
    ? await inputs.model.sizeContext(requests).catch(() => undefined)
    : await inputs.model.sizeContext(requests);
  return { inputs, users, prompts, requests, ...(context ? { context } : {}), ...(embeddings ? { embeddings } : {}) };
}

/** `--similar-users m`: the pool's users (the evaluated ones as read), embedded, and each user's nearest attached. */
async function similarUsersOf(inputs: EvalJobInputs, users: EvalUser[], dryRun: boolean) {
  checkSimilarInputs(inputs.similarUsers, inputs.embedder);
  if (!inputs.similarUsers || !inputs.embedder || !inputs.methods.some(needsPersona)) return undefined;
  const read = new Map(users.map((u) => [u.id, u]));
  const pool = await similarPool(inputs.pool ?? inputs.users, (id) => personaOf(inputs, id), read);
  return attachSimilarUsers(users, pool, { m: inputs.similarUsers, embedder: inputs.embedder, dryRun });
}

/** The dry run: the calls and tokens of the plan, counting cached answers apart (retries not included). */
export async function estimateEval(p: EvalPrepared): Promise<RunEstimate> {
  const chat = await p.inputs.model.estimate(p.requests, { defaultCompletionTokens: 150 });
  // The embedding calls of --similar-users (a vector is prompt tokens only).
  const e = p.embeddings;
  if (e)
    Object.assign(chat, {
      calls: chat.calls + e.calls,
      cachedCalls: chat.cachedCalls + e.cachedCalls,
      promptTokens: chat.promptTokens + e.promptTokens,
    });
  // The reward methods' scores (two per pair) are the reward model's calls, not the chat model's.
  return withRewardEstimate(chat, p.inputs.reward, rewardConversations(p.users, p.inputs.methods));
}

export interface EvalRunHooks {
  signal?: AbortSignal;
  onProgress?: (method: Method, done: number, total: number) => void;
  /** One method evaluated (its run file written). */
  onResult?: (r: EvalResult) => void;
}

export interface EvalJobResult {
  /** One per method, in the order asked. */
  results: EvalResult[];
}

/** Evaluates each method in turn, every verdict journaled in its run file as it arrives. */
export async function runEval(p: EvalPrepared, hooks: EvalRunHooks = {}): Promise<EvalJobResult> {
  const { inputs } = p;
  const model = inputs.model;
  // What the model is on the server (Ollama's digest), recorded in each run's header.
  const modelDigest = await modelDigestOf(model, hooks.signal);
  // Credentials in a URL (http://user:secret@host) never reach a run file.
  const baseUrl = model.config.baseUrls[0] && redactUrl(model.config.baseUrls[0]);
  const results: EvalResult[] = [];
  for (const method of inputs.methods) {
    const r = await evaluate(p.users, {
      method,
      split: inputs.split,
      model,
      ...(baseUrl ? { baseUrl } : {}),
      // The chat model's digest says nothing of a reward model's run.
      ...(modelDigest && !isRewardMethod(method) ? { modelDigest } : {}),
      ...(inputs.reward ? { reward: inputs.reward } : {}),
      ...(inputs.label ? { label: inputs.label } : {}),
      ...(inputs.rubricContext !== undefined ? { rubricContext: inputs.rubricContext } : {}),
      ...(inputs.samples !== undefined ? { samples: inputs.samples } : {}),
      ...(inputs.similarUsers && inputs.embedder
        ? { similarUsers: { m: inputs.similarUsers, embedModel: inputs.embedder.model } }
        : {}),
      prompts: p.prompts,
      temperature: inputs.temperature,
      seed: inputs.seed,
      runsDir: inputs.layout.runsDir,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onProgress: (done, total) => hooks.onProgress?.(method, done, total),
    });
    results.push(r);
    hooks.onResult?.(r);
  }
  return { results };
}
