// Closing the loop: how much has been collected, the person's own consistency (test-retest
// agreement: a ceiling for any judge of this user), and the current persona's accuracy on the pairs
// collected since it was fitted, which it has never seen: a genuine out-of-sample test, with its
// interval, the sample size said.

import type { ChatModel } from '../llm/types';
import type { Pair } from '../data/pair';
import type { PersonaModel } from '../method/persona-file';
import { judgePair, pairFailed } from '../method/judge';
import { judgeSystem } from '../method/messages';
import { demosOf } from '../method/methods';
import { figures } from '../eval/evaluate';
import { collectLogPath, readLog } from './collect-log';

export interface CollectStatus {
  collected: number;
  ties: number;
  skipped: number;
  /** Picks after the persona file's fit date. */
  sinceFit: number;
  retest: { asked: number; agreed: number; rate: number | null };
  /** The persona judge on the pairs collected since the fit (both orders), when there is a persona and a model. */
  outOfSample?: { pairs: number; accuracy: number; ci95: [number, number]; failed: number };
  /** Whether to offer a re-fit: at least `refitAfter` pairs since the fit. */
  refit: boolean;
}

export async function collectStatus(
  logPath: string,
  userPairs: readonly Pair[],
  persona: PersonaModel | undefined,
  opts: {
    refitAfter: number;
    judge?: { model: ChatModel; instructions: string; temperature: number; seed: number; signal?: AbortSignal };
  },
): Promise<CollectStatus> {
  const log = await readLog(logPath);
  const picks = log.filter((e) => e.type === 'pick');
  const fitted = persona?.provenance.created ? Date.parse(persona.provenance.created) : Number.NaN;
  const since = picks
    .filter((p) => !Number.isFinite(fitted) || Date.parse(p.at) > fitted)
    .map((p) => (p as { pairId: string }).pairId);
  const retests = log.filter(
    (e): e is Extract<typeof e, { type: 'retest' }> => e.type === 'retest' && e.agreed !== null,
  );
  const agreed = retests.filter((r) => r.agreed).length;
  const status: CollectStatus = {
    collected: picks.length,
    ties: log.filter((e) => e.type === 'tie').length,
    skipped: log.filter((e) => e.type === 'skip').length,
    sinceFit: persona ? since.length : 0,
    retest: { asked: retests.length, agreed, rate: retests.length ? agreed / retests.length : null },
    refit: persona ? since.length >= opts.refitAfter : false,
  };
  if (persona && opts.judge && since.length) {
    const byId = new Map(userPairs.map((p) => [p.pairId, p]));
    const pairs = since.map((id) => byId.get(id)).filter((p): p is Pair => p !== undefined);
    // The persona+demos judge, as evaluated everywhere else (a demonstration whose pair is gone leaves the demos out).
    let demos: ReturnType<typeof demosOf> = [];
    try {
      demos = demosOf(persona, userPairs);
    } catch {
      demos = [];
    }
    const system = judgeSystem(opts.judge.instructions, { persona: persona.persona, demos });
    const call = {
      temperature: opts.judge.temperature,
      seed: opts.judge.seed,
      ...(opts.judge.signal ? { signal: opts.judge.signal } : {}),
    };
    const verdicts = await Promise.all(pairs.map((p) => judgePair(opts.judge!.model, system, p, call)));
    const ok = verdicts.filter((v) => !pairFailed(v));
    if (ok.length) {
      const f = figures(ok, opts.judge.seed);
      status.outOfSample = {
        pairs: ok.length,
        accuracy: f.accuracy,
        ci95: f.ci95,
        failed: verdicts.length - ok.length,
      };
    }
  }
  return status;
}

/**
 * The status with the persona judged on the pairs collected since its fit (the CLI's --status, VS Code's
 * "Check the persona on them"): the judge prompt and the persona's demonstrations, temperature 0 and the
 * workspace's seed, as every evaluation judges.
 */
export async function judgedCollectStatus(inp: {
  root: string;
  userId: string;
  /** The user's pairs in the index now (the collected ones among them). */
  pairs: readonly Pair[];
  persona: PersonaModel | undefined;
  refitAfter: number;
  model: ChatModel;
  prompts: { get(name: 'judge'): Promise<{ text: string }> };
  seed: number;
  signal?: AbortSignal;
}): Promise<CollectStatus> {
  const judge = await inp.prompts.get('judge');
  return collectStatus(collectLogPath(inp.root, inp.userId), inp.pairs, inp.persona, {
    refitAfter: inp.refitAfter,
    judge: {
      model: inp.model,
      instructions: judge.text,
      temperature: 0,
      seed: inp.seed,
      ...(inp.signal ? { signal: inp.signal } : {}),
    },
  });
}
