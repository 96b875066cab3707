// Fitting one user of a workspace and writing their persona file: the one path the CLI, the
// extension and the benchmark runner all take, so a persona file means the same thing whoever
// wrote it.

import type { ChatModel } from '../llm/types';
import { CountingModel, type TaskUsage } from '../llm/counting-model';
import type { UserEntry } from '../data/workspace-index';
import { fitUser, labeledDemosOf, type FitOptions, type FitPrompts, type FitResult } from '../method/fit';
import { savePersona, type PersonaModel } from '../method/persona-file';
import { pairsBySplit } from './open-workspace';
import { personaHistoryDir, personaPath, type WorkspaceLayout } from './layout';
import { checkWrite } from '../write-guard';

export interface FitAndSaveResult {
  result: FitResult;
  persona: PersonaModel;
  path: string;
  /** The earlier version, kept in the history folder. */
  previous?: string;
  /** What this user's fit cost (users fitted side by side share one model). */
  usage: TaskUsage;
}

export function personaModelOf(
  r: FitResult,
  model: ChatModel,
  prompts: FitPrompts,
  options: FitOptions,
  usage: TaskUsage,
): PersonaModel {
  return {
    userId: r.userId,
    persona: r.persona,
    ...(r.personaReasoning.trim() ? { personaReasoning: r.personaReasoning } : {}),
    demos: r.demos.map(({ pair, demo }) => ({
      pairId: pair.pairId,
      file: pair.source.file,
      line: pair.source.line,
      order: demo.order,
      preference: demo.preference,
      reasoning: demo.reasoning,
    })),
    provenance: {
      provider: model.provider,
      model: model.model,
      seed: options.seed,
      temperature: options.temperature,
      k: options.k,
      stopScore: options.stopScore,
      labeledDemos: labeledDemosOf(options),
      prompts: {
        bootstrap: prompts.bootstrap.hash,
        'persona-synthesis': prompts.personaSynthesis.hash,
        judge: prompts.judge.hash,
      },
      created: new Date().toISOString(),
      validation: {
        accuracy: r.selection.evaluated ? r.selection.correct / r.selection.evaluated : 0,
        correct: r.selection.correct,
        evaluated: r.selection.evaluated,
        of: r.selection.of,
      },
      calls: usage.calls,
      cacheHits: usage.cacheHits,
      ...copiesOf(r),
    },
  };
}

/** The copies a fit found, for the persona file (the persona's three longest runs): nothing when there are none. */
function copiesOf(r: FitResult): Pick<PersonaModel['provenance'], 'copies'> {
  const persona = r.personaCopies.slice(0, 3);
  if (!persona.length && !r.demoCopies.length) return {};
  return {
    copies: {
      ...(persona.length ? { persona } : {}),
      ...(r.demoCopies.length ? { reasonings: r.demoCopies } : {}),
    },
  };
}

/**
 * Where the fit of these users writes (each persona file and its history folder), checked before any call:
 * a persona or history folder linked out of the workspace was refused only after every call of the fit.
 */
export async function checkFitTargets(layout: WorkspaceLayout, userIds: readonly string[]): Promise<void> {
  for (const id of userIds) {
    await checkWrite(personaPath(layout, id));
    await checkWrite(personaHistoryDir(layout, id));
  }
}

/** @param personaDir where to write (default the layout's persona folder; the benchmark uses one per model). */
export async function fitAndSave(
  model: ChatModel,
  layout: WorkspaceLayout,
  user: UserEntry,
  prompts: FitPrompts,
  options: FitOptions,
  personaDir?: string,
): Promise<FitAndSaveResult> {
  await checkFitTargets(personaDir ? { ...layout, personaDir } : layout, [user.id]);
  const counted = new CountingModel(model);
  const s = pairsBySplit(user);
  const result = await fitUser(counted, user.id, s.context, s.validation, prompts, options);
  const persona = personaModelOf(result, model, prompts, options, counted.usage);
  const where = personaDir ? { ...layout, personaDir } : layout;
  const path = personaPath(where, user.id);
  const { previous } = await savePersona(path, persona, personaHistoryDir(layout, user.id));
  return { result, persona, path, ...(previous ? { previous } : {}), usage: counted.usage };
}
