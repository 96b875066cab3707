// What a collect session will do, decided once for every face (the CLI, VS Code): where the picks are
// appended, the two sources of responses and their models, the temperature and the seed, ask next with
// the current and the previous persona versions, the retest rate, when a re-fit is offered, and what it
// may cost. The faces parse, ask and format; run-session.ts runs the plan with whoever answers.

import { relative, resolve } from 'node:path';
import type { Llm, LlmConfig } from '../llm/client';
import type { UserEntry } from '../data/workspace-index';
import { exportGenerationPrompt } from '../method/export';
import { judgeSystem } from '../method/messages';
import { demosOf } from '../method/methods';
import { personaStem, type PersonaModel } from '../method/persona-file';
import type { Prompt } from '../method/prompt-store';
import type { PromptName } from '../method/default-prompts';
import { previousPersonaVersion } from '../eval/revalidate';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { unlessRefused } from '../read-guard';
import { UserError } from '../user-error';
import { checkAppendable, type PreferenceAppender } from './append-pair';
import { collectLogPath } from './collect-log';
import { DEFAULT_SYSTEM } from './generate';
import type { Item } from './session';

/** The temperature of a session's generations and of ask next's judge, unless the person names one: two samples must differ. */
export const COLLECT_TEMPERATURE = 0.7;

/** The setting that turns ask next on for every session (both faces read it). */
const ASK_NEXT_SETTING = 'synthesizeme.collect.askNext';

/** Where the two responses come from. Nothing set: the model with a plain system prompt, twice. */
export interface CollectSources {
  /** The first source steered by the user's persona and demonstrations (export --as generation). */
  persona?: boolean;
  /** The sources' system prompts (text); absent: the plain one. */
  systemA?: string;
  systemB?: string;
  /** The second response from another model: the first model's server and settings, another name. */
  modelB?: string;
}

export interface CollectPlanInputs {
  userId: string;
  layout: WorkspaceLayout;
  /** The user's entry in the index (absent for a new user): their pairs, their files. */
  user?: UserEntry;
  /** The user's persona, as the face reads it (VS Code takes an open editor's text); absent: none fitted. */
  persona?: PersonaModel;
  prompts: { get(name: PromptName): Promise<Prompt> };
  /** The face's model: it generates, and judges for ask next. */
  model: Llm;
  /** Opens a model of this config with the face's key, cache and log (the second model of two). */
  openModel(config: LlmConfig): Llm | Promise<Llm>;
  items: Item[];
  sources?: CollectSources;
  /** A preference file the person named (absolute); absent: the user's own file, else a new one. */
  file?: string;
  /** Where a file named in the index lies (the CLI's index names files from the current folder); default: in the workspace. */
  locate?(indexName: string): string;
  /** A temperature the person named; absent: COLLECT_TEMPERATURE. */
  temperature?: number;
  /** The session's seed (tests); absent: the clock, so that two sessions ask in different orders. */
  seed?: number;
  /** Ask next with this many candidates; `named`: the option the person gave (else it is the setting). */
  askNext?: { size: number; named?: string };
  /** The share of asks that re-ask a past pick (with answers written in advance there is none). */
  retestRate: number;
  /** Offer a re-fit after this many pairs since the persona's fit. */
  refitAfter: number;
  /** Stop after this many answered pairs. */
  max?: number;
  /** The workspace's split seed and ratios: a collected pair gets context or validation by its id. */
  split: { seed: number; ratios: readonly [number, number, number] };
  /** Let collected pairs fall into the test split by the workspace's rule. */
  includeTest?: boolean;
  /** How paths are shown in messages. */
  display?(path: string): string;
}

/** One source of responses: its label (recorded in the pair), its system prompt, and which model answers. */
export interface PlannedSource {
  label: string;
  system: string;
  model: 'first' | 'second';
}

/** What a session may cost, at most: the asks, the generations and (ask next) the judge's calls. */
export interface CollectEstimate {
  items: number;
  /** Items that are prompts to generate for (the others are ready pairs). */
  prompts: number;
  asks: number;
  generationCalls: number;
  judgeCalls: number;
}

export interface CollectPlan {
  inputs: CollectPlanInputs;
  userId: string;
  root: string;
  /** The preference file the picks are appended to, and its name in the records (relative to the workspace). */
  file: string;
  fileName: string;
  appender: PreferenceAppender;
  /** The session's log: ties, skips, failed generations, retests, and every pick before its append. */
  logPath: string;
  sources: [PlannedSource, PlannedSource];
  /** The second model's config, when the sources are two models. */
  secondModel?: LlmConfig;
  temperature: number;
  seed: number;
  retestRate: number;
  refitAfter: number;
  max?: number;
  /** Ask next: the judge's systems (the previous persona version's when it differs) and the candidates per ask. */
  informative?: { systems: { current: string; previous?: string }; poolSize: number };
  newPairs: { seed: number; ratios: readonly [number, number, number]; includeTest: boolean };
  estimate: CollectEstimate;
  /** What the person should know before the first pair (a setting that cannot apply). */
  notes: string[];
}

/** The user's own appendable file (the first JSONL, else YAML), else `<user>.prefs.jsonl` in the workspace. */
export function targetFile(inp: Pick<CollectPlanInputs, 'file' | 'user' | 'locate' | 'userId' | 'layout'>): string {
  if (inp.file !== undefined) return inp.file;
  const own = [...new Set(inp.user?.pairs.map((p) => p.source.file) ?? [])];
  const name = own.find((f) => /\.jsonl$/i.test(f)) ?? own.find((f) => /\.ya?ml$/i.test(f));
  if (name === undefined) return resolve(inp.layout.root, `${personaStem(inp.userId)}.prefs.jsonl`);
  return inp.locate ? inp.locate(name) : resolve(inp.layout.root, name);
}

/** The two sources, labelled as the pairs record them; the second model is the first one's config with another name. */
function planSources(inp: CollectPlanInputs): { sources: [PlannedSource, PlannedSource]; secondModel?: LlmConfig } {
  const s = inp.sources ?? {};
  const first = inp.model.model;
  let a: PlannedSource = { label: first, system: s.systemA ?? DEFAULT_SYSTEM, model: 'first' };
  if (s.persona) {
    if (!inp.persona)
      throw new UserError(`the persona-steered source: user "${inp.userId}" has no persona yet: fit first`, 2);
    const demos = demosOf(inp.persona, inp.user?.pairs ?? []);
    a = { label: `${first} + persona`, system: exportGenerationPrompt(inp.persona, demos), model: 'first' };
  } else if (s.systemA) a.label = `${first} + system A`;
  // The whole config (server, num_ctx, think, output caps, concurrency, timeouts): only the name differs.
  const secondModel = s.modelB ? { ...inp.model.config, model: s.modelB } : undefined;
  const labelB = `${secondModel?.model ?? first}${s.systemB ? ' + system B' : ''}`;
  const b: PlannedSource = {
    label: labelB === a.label ? `${labelB} (2)` : labelB,
    system: s.systemB ?? DEFAULT_SYSTEM,
    model: secondModel ? 'second' : 'first',
  };
  return { sources: [a, b], ...(secondModel ? { secondModel } : {}) };
}

/** Ask next's judge systems: the current persona's, and the previous version's when one differs. */
async function planAskNext(inp: CollectPlanInputs, notes: string[]): Promise<CollectPlan['informative']> {
  const size = inp.askNext?.size ?? 0;
  if (!size) return undefined;
  const persona = inp.persona;
  if (!persona) {
    if (inp.askNext?.named)
      throw new UserError(
        `${inp.askNext.named}: user "${inp.userId}" has no persona to judge with yet: fit first (or collect without it)`,
        2,
      );
    notes.push(
      `${ASK_NEXT_SETTING} is ${size}, but user "${inp.userId}" has no persona to judge with yet: the pairs are asked in order`,
    );
    return undefined;
  }
  const pairs = inp.user?.pairs ?? [];
  const judge = (await inp.prompts.get('judge')).text;
  const current = judgeSystem(judge, { persona: persona.persona, demos: demosOf(persona, pairs) });
  // An unreadable history is no comparison, but a refused version (planted link, FIFO) is said, not passed over.
  const prev = await unlessRefused(previousPersonaVersion(personaHistoryDir(inp.layout, inp.userId), persona));
  let previous: string | undefined;
  try {
    if (prev) previous = judgeSystem(judge, { persona: prev.model.persona, demos: demosOf(prev.model, pairs) });
  } catch {
    previous = undefined; // an older version whose demonstrations are gone: the current persona alone decides
  }
  return { systems: { current, ...(previous ? { previous } : {}) }, poolSize: size };
}

function estimateOf(inp: CollectPlanInputs, informative: CollectPlan['informative']): CollectEstimate {
  const items = inp.items.length;
  const prompts = inp.items.filter((i) => i.kind === 'prompt').length;
  const asks = Math.min(items, inp.max ?? items);
  const judged = informative ? Math.min(items, asks * informative.poolSize) : 0;
  const versions = informative?.systems.previous ? 2 : 1;
  return {
    items,
    prompts,
    asks,
    // Two responses per prompt, and two more when they come out the same (generate.ts).
    generationCalls: 4 * Math.min(prompts, informative ? judged : asks),
    judgeCalls: informative && informative.poolSize > 1 ? 2 * versions * judged : 0,
  };
}

/**
 * Plans a session before any call: the file is checked for appending (a JSON array, a YAML mapping, a file
 * with problems are refused here), the persona's previous version read, and every setting decided.
 */
export async function planCollect(inp: CollectPlanInputs): Promise<CollectPlan> {
  const root = inp.layout.root;
  const file = targetFile(inp);
  const fileName = relative(root, file) || file;
  const appender = await checkAppendable(file, (inp.display ?? ((p: string) => p))(file));
  const { sources, secondModel } = planSources(inp);
  const notes: string[] = [];
  const informative = await planAskNext(inp, notes);
  return {
    inputs: inp,
    userId: inp.userId,
    root,
    file,
    fileName,
    appender,
    logPath: collectLogPath(root, inp.userId),
    sources,
    ...(secondModel ? { secondModel } : {}),
    temperature: inp.temperature ?? COLLECT_TEMPERATURE,
    seed: inp.seed ?? Date.now(),
    retestRate: inp.retestRate,
    refitAfter: inp.refitAfter,
    ...(inp.max !== undefined ? { max: inp.max } : {}),
    ...(informative ? { informative } : {}),
    newPairs: { seed: inp.split.seed, ratios: inp.split.ratios, includeTest: inp.includeTest ?? false },
    estimate: estimateOf(inp, informative),
    notes,
  };
}
