// Where a fit job stands, as one status the faces show: the phase of the user who moved last ("phase 2 of
// 5"), the calls done against the estimate, and an ETA once the server's speed is known (eta.ts). A fit's
// phases each count from 0 again, so without this a long fit reads as counters that restart.
//
// The estimate starts as the dry run's upper bound and tightens as the fit goes: once a user's phase is
// over, its calls are what it used, not its bound (a selection pruned early used far fewer).

import { etaSeconds, etaText } from '../eta';
import type { ChatModel, ChatRequest, ChatResult } from '../llm/types';
import { FIT_PHASES, fitPhaseStep, fitProgressText, type FitProgress } from '../method/fit';

export interface FitStatus {
  /** Users finished (fitted or failed) of the ready ones. */
  users: { finished: number; total: number };
  /** The latest phase event, whose it is, and the phase's place in the fit (from 1, of `steps`). */
  last?: { user: string; progress: FitProgress; step: number; steps: number };
  /** Calls answered (the cache's included) against the estimate of all the fit's calls. */
  calls: { done: number; estimate: number };
  /** Seconds left at the speed measured so far; absent until it is known. */
  etaSeconds?: number;
}

interface UserCalls {
  bounds: readonly number[];
  used: number[];
  /** The latest phase the user's fit reached (an index into FIT_PHASES). */
  current: number;
  finished: boolean;
}

/** The phase a call of the fit belongs to, by the purpose fit.ts gives it. */
function phaseOfPurpose(purpose: string | undefined): number {
  if (purpose === 'persona synthesis') return FIT_PHASES.indexOf('persona');
  return FIT_PHASES.indexOf(purpose as FitProgress['phase']);
}

/** Counts the calls of a fit job by user and phase, and says where the job stands after each change. */
export class FitTracker {
  private readonly users = new Map<string, UserCalls>();
  private readonly started: number;
  private answered = 0;
  private finishedUsers = 0;
  private last: FitStatus['last'];

  /** @param bounds each ready user's most calls per phase (fitPhaseBounds) */
  constructor(
    bounds: ReadonlyMap<string, readonly number[]>,
    private readonly onStatus: (s: FitStatus) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    for (const [user, b] of bounds)
      this.users.set(user, { bounds: b, used: b.map(() => 0), current: 0, finished: false });
  }

  /** The model one user's fit calls through: each answer is counted to its phase. */
  model(user: string, inner: ChatModel): ChatModel {
    return {
      provider: inner.provider,
      model: inner.model,
      chat: async (request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> => {
        const r = await inner.chat(request, signal);
        this.called(user, phaseOfPurpose(request.purpose), r.cached);
        return r;
      },
    };
  }

  phase(user: string, progress: FitProgress): void {
    const u = this.users.get(user);
    if (u) u.current = Math.max(u.current, FIT_PHASES.indexOf(progress.phase));
    this.last = { user, progress, step: fitPhaseStep(progress.phase), steps: FIT_PHASES.length };
    this.emit();
  }

  /** A user's fit ended (fitted or failed): its estimate is what it used. */
  finished(user: string): void {
    const u = this.users.get(user);
    if (u) u.finished = true;
    this.finishedUsers++;
    this.emit();
  }

  status(): FitStatus {
    let done = 0;
    let estimate = 0;
    for (const u of this.users.values()) {
      const used = u.used.reduce((a, b) => a + b, 0);
      done += used;
      estimate += u.finished
        ? used
        : u.used.reduce((a, n, i) => a + (i < u.current ? n : Math.max(n, u.bounds[i]!)), 0);
    }
    const eta = etaSeconds({
      answered: this.answered,
      remaining: estimate - done,
      elapsedMs: this.now() - this.started,
    });
    return {
      users: { finished: this.finishedUsers, total: this.users.size },
      ...(this.last ? { last: this.last } : {}),
      calls: { done, estimate },
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
    };
  }

  private called(user: string, phase: number, cached: boolean): void {
    const u = this.users.get(user);
    if (!u || phase < 0) return;
    u.used[phase]!++;
    u.current = Math.max(u.current, phase);
    if (!cached) this.answered++;
    this.emit();
  }

  private emit(): void {
    this.onStatus(this.status());
  }
}

/**
 * A fit's status in one line. Of one user (whom the run's title names): "phase 2 of 5: choosing demonstrations
 * 3/11 · 45 of at most 412 calls · about 3 min left". Of several: "1 of 3 user(s) done · bruno: phase 2 of 5: ...".
 */
export function fitStatusText(s: FitStatus, opts: { oneUser: boolean }): string {
  const parts: string[] = [];
  if (!opts.oneUser) parts.push(`${s.users.finished} of ${s.users.total} user(s) done`);
  if (s.last)
    parts.push(opts.oneUser ? fitProgressText(s.last.progress) : `${s.last.user}: ${fitProgressText(s.last.progress)}`);
  const { done, estimate } = s.calls;
  parts.push(done >= estimate ? `${done} calls` : `${done} of at most ${estimate} calls`);
  if (s.etaSeconds !== undefined) parts.push(etaText(s.etaSeconds));
  return parts.join(' · ');
}
