// `eval` as one engine job, shared by the CLI (`synthesizeme eval`) and VS Code (Evaluate..., Estimate
// Cost, Re-validate): gather each user's pairs and persona, plan the judge prompts each method really
// sends (the estimate of the dry run), size Ollama's context once, then evaluate method after method,
// each into its run file (header, lock, resume: evaluate.ts). The callers only parse, ask and format.

import type { UserEntry } from '../data/workspace-index';
import type { ContextPlan, Llm } from '../llm/client';
import type { RunEstimate } from '../llm/estimate';
import { redactUrl } from '../llm/errors';
import type { ChatRequest } from '../llm/types';
import type { PromptName } from '../method/default-prompts';
import { judgeMessages, judgeSystem } from '../method/messages';
import { MethodUnavailable, needsPersona, profileFor, type Method } from '../method/methods';
import { longPersonaNote, readUserPersonaFile, type PersonaModel } from '../method/persona-file';
import type { Prompt } from '../method/prompt-store';
import { JUDGMENT_SCHEMA } from '../method/schemas';
import type { WorkspaceLayout } from '../workspace/layout';
import { pairsBySplit } from '../workspace/open-workspace';
import { evaluate, type EvalResult, type EvalUser } from './evaluate';
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
  prompts: { judge: Prompt; memory: Prompt };
  /** The judge requests of every method (memory's facts, unknown before its call, counted as none). */
  requests: ChatRequest[];
  context?: ContextPlan;
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
async function evalRequests(p: Omit<EvalPrepared, 'requests' | 'context'>): Promise<ChatRequest[]> {
  const { temperature, seed } = p.inputs;
  const requests: ChatRequest[] = [];
  for (const u of p.users)
    for (const method of p.inputs.methods) {
      const profile = await profileFor({
        method,
        userId: u.id,
        pairs: u.pairs,
        context: u.context,
        ...(u.persona ? { persona: u.persona } : {}),
        memory: async () => [],
      }).catch((err) => {
        if (err instanceof MethodUnavailable) return undefined;
        throw err;
      });
      if (!profile) continue;
      const system = judgeSystem(p.prompts.judge.text, profile);
      for (const pair of u.target)
        for (const o of ['AB', 'BA'] as const)
          requests.push({ messages: judgeMessages(system, pair, o), schema: JUDGMENT_SCHEMA, temperature, seed });
    }
  return requests;
}

/**
 * Reads the users' pairs and personas, plans the requests, and sizes Ollama's context once from the
 * largest judge prompt (`dryRun` tolerates a server that cannot say its context).
 */
export async function prepareEval(
  inputs: EvalJobInputs,
  opts: { dryRun?: boolean; onNote?: (message: string) => void } = {},
): Promise<EvalPrepared> {
  const prompts = { judge: await inputs.prompts.get('judge'), memory: await inputs.prompts.get('memory') };
  const users = await evalUsersOf(inputs, opts.onNote);
  const requests = await evalRequests({ inputs, users, prompts });
  const context = opts.dryRun
    ? await inputs.model.sizeContext(requests).catch(() => undefined)
    : await inputs.model.sizeContext(requests);
  return { inputs, users, prompts, requests, ...(context ? { context } : {}) };
}

/** The dry run: the calls and tokens of the plan, counting cached answers apart (retries not included). */
export function estimateEval(p: EvalPrepared): Promise<RunEstimate> {
  return p.inputs.model.estimate(p.requests, { defaultCompletionTokens: 150 });
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
      ...(modelDigest ? { modelDigest } : {}),
      ...(inputs.label ? { label: inputs.label } : {}),
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
