// Fitting for benchmark runs: personas of each fitting model live in a folder of their own
// (personas/<model-slug>/), so that models never overwrite each other and a persona fitted with
// one model can be evaluated with another (transfer). A persona file already fitted with the
// same model is reused: a resumed benchmark does not fit again.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import { fitUser, type FitPrompts } from '../method/fit';
import { parsePersona, personaFileName, savePersona, type PersonaModel } from '../method/persona-file';
import { promptHash } from '../method/prompt-store';

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

export interface FitStoreOptions {
  dir: string;
  model: ChatModel;
  prompts: FitPrompts;
  temperature: number;
  seed: number;
  k: number;
  stopScore: number;
  signal?: AbortSignal;
  /** Users fitted at a time (the model's scheduler bounds the calls). */
  parallel?: number;
  onUser?: (userId: string, outcome: StoredPersona | Error) => void;
}

export async function readStoredPersona(path: string): Promise<{ model: PersonaModel; hash: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { model: parsePersona(text, path), hash: promptHash(text) };
}

/** Fits (or reuses) a persona per task; failures of one user are reported, not thrown. */
export async function fitAndStore(tasks: readonly FitTask[], opts: FitStoreOptions): Promise<{ personas: Map<string, StoredPersona>; failed: { user: string; reason: string }[] }> {
  const personas = new Map<string, StoredPersona>();
  const failed: { user: string; reason: string }[] = [];
  const queue = [...tasks];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const path = join(opts.dir, personaFileName(t.userId));
      const existing = await readStoredPersona(path).catch(() => undefined);
      if (existing && existing.model.provenance.model === opts.model.model) {
        const s = { ...existing, path, fitted: false };
        personas.set(t.userId, s);
        opts.onUser?.(t.userId, s);
        continue;
      }
      try {
        const r = await fitUser(opts.model, t.userId, t.context, t.validation, opts.prompts, { temperature: opts.temperature, seed: opts.seed, k: opts.k, stopScore: opts.stopScore, ...(opts.signal ? { signal: opts.signal } : {}) });
        const model: PersonaModel = {
          userId: t.userId,
          persona: r.persona,
          demos: r.demos.map(({ pair, demo }) => ({ pairId: pair.pairId, file: pair.source.file, line: pair.source.line, order: demo.order, preference: demo.preference, reasoning: demo.reasoning })),
          provenance: {
            provider: opts.model.provider,
            model: opts.model.model,
            seed: opts.seed,
            temperature: opts.temperature,
            k: opts.k,
            stopScore: opts.stopScore,
            prompts: { bootstrap: opts.prompts.bootstrap.hash, 'persona-synthesis': opts.prompts.personaSynthesis.hash, judge: opts.prompts.judge.hash },
            created: new Date().toISOString(),
            validation: { accuracy: r.selection.evaluated ? r.selection.correct / r.selection.evaluated : 0, correct: r.selection.correct, evaluated: r.selection.evaluated, of: r.selection.of },
          },
        };
        await savePersona(path, model);
        const stored = await readStoredPersona(path);
        const s = { model: stored!.model, hash: stored!.hash, path, fitted: true };
        personas.set(t.userId, s);
        opts.onUser?.(t.userId, s);
      } catch (err) {
        const e = err as { kind?: string };
        if (opts.signal?.aborted || e.kind === 'connection' || e.kind === 'auth' || e.kind === 'not-found' || e.kind === 'aborted') throw err;
        failed.push({ user: t.userId, reason: (err as Error).message });
        opts.onUser?.(t.userId, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 4, tasks.length)) }, worker));
  return { personas, failed };
}
