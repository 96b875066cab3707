// Fitting for benchmark runs: personas of each fitting model live in a folder of their own
// (personas/<model-slug>/), so that models never overwrite each other and a persona fitted with
// one model can be evaluated with another (transfer). A persona file already fitted with the
// same model is reused: a resumed benchmark does not fit again.

import { join } from 'node:path';
import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import { fitSettingsOf, fitUser, type FitPrompts, type FitSettings } from '../method/fit';
import {
  personaFileName,
  personaStem,
  readPersonaIfExists,
  readUserPersonaFile,
  savePersona,
  type PersonaModel,
} from '../method/persona-file';
import { isFatal } from '../method/judge';
import { CountingModel } from '../llm/counting-model';
import { personaModelOf } from '../workspace/fit-and-save';
import { forEachInPool } from '../work-pool';

/** A model name made safe as a folder name: `llama3.1:8b` -> `llama3.1_8b`. */
export function modelSlug(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

export interface StoredPersona {
  model: PersonaModel;
  hash: string;
  path: string;
  /** Fitted in this run (false: an existing file was reused). */
  fitted: boolean;
}

export interface FitTask {
  userId: string;
  context: readonly Pair[];
  validation: readonly Pair[];
}

export interface FitStoreOptions extends FitSettings {
  dir: string;
  model: ChatModel;
  prompts: FitPrompts;
  signal?: AbortSignal;
  /** Users fitted at a time (the model's scheduler bounds the calls). */
  parallel?: number;
  onUser?: (userId: string, outcome: StoredPersona | Error) => void;
}

/** Kept for the benchmark's callers; the persona file layer owns how a file is read. */
export const readStoredPersona = (path: string) => readPersonaIfExists(path);

/**
 * Fits (or reuses) a persona per task, `parallel` users at a time (the work pool). A failed fit of one user
 * is reported and the others go on; a fatal error (no connection, a missing model) or a cancel stops the
 * users in flight and is thrown.
 */
export async function fitAndStore(
  tasks: readonly FitTask[],
  opts: FitStoreOptions,
): Promise<{ personas: Map<string, StoredPersona>; failed: { user: string; reason: string }[] }> {
  const personas = new Map<string, StoredPersona>();
  const failed: { user: string; reason: string }[] = [];
  const pool = { concurrency: opts.parallel ?? 4, ...(opts.signal ? { signal: opts.signal } : {}) };
  await forEachInPool(tasks, pool, async (t, signal) => {
    try {
      const s = (await reusedPersona(t, opts)) ?? (await fitOne(t, opts, signal));
      personas.set(t.userId, s);
      opts.onUser?.(t.userId, s);
    } catch (err) {
      if (signal.aborted || isFatal(err)) throw err;
      failed.push({ user: t.userId, reason: (err as Error).message });
      opts.onUser?.(t.userId, err as Error);
    }
  });
  return { personas, failed };
}

/** The user's persona file when it was fitted with the same model: a resumed benchmark does not fit again. */
async function reusedPersona(t: FitTask, opts: FitStoreOptions): Promise<StoredPersona | undefined> {
  // Another user's file under this name is not reused (and savePersona refuses to overwrite it).
  const existing = await readUserPersonaFile(opts.dir, t.userId).catch(() => undefined);
  if (!existing || existing.model.provenance.model !== opts.model.model) return undefined;
  return { ...existing, fitted: false };
}

async function fitOne(t: FitTask, opts: FitStoreOptions, signal: AbortSignal): Promise<StoredPersona> {
  const path = join(opts.dir, personaFileName(t.userId));
  const options = { ...fitSettingsOf(opts), signal };
  const counted = new CountingModel(opts.model);
  const r = await fitUser(counted, t.userId, t.context, t.validation, opts.prompts, options);
  const model = personaModelOf(r, opts.model, opts.prompts, options, counted.usage);
  // Benchmark personas keep their versions beside them, so a bench folder stays self-contained.
  await savePersona(path, model, join(opts.dir, '.history', personaStem(t.userId)));
  const stored = await readStoredPersona(path);
  return { model: stored!.model, hash: stored!.hash, path, fitted: true };
}
