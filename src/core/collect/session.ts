// A collection session: for each prompt, two candidate responses (generate.ts), shown in a random,
// recorded order; the person picks 1 or 2 (appended as a native pair), t for a tie or s to skip (kept
// in the log only). Now and then (the retest rate) a past pick is asked again in the reversed order,
// hidden among the new ones: the agreement estimates the person's own consistency. With "ask next",
// several candidates are generated (or read from a pool) and the one the persona judge is least sure
// about is asked first. The same loop serves the CLI (answers from a terminal, standard input or a
// file) and VS Code (answers from the webview): only the `Asker` differs.

import { hashSplit } from '../data/splits';
import { checkWrite } from '../write-guard';
import { randomBytes } from 'node:crypto';
import type { ChatModel } from '../llm/types';
import type { Turn } from '../data/pair';
import { createRng } from '../random';
import { isFatal } from '../method/judge';
import { UserError } from '../user-error';
import { relative } from 'node:path';
import { PreferenceAppender } from './append-pair';
import { collectLogPath, logEvent, readLog, type CollectEvent, type PickEvent } from './collect-log';
import { generateCandidates, type GenerationProgress, type ResponseSource } from './generate';
import { chooseMostInformative, type Candidate } from './informative';
import { pairKey, promptKey } from './item-key';
import { PickJournal, type PickJournalOptions } from './pick-journal';

export type Pick = '1' | '2' | 't' | 's';

export interface Answer {
  pick: Pick;
  reason?: string;
}

/** What the person is shown: the conversation and the two responses in the order they appear. */
export interface Shown {
  context: Turn[];
  first: string;
  second: string;
  /** Why this pair was asked (ask next), when it was chosen. */
  why?: string;
  /** A hidden retest: never said to the person (the asker must not show it), recorded for the agreement. */
  retest: boolean;
  /** 1-based count of pairs asked in this session. */
  index: number;
  /** What is asked (item-key.ts); none for a retest. A scripted asker finds its answer by it. */
  key?: string;
}

export interface Asker {
  /** The person's answer, or undefined to end the session. */
  ask(shown: Shown): Promise<Answer | undefined>;
  /** Answers written in advance (a file, a script): nothing to learn from re-asking, so no hidden retests. */
  readonly scripted?: boolean;
}

/**
 * A prompt to answer, or a ready candidate pair (a pool file, `--pairs-from`), with its sources' labels.
 * `key` is set by the session (item-key.ts); `origin` names where the item came from ("pool.jsonl:4").
 */
export type Item = (
  | { kind: 'prompt'; context: Turn[] }
  | { kind: 'pair'; context: Turn[]; responses: [string, string]; sources?: [string, string] }
) & { key?: string; origin?: string };

export interface CollectInputs {
  userId: string;
  /** The preference file the picks are appended to (JSONL or a YAML list). */
  file: string;
  /** How the file is named in the pair's records and messages (relative to the workspace). */
  fileName: string;
  /** The workspace root: the log goes under its .synthesizeme/collect/. */
  root: string;
  items: Item[];
  sources?: [ResponseSource, ResponseSource];
  asker: Asker;
  seed?: number;
  temperature: number;
  /** The share of asks that re-ask a past pick, reversed (0 turns retests off). */
  retestRate: number;
  /** Stop after this many answered pairs (new ones; retests do not count). */
  max?: number;
  /** Ask next: candidates judged by the persona judge, the least certain asked first. */
  informative?: { judge: ChatModel; systems: { current: string; previous?: string }; poolSize: number };
  signal?: AbortSignal;
  onNote?: (message: string) => void;
  /** Each event as it is logged, with the session's tallies after it. */
  onEvent?: (e: CollectEvent, counts: CollectCounts) => void;
  /** How far the generation of the next pair has come (tokens so far, tokens a second). */
  onGeneration?: (g: GenerationProgress) => void;
  /**
   * How new pairs are split (the workspace's seed and ratios). By default a collected pair gets an explicit
   * split, context or validation in the ratio of those two, by its id: a run's test set never grows or changes
   * because pairs were collected. `includeTest` leaves the pair without one, so the workspace's own rule may
   * put it in test. Absent: no split written (the workspace's rule applies).
   */
  newPairs?: { seed: number; ratios: readonly [number, number, number]; includeTest?: boolean };
  /** The file's appender, when the caller checked the file already (checkAppendable): the file is read once. */
  appender?: PreferenceAppender;
  /** The journal's retry waits, and (tests) a hook after each step of a pick: a throw there is a kill. */
  journal?: { retryDelaysMs?: PickJournalOptions['retryDelaysMs']; afterStep?: PickJournalOptions['afterStep'] };
}

/** The session's tallies so far, as a face shows them beside each pair. */
export interface CollectCounts {
  picked: number;
  ties: number;
  skipped: number;
  failed: number;
  retests: number;
  agreed: number;
}

export interface CollectSummary extends CollectCounts {
  asked: number;
  /** Pair ids appended, in order (with those a previous session journaled and never appended). */
  appended: string[];
  /** Picks kept in the log only: the file could not take them (the next collect appends them). */
  pending: string[];
  /** Picks of an earlier session found in the log only and appended at the start. */
  recovered: number;
  /** Items skipped: answered in an earlier session, or repeating another item. */
  resumed: number;
  duplicates: number;
}

/** Each item's key; the ones the log says were answered, and repeats of an earlier item, left out (said in one line each). */
function remainingItems(
  inp: CollectInputs,
  log: readonly CollectEvent[],
  logName: string,
): { items: Item[]; resumed: number; duplicates: number } {
  const answered = new Set(
    log.flatMap((e) =>
      (e.type === 'pick' || e.type === 'tie' || e.type === 'skip') && e.user === inp.userId && e.key ? [e.key] : [],
    ),
  );
  const seen = new Map<string, Item>();
  const repeats: string[] = [];
  const items: Item[] = [];
  let resumed = 0;
  for (const item of inp.items) {
    const key =
      item.key ??
      (item.kind === 'pair' ? pairKey(item.context, item.responses) : promptKey(item.context, inp.sources ?? []));
    const first = seen.get(key);
    if (first) {
      repeats.push(`${item.origin ?? 'an item'} repeats ${first.origin ?? 'an earlier one'}`);
      continue;
    }
    seen.set(key, item);
    if (answered.has(key)) resumed++;
    else items.push({ ...item, key });
  }
  if (repeats.length)
    inp.onNote?.(
      `${repeats.length} item(s) ask what an earlier one asks (${repeats.slice(0, 3).join('; ')}` +
        `${repeats.length > 3 ? '; ...' : ''}): each is asked once, since a second copy would count twice in a fit, ` +
        'or contradict the first',
    );
  if (resumed)
    inp.onNote?.(
      `${resumed} item(s) were answered in an earlier session (${logName}): skipped, the session resumes after them`,
    );
  return { items, resumed, duplicates: repeats.length };
}

const now = () => new Date().toISOString();

/** The explicit split of a newly collected pair: context or validation by its id (splits.ts), or none. */
export function newPairSplit(
  inp: { userId: string; newPairs?: CollectInputs['newPairs'] },
  pairId: string,
): 'context' | 'validation' | undefined {
  const n = inp.newPairs;
  if (!n || n.includeTest) return undefined;
  const [c, v] = n.ratios;
  if (c + v <= 0) return 'context';
  return hashSplit(n.seed, inp.userId, pairId, [c, v, 0]) === 'validation' ? 'validation' : 'context';
}

/** A candidate ready to be asked: its texts, their sources, the key of what is asked and, with ask next, why. */
type Ready = Candidate & { sources: [string, string]; key: string; why?: string };

/** What a session starts from: its log, the picks that can be retested, the journal and what is left to ask. */
interface Opened {
  logPath: string;
  past: PickEvent[];
  journal: PickJournal;
  queue: Item[];
  summary: CollectSummary;
}

/** The log checked and read, the appender and the journal opened, an earlier session's lost picks appended. */
async function openSession(inp: CollectInputs): Promise<Opened> {
  const logPath = collectLogPath(inp.root, inp.userId);
  // A pick is journaled before it is appended: a log that cannot be written (its folder linked out of the
  // workspace) is refused before anything is asked or generated, whichever face runs the session.
  await checkWrite(logPath);
  const logName = relative(inp.root, logPath);
  const log = await readLog(logPath);
  const past = log.filter((e): e is PickEvent => e.type === 'pick' && e.user === inp.userId);
  const appender = inp.appender ?? (await PreferenceAppender.open(inp.file, inp.fileName));
  const journal = new PickJournal({
    logPath,
    logName,
    appender,
    ...inp.journal,
    ...(inp.onNote ? { onNote: inp.onNote } : {}),
  });
  // A previous session killed between its log and its append: its picks go into the file first.
  const recovered = await journal.reconcile(log, inp.userId, inp.fileName);
  if (recovered.length)
    inp.onNote?.(
      `${recovered.length} pick(s) of an earlier session were in ${logName} only: appended to ${inp.fileName}`,
    );
  const left = remainingItems(inp, log, logName);
  const summary: CollectSummary = {
    asked: 0,
    picked: 0,
    ties: 0,
    skipped: 0,
    failed: 0,
    retests: 0,
    agreed: 0,
    appended: [],
    pending: [],
    recovered: recovered.length,
    resumed: left.resumed,
    duplicates: left.duplicates,
  };
  return { logPath, past, journal, queue: [...left.items], summary };
}

function countsOf({ picked, ties, skipped, failed, retests, agreed }: CollectSummary): CollectCounts {
  return { picked, ties, skipped, failed, retests, agreed };
}

/** The loop of one session: retests among the new pairs, each answer logged (and a pick appended). */
class SessionLoop {
  private readonly rng: () => number;
  private answered = 0;

  constructor(
    private readonly inp: CollectInputs,
    private readonly s: Opened,
  ) {
    this.rng = createRng(`${inp.seed ?? Date.now()}:collect:${inp.userId}`);
  }

  async run(): Promise<CollectSummary> {
    const { inp, s } = this;
    while (inp.max === undefined || this.answered < inp.max) {
      inp.signal?.throwIfAborted();
      const step = this.retestDue() ? await this.askRetest() : await this.askNew();
      if (step === 'end') break;
    }
    if (s.journal.pending.size) await s.journal.flush();
    s.summary.appended = [...s.journal.appended];
    s.summary.pending = [...s.journal.pending.keys()];
    return s.summary;
  }

  private async record(e: CollectEvent): Promise<void> {
    await logEvent(this.s.logPath, e);
    this.inp.onEvent?.(e, countsOf(this.s.summary));
  }

  /** Never one of the last two picks, which the person would remember. */
  private retestable(): PickEvent[] {
    return this.s.past.slice(0, Math.max(0, this.s.past.length - 2));
  }

  private retestDue(): boolean {
    return this.inp.retestRate > 0 && this.retestable().length > 0 && this.rng() < this.inp.retestRate;
  }

  /** A hidden retest: a past pick, the other way round. */
  private async askRetest(): Promise<'asked' | 'end'> {
    const { inp, s } = this;
    const retestable = this.retestable();
    const p = retestable[Math.floor(this.rng() * retestable.length)]!;
    s.summary.asked++;
    const a = await inp.asker.ask({
      context: p.context,
      first: p.texts[1],
      second: p.texts[0],
      retest: true,
      index: s.summary.asked,
    });
    if (!a) return 'end';
    // Shown reversed: answer 1 is the response first shown as 2.
    const agreed = a.pick === 't' || a.pick === 's' ? null : (a.pick === '1' ? 2 : 1) === p.picked;
    s.summary.retests++;
    if (agreed) s.summary.agreed++;
    await this.record({ type: 'retest', at: now(), user: inp.userId, pairId: p.pairId, agreed, answer: a.pick });
    return 'asked';
  }

  /** The next new pair, shown in a random recorded order (position must not decide what the person prefers). */
  private async askNew(): Promise<'asked' | 'end'> {
    const c = await this.next();
    if (!c) return 'end';
    const flip = this.rng() < 0.5;
    const texts: [string, string] = flip ? [c.responses[1], c.responses[0]] : [c.responses[0], c.responses[1]];
    const sources: [string, string] = flip ? [c.sources[1], c.sources[0]] : [c.sources[0], c.sources[1]];
    this.s.summary.asked++;
    const a = await this.inp.asker.ask({
      context: c.context,
      first: texts[0],
      second: texts[1],
      retest: false,
      index: this.s.summary.asked,
      key: c.key,
      ...(c.why ? { why: c.why } : {}),
    });
    if (!a) return 'end';
    this.answered++;
    await this.keep(c, a, texts, sources);
    return 'asked';
  }

  /** A tie or a skip is logged only; a pick is logged first, then appended (pick-journal.ts). */
  private async keep(c: Ready, a: Answer, texts: [string, string], sources: [string, string]): Promise<void> {
    const { inp, s } = this;
    const reason = a.reason?.trim() ? a.reason.trim().slice(0, 500) : undefined;
    const told = { context: c.context, texts, sources, ...(reason ? { reason } : {}), key: c.key };
    if (a.pick === 't' || a.pick === 's') {
      if (a.pick === 't') s.summary.ties++;
      else s.summary.skipped++;
      await this.record({ type: a.pick === 't' ? 'tie' : 'skip', at: now(), user: inp.userId, ...told });
      return;
    }
    const stamp = new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14);
    const pairId = `collected-${stamp}-${randomBytes(3).toString('hex')}`;
    const split = newPairSplit(inp, pairId);
    const e: PickEvent = {
      type: 'pick',
      at: now(),
      user: inp.userId,
      pairId,
      file: inp.fileName,
      context: c.context,
      texts,
      sources,
      picked: a.pick === '1' ? 1 : 2,
      ...(reason ? { reason } : {}),
      ...(c.why ? { informative: c.why } : {}),
      key: c.key,
      journaled: true,
      ...(split ? { split } : {}),
    };
    // A pick the file cannot take now stays in the log.
    await s.journal.pick(e);
    s.summary.picked++;
    inp.onEvent?.(e, countsOf(s.summary));
    s.past.push(e);
  }

  /** The next candidate to ask: a ready pair, generated responses, or (ask next) the least certain of several. */
  private async next(): Promise<Ready | undefined> {
    const { inp, s } = this;
    const want = inp.informative ? Math.max(1, inp.informative.poolSize) : 1;
    const pool: Ready[] = [];
    while (pool.length < want && s.queue.length) {
      const c = await this.candidate(s.queue.shift()!);
      if (c) pool.push(c);
    }
    if (!pool.length) return undefined;
    if (!inp.informative || pool.length === 1) return pool[0];
    const choice = await chooseMostInformative(inp.informative.judge, inp.userId, pool, inp.informative.systems, {
      temperature: inp.temperature,
      seed: inp.seed ?? 0,
      ...(inp.signal ? { signal: inp.signal } : {}),
    });
    // The others go back to the front of the queue, as ready pairs: nothing generated is thrown away.
    const rest = pool.filter((_, i) => i !== choice.index);
    s.queue.unshift(
      ...rest.map((c): Item => ({
        kind: 'pair',
        context: c.context,
        responses: c.responses,
        sources: c.sources,
        key: c.key,
      })),
    );
    return { ...pool[choice.index]!, why: choice.reason };
  }

  /** An item as a candidate: a ready pair as it is, a prompt answered by the two sources (a failure is said and logged). */
  private async candidate(item: Item): Promise<Ready | undefined> {
    const { inp, s } = this;
    if (item.kind === 'pair')
      return {
        context: item.context,
        responses: item.responses,
        sources: item.sources ?? ['response 1', 'response 2'],
        key: item.key!,
      };
    if (!inp.sources) throw new UserError('no response sources: give two models, two system prompts, or --persona');
    const [a, b] = inp.sources;
    try {
      const c = await generateCandidates(a, b, item.context, {
        temperature: inp.temperature,
        seed: Math.floor(this.rng() * 2 ** 31),
        ...(inp.signal ? { signal: inp.signal } : {}),
        ...(inp.onGeneration ? { onProgress: inp.onGeneration } : {}),
      });
      if (c.ok) return { context: item.context, responses: c.responses, sources: [a.label, b.label], key: item.key! };
      inp.onNote?.(c.note);
      s.summary.skipped++;
      await this.record({ type: 'skip', at: now(), user: inp.userId, context: item.context, note: c.note });
    } catch (err) {
      if (isFatal(err) || inp.signal?.aborted || !(err instanceof UserError)) throw err;
      // A failed generation: said, logged, nothing appended; the session goes on with the next prompt.
      s.summary.failed++;
      inp.onNote?.(err.message);
      await this.record({ type: 'failed', at: now(), user: inp.userId, error: err.message });
    }
    return undefined;
  }
}

/** One session: the asker answers pair after pair until it ends, the items run out or `max` pairs are answered. */
export async function collect(inp: CollectInputs): Promise<CollectSummary> {
  return new SessionLoop(inp, await openSession(inp)).run();
}
