// The runs of a workspace, each with what made it (method, model and digest, split, label, the hashes
// of its prompts and personas) and whether it is stale: made with a prompt or a persona whose text has
// changed since. A stale run still holds true verdicts, of texts that are no longer the current ones.

import { readdir } from 'node:fs/promises';
import { READ_LIMITS, readOwnText } from '../read-guard';
import { join, resolve } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from '../method/default-prompts';
import { promptFileName, promptHash } from '../method/prompt-store';
import { readPersonaIfExists, readUserPersonaFile } from '../method/persona-file';
import { outside } from '../write-guard';
import { PERSONA_AT } from './evaluate';
import type { WorkspaceLayout } from '../workspace/layout';
import { readRun, testSetOf, type RunHeader } from './run-file';

export type RunStatus = 'complete' | 'incomplete' | 'unfinished';

export interface RunListing {
  /** The run file. */
  path: string;
  id: string;
  method: string;
  provider: string;
  model: string;
  modelDigest?: string;
  split: string;
  /** When the run was started (its header). */
  created: string;
  label?: string;
  users: string[];
  accuracy: number | null;
  ci95: [number, number] | null;
  pairs: number;
  /** complete; incomplete (calls failed, their pairs left out); unfinished (interrupted: no summary yet). */
  status: RunStatus;
  complete: boolean;
  stale: boolean;
  /** What changed since the run, one phrase each: `judge prompt changed`, `persona of ada removed`. */
  staleBecause: string[];
  inputs: Record<string, string>;
  /** The identity of the pairs the run judged (run-file.ts testSetId): runs with different ones judged different pairs. */
  testSet: string;
}

const PROMPT_NAMES = Object.keys(DEFAULT_PROMPTS) as PromptName[];

/** What a listing passes over: a run file it could not read, or a damaged line it skipped (`line` 1-based). */
export type RunSkipped = (path: string, why: string, line?: number) => void;

/**
 * Every run under the workspace's runs folder, newest first; files that are no runs (no header) are left out.
 * What is left out or skipped (a file refused by the read guard, one without a header, a damaged line) is
 * passed to `onSkipped`, so that a command can say it at its file and line.
 */
export async function listRuns(
  layout: Pick<WorkspaceLayout, 'runsDir' | 'promptDir' | 'personaDir'>,
  onSkipped?: RunSkipped,
): Promise<RunListing[]> {
  const names = (await readdir(layout.runsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.run.jsonl'));
  const current = new CurrentTexts(layout);
  const out: RunListing[] = [];
  for (const name of names) {
    const path = join(layout.runsDir, name);
    const run = await readRun(path).catch(
      (err: unknown) => void onSkipped?.(path, `not read: ${(err as Error).message}`),
    );
    // Ten skipped lines said one by one, then how many more (a file that is no run would say hundreds).
    const problems = run?.problems ?? [];
    for (const p of problems.slice(0, 10)) onSkipped?.(path, `${p.why}; line skipped`, p.line);
    if (problems.length > 10)
      onSkipped?.(path, `${problems.length - 10} more line(s) skipped (${problems.length} in all): is it a run file?`);
    const h = run?.header;
    if (run && !h && run.problems.length) onSkipped?.(path, 'no readable header: not listed');
    if (!run || !h) continue;
    const staleBecause = await changedInputs(h, current);
    // A run file that lost lines (a torn write, a hand edit) lacks verdicts its summary counted: incomplete,
    // and the same command judges the missing pairs again.
    const damaged =
      run.problems.some((p) => p.line > 1) || (run.summary !== undefined && run.verdicts.size < run.summary.pairs);
    const status: RunStatus = !run.summary
      ? 'unfinished'
      : run.summary.complete === false || damaged
        ? 'incomplete'
        : 'complete';
    out.push({
      path,
      id: h.id,
      method: h.method,
      provider: h.provider,
      model: h.model,
      ...(h.modelDigest ? { modelDigest: h.modelDigest } : {}),
      split: h.split,
      created: h.created,
      ...(h.label ? { label: h.label } : {}),
      users: h.users,
      accuracy: run.summary ? run.summary.accuracy : null,
      ci95: run.summary ? run.summary.ci95 : null,
      pairs: run.summary ? run.summary.pairs : run.verdicts.size,
      status,
      complete: status === 'complete',
      stale: staleBecause.length > 0,
      staleBecause,
      inputs: h.inputs,
      testSet: testSetOf(run),
    });
  }
  return out.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.path < b.path ? -1 : 1));
}

/** The inputs of a run whose current text differs from the one it was made with. */
async function changedInputs(h: RunHeader, current: CurrentTexts): Promise<string[]> {
  const out: string[] = [];
  for (const [key, hash] of Object.entries(h.inputs ?? {})) {
    if ((PROMPT_NAMES as string[]).includes(key)) {
      const now = await current.prompt(key as PromptName);
      if (now !== hash) out.push(now === null ? `${key} prompt unreadable` : `${key} prompt changed`);
    } else if (key.startsWith('persona:')) {
      const user = key.slice('persona:'.length);
      const at = h.inputs[`${PERSONA_AT}${user}`];
      const now = at !== undefined ? await current.personaAt(at) : await current.persona(user);
      if (now !== hash)
        out.push(
          now === undefined
            ? `persona of ${user} removed`
            : now === null
              ? `persona of ${user} unreadable`
              : `persona of ${user} changed`,
        );
    }
    // Other inputs (a re-validation's synthesized personas) follow from the prompts above.
  }
  return out;
}

/**
 * The hashes of the texts as they are now, each read once; null for a file that cannot be read.
 * Nothing is written: a missing prompt file is its default (written on first use), a missing persona undefined.
 */
class CurrentTexts {
  private readonly prompts = new Map<PromptName, Promise<string | null>>();
  private readonly personas = new Map<string, Promise<string | null | undefined>>();

  constructor(private readonly layout: Pick<WorkspaceLayout, 'promptDir' | 'personaDir' | 'runsDir'>) {}

  prompt(name: PromptName): Promise<string | null> {
    let p = this.prompts.get(name);
    if (!p) {
      // Under the read guard: a prompt planted as a FIFO or a link out is "unreadable", never opened.
      p = readOwnText(join(this.layout.promptDir, promptFileName(name)), {
        what: 'prompt file',
        maxBytes: READ_LIMITS.text,
      }).then(
        (text) => promptHash(text),
        (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? promptHash(DEFAULT_PROMPTS[name]) : null),
      );
      this.prompts.set(name, p);
    }
    return p;
  }

  /**
   * A persona that lives outside the workspace's persona folder (a benchmark's), by its path relative to the
   * runs folder, as the run recorded it. A path that leaves the workspace is not read: unreadable.
   */
  personaAt(relPath: string): Promise<string | null | undefined> {
    const key = `@${relPath}`;
    let p = this.personas.get(key);
    if (!p) {
      const path = resolve(this.layout.runsDir, relPath);
      const root = resolve(this.layout.runsDir, '..', '..');
      p = outside(path, root)
        ? Promise.resolve(null)
        : readPersonaIfExists(path).then(
            (found) => found?.hash,
            () => null,
          );
      this.personas.set(key, p);
    }
    return p;
  }

  persona(userId: string): Promise<string | null | undefined> {
    let p = this.personas.get(userId);
    if (!p) {
      p = readUserPersonaFile(this.layout.personaDir, userId).then(
        (found) => found?.hash,
        () => null,
      );
      this.personas.set(userId, p);
    }
    return p;
  }
}
