// A verdict of "Judge this pair" (the editor's lens) kept as a small run of its own, so that the pair
// view and pair history, which read runs and nothing else, show it beside the evaluations.
//
// Why a run and not the lens's session store: a run is the one state that lasts (a verdict survives a
// reload), it records what made the verdict (model, prompt and persona hashes, so it goes stale like any
// run), and it is written by the one run writer (RunJournal) and read by the one reader. Why a folder of
// its own (runs/lens/): a one-pair check is no evaluation; kept out of the runs folder's top level, it
// never enters the run lists, the grid, version history or `synthesizeme runs`, where one pair at 100%
// would pass for a result. Only pair history looks there too.

import { join } from 'node:path';
import type { Pair } from '../data/pair';
import type { ModelLister } from './runs-model-digest';
import { modelDigestOf } from './runs-model-digest';
import { pairFailed, type PairVerdict } from '../method/judge';
import { redactUrl } from '../llm/errors';
import { textHash } from '../text-hash';
import type { WorkspaceLayout } from '../workspace/layout';
import { figures } from './evaluate';
import { runFileName, runId, RunJournal, testSetId, type RunHeader, type RunSummary } from './run-file';

/** The split name of a lens run: what the pair view shows as where the verdict came from. */
export const LENS_SPLIT = 'lens';

/** The label of a lens run: how the pair view names where the verdict came from (`Judge this pair · default on lens`). */
export const LENS_LABEL = 'Judge this pair';

/** Where lens runs live: a folder inside the runs folder, which the run lists do not read (see above). */
export function lensRunsDir(layout: Pick<WorkspaceLayout, 'runsDir'>): string {
  return join(layout.runsDir, LENS_SPLIT);
}

export interface LensVerdictInputs {
  /** plain: the judge prompt alone (the method `default`); persona: with the persona and its demonstrations (`persona+demos`). */
  mode: 'plain' | 'persona';
  /** The model that judged; asked for its digest when the server names one (Ollama). */
  model: ModelLister & { readonly config?: { readonly baseUrls: readonly string[] } };
  seed: number;
  temperature: number;
  /** The hash of the judge prompt's text (Prompt.hash). */
  judgeHash: string;
  /** The hash of the persona file's text, for the persona mode. */
  personaHash?: string;
  /** The pair as it was judged: its text is part of the run's identity (an edited pair is judged anew). */
  pair: Pair;
  signal?: AbortSignal;
}

/** The hash of what the judge saw of the pair: an edit of its text makes another lens run. */
function pairTextHash(p: Pair): string {
  return textHash(JSON.stringify([p.context.map((t) => [t.role, t.content]), p.chosen.content, p.rejected.content]));
}

/** The lens run's header parts (RunHeader without id and time): what makes it this run. */
function lensHeaderParts(inp: LensVerdictInputs, modelDigest: string | undefined) {
  const user = inp.pair.userId;
  const inputs: Record<string, string> = { judge: inp.judgeHash, pair: pairTextHash(inp.pair) };
  if (inp.mode === 'persona' && inp.personaHash) inputs[`persona:${user}`] = inp.personaHash;
  const baseUrl = inp.model.config?.baseUrls[0];
  return {
    method: inp.mode === 'persona' ? 'persona+demos' : 'default',
    split: LENS_SPLIT,
    provider: inp.model.provider,
    model: inp.model.model,
    ...(modelDigest ? { modelDigest } : {}),
    ...(baseUrl ? { baseUrl: redactUrl(baseUrl) } : {}),
    seed: inp.seed,
    temperature: inp.temperature,
    users: [user],
    inputs,
    label: LENS_LABEL,
    testSet: testSetId([inp.pair]),
  };
}

/**
 * Keeps a lens verdict as a one-pair run under runs/lens/ and returns its file; undefined for a verdict
 * whose calls failed (no answer is no verdict, as in every run). Judging the same pair again with the same
 * inputs adds the new verdict to the same file: the reader keeps the last one.
 */
export async function recordLensVerdict(
  layout: Pick<WorkspaceLayout, 'runsDir'>,
  inp: LensVerdictInputs,
  verdict: PairVerdict,
): Promise<string | undefined> {
  if (pairFailed(verdict)) return undefined;
  const parts = lensHeaderParts(inp, await modelDigestOf(inp.model, inp.signal));
  const id = runId(parts);
  const journal = await RunJournal.open(lensRunsDir(layout), runFileName(parts.method, LENS_SPLIT, id));
  try {
    if (!(await journal.read()).header) {
      const header: RunHeader = { type: 'header', version: 1, id, created: new Date().toISOString(), ...parts };
      await journal.append(header);
    }
    await journal.append({ type: 'verdict', ...verdict });
    const f = figures([verdict], inp.seed);
    const summary: RunSummary = {
      type: 'summary',
      ...f,
      users: [{ id: inp.pair.userId, ...f }],
      completed: new Date().toISOString(),
      complete: true,
    };
    await journal.append(summary);
    await journal.flush();
    return journal.path;
  } finally {
    await journal.close();
  }
}
