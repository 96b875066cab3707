// A run file is an append-only journal under `.synthesizeme/runs/`: a header, one line per
// judged pair as soon as it is judged, and a summary when the run completes. Its name is a hash
// of everything that determines the verdicts, so starting the same run again finds the file
// and judges only the pairs that are missing: a killed run loses no finished pair.
// One process at a time writes a run: the journal holds the run's lock (run-lock.ts) from open to
// close, and what is already judged must be read under it (RunJournal.read), not before.

import { createHash } from 'node:crypto';
import { openOwn, READ_LIMITS, readOwnText } from '../read-guard';
import { checkWrite, mkdirChecked, openAppender } from '../write-guard';
import { join } from 'node:path';
import { pairFailed, type PairVerdict } from '../method/judge';
import { RunLock, type RunLockOptions } from './run-lock';
import { isRecord as isObject } from '../is-record';

export interface RunHeader {
  type: 'header';
  version: 1;
  id: string;
  method: string;
  split: string;
  provider: string;
  model: string;
  /**
   * What the model is on the server (Ollama's digest), when the server says: the name stays when `ollama pull` brings
   * new weights. For VS Code's language models (provider vscode-lm): `vendor V, id I, family F, version N`.
   */
  modelDigest?: string;
  baseUrl?: string;
  seed: number;
  temperature: number;
  users: string[];
  created: string;
  /** Hashes of what shaped the prompts: prompt files, persona files. */
  inputs: Record<string, string>;
  /** A name the researcher gave the run (`--label`). */
  label?: string;
  /**
   * The identity of the pairs the run was asked to judge (testSetId): two runs with different ones were
   * judged on different pairs. Part of the run's identity, so a changed split starts a new run file.
   * Absent in older files: testSetOf computes it from their verdicts.
   */
  testSet?: string;
  /** The rubric methods: how many of each user's context pairs the judge read (part of the run's identity). */
  rubricContext?: number;
  /** The reward-model methods: the endpoint that scored (`model` names the reward model); part of the run's identity. */
  reward?: { endpoint: string };
  /** `--samples k` (k > 1): each order judged k times at `temperature`, the answers aggregated. Part of the identity. */
  samples?: number;
  /** `--similar-users m`: how many neighbours each user's prompt read, and the model that embedded them. Part of the identity. */
  similarUsers?: SimilarUsersHeader;
}

export interface SimilarUsersHeader {
  m: number;
  /** The embedding model (as named on the chat model's server): another one may choose other neighbours. */
  embedModel: string;
}

/** The figures of a set of verdicts (one user's, a whole run's): what `figures` in evaluate.ts computes. */
export interface Figures {
  accuracy: number;
  ci95: [number, number];
  consistency: number;
  samples: number;
  pairs: number;
  /** Order-samples whose answer named neither A nor B (counted wrong). */
  unparseable?: number;
  /** The rubric methods: of `unparseable`, the orders whose weighted sums were equal, and those with unreadable scores. */
  ties?: number;
  unreadable?: number;
  /** The reward-model methods: the mean score margin (chosen - rejected) over pairs, with its 95% interval. */
  margin?: { mean: number; ci95: [number, number] };
  /** `--samples k`: the mean share of an order's samples that gave its most frequent answer (1: all agreed). */
  sampleConsistency?: number;
}

export interface UserFigures extends Figures {
  id: string;
}

/** The calls of a run that failed: no answers, so the run is incomplete. */
export interface RunFailures {
  calls: number;
  pairs: number;
  /** Each distinct reason with how often it happened, most frequent first. */
  reasons: { message: string; count: number }[];
}

export interface RunSummary extends Figures {
  type: 'summary';
  users: UserFigures[];
  completed: string;
  /** False when calls failed: the figures cover only the pairs judged; run again to judge the rest. Absent in older files: complete. */
  complete?: boolean;
  failed?: RunFailures;
}

export type VerdictRecord = PairVerdict & { type: 'verdict' };

/** Something a reader of the run should know that is no verdict (a stale lock taken over). Readers skip it. */
export interface RunNote {
  type: 'note';
  message: string;
  at: string;
}

export interface RunContents {
  header?: RunHeader;
  verdicts: Map<string, PairVerdict>;
  summary?: RunSummary;
  /** Lines that are no record (bad JSON, a torn last write, a record of the wrong shape): skipped, and a pair judged again. */
  damaged: number;
  /** Each skipped line with why, for the commands to report at its file and line. */
  problems: RunProblem[];
}

export interface RunProblem {
  /** 1-based line number in the run file. */
  line: number;
  why: string;
}

/** `runs/x.run.jsonl:3: not valid JSON; line skipped`, one per skipped line: what every reader of runs reports. */
/** Skipped lines said one by one up to this many per file; a file that is no run at all would say hundreds. */
const MAX_PROBLEM_LINES = 10;

export function runProblemLines(path: string, problems: readonly RunProblem[]): string[] {
  const shown = problems.slice(0, MAX_PROBLEM_LINES).map((p) => `${path}:${p.line}: ${p.why}; line skipped`);
  const more = problems.length - shown.length;
  return more > 0
    ? [...shown, `${path}: ${more} more line(s) skipped (${problems.length} in all): is it a run file?`]
    : shown;
}

export function verdictKey(userId: string, pairId: string): string {
  return `${userId}\u0000${pairId}`;
}

/**
 * What a run is: method, split, model, seed, temperature, users, input hashes and its label (two labels,
 * two runs; the cache makes the second free). Not the server's address: the same model behind another
 * port (or a second server) resumes the same run. Nor the model's digest: it is recorded when the server
 * names one, but a cached re-run against a server that cannot be reached (no digest then) must resume
 * the run, not start another.
 */
export function runId(parts: Omit<RunHeader, 'type' | 'version' | 'id' | 'created'>): string {
  const { baseUrl: _server, modelDigest: _digest, ...identity } = parts;
  const h = createHash('sha256')
    .update(JSON.stringify({ ...identity, users: [...identity.users].sort() }))
    .digest('hex');
  return h.slice(0, 12);
}

/** The first 12 hex of the sha256 of the sorted `user\tpair` ids: the identity of a set of pairs. */
export function testSetId(pairs: Iterable<{ userId: string; pairId: string }>): string {
  const ids = [...pairs].map((p) => `${p.userId}\t${p.pairId}`).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 12);
}

/** A run's test set: its header's, or for a file written before headers held one, the pairs it judged. */
export function testSetOf(run: RunContents): string {
  return run.header?.testSet ?? testSetId(run.verdicts.values());
}

export function runFileName(method: string, split: string, id: string): string {
  return `${method.replace(/[^A-Za-z0-9]+/g, '-')}-${split}-${id}.run.jsonl`;
}

/**
 * A run file's records. Read under the read guard (no link out of the workspace, no FIFO or device, at most
 * READ_LIMITS.log). A line that is not a record of the right shape is skipped and listed in `problems`
 * with its line: a damaged file never crashes a reader, and a pair whose verdict is skipped is judged again.
 */
export async function readRun(path: string): Promise<RunContents> {
  let text: string;
  try {
    text = await readOwnText(path, { what: 'run file', maxBytes: READ_LIMITS.log });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { verdicts: new Map(), damaged: 0, problems: [] };
    throw err;
  }
  const out: RunContents = { verdicts: new Map(), damaged: 0, problems: [] };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const why = addRecord(out, line, i === lines.length - 1);
    if (why) out.problems.push({ line: i + 1, why });
  });
  out.damaged = out.problems.length;
  return out;
}

/** Adds one line's record to `out`; why it is skipped, or undefined. */
function addRecord(out: RunContents, line: string, last: boolean): string | undefined {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return last ? 'a torn last line (cut off mid-write)' : 'not valid JSON';
  }
  const type = isObject(rec) ? rec.type : undefined;
  if (type === 'note') return undefined;
  if (type === 'header') {
    if (out.header) return 'a second header';
    const h = rec as Partial<RunHeader>;
    const users = Array.isArray(h.users) && h.users.every((u) => typeof u === 'string');
    if (!strings(h.id, h.method, h.split, h.model) || !users)
      return 'a header without its id, method, split, model or users';
    if (h.inputs !== undefined && !isObject(h.inputs)) return 'a header whose "inputs" is not an object';
    out.header = { ...h, inputs: h.inputs ?? {} } as RunHeader;
    return undefined;
  }
  if (type === 'summary') {
    const m = rec as Partial<RunSummary>;
    const figures =
      typeof m.accuracy === 'number' && typeof m.pairs === 'number' && isPair(m.ci95) && Array.isArray(m.users);
    if (!figures) return 'a summary without its accuracy, ci95, pairs or users';
    out.summary = m as RunSummary;
    return undefined;
  }
  if (type === 'verdict') {
    const { type: _t, ...verdict } = rec as VerdictRecord;
    const orders = Array.isArray(verdict.orders) && verdict.orders.length === 2 && verdict.orders.every(isOrder);
    if (!strings(verdict.userId, verdict.pairId) || !orders)
      return 'a verdict without its userId, pairId or two orders';
    // A failed call in an older file is no verdict: left out, so a re-run judges the pair again.
    if (!pairFailed(verdict)) out.verdicts.set(verdictKey(verdict.userId, verdict.pairId), verdict);
    return undefined;
  }
  return 'not a run record (no "type" of header, verdict, summary or note)';
}

function strings(...xs: unknown[]): boolean {
  return xs.every((x) => typeof x === 'string');
}

function isPair(x: unknown): boolean {
  return Array.isArray(x) && x.length === 2 && x.every((n) => typeof n === 'number');
}

function isOrder(o: unknown): boolean {
  return (
    isObject(o) &&
    (o.preference === 'A' || o.preference === 'B' || o.preference === null) &&
    typeof o.correct === 'boolean'
  );
}

/** Whether a run file is absent, empty or ends with a newline: its last byte read under the read guard (a FIFO is refused). */
async function endsWithNewline(path: string): Promise<boolean> {
  let opened;
  try {
    opened = await openOwn(path, { what: 'run file', maxBytes: READ_LIMITS.streamed });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  try {
    if (!opened.size) return true;
    const last = Buffer.alloc(1);
    await opened.handle.read(last, 0, 1, opened.size - 1);
    return last[0] === 10;
  } finally {
    await opened.handle.close();
  }
}

/** Appends records in order; each record is one write of one whole line. Holds the run's lock until close(). */
export class RunJournal {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly lock: RunLock,
    private readonly write: (data: string) => Promise<void>,
  ) {}

  /** Takes the run's lock first (waiting for another writer, see RunLockOptions), then opens the file. */
  static async open(dir: string, name: string, lockOptions: RunLockOptions = {}): Promise<RunJournal> {
    const path = join(dir, name);
    // A run's name can be predicted: a link planted under it (or its lock's) must not be followed out.
    await checkWrite(path);
    await checkWrite(`${path}.lock`);
    await mkdirChecked(dir);
    const lock = await RunLock.acquire(path, lockOptions);
    const journal = new RunJournal(path, lock, await openAppender(path));
    try {
      // A crash can leave a torn last line; start on a fresh line so the next record stays whole.
      if (!(await endsWithNewline(journal.path))) await journal.write('\n');
      if (lock.tookOver) {
        const { pid, started } = lock.tookOver;
        await journal.append({
          type: 'note',
          message: `took over the lock of process ${pid} (writing since ${started}), which had stopped`,
          at: new Date().toISOString(),
        });
      }
    } catch (err) {
      await lock.release();
      throw err;
    }
    return journal;
  }

  /** The run as it is on disk now; under the lock, nobody else adds to it. */
  read(): Promise<RunContents> {
    return readRun(this.path);
  }

  append(record: RunHeader | VerdictRecord | RunSummary | RunNote): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    this.chain = this.chain.then(() => this.write(line));
    return this.chain;
  }

  flush(): Promise<void> {
    return this.chain;
  }

  /** Waits for the writes in flight (whether they failed or not), then lets the next writer in. */
  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.lock.release();
  }
}
