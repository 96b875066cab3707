// A run file is an append-only journal under `.synthesizeme/runs/`: a header, one line per
// judged pair as soon as it is judged, and a summary when the run completes. Its name is a hash
// of everything that determines the verdicts, so starting the same run again finds the file
// and judges only the pairs that are missing: a killed run loses no finished pair.
// One process at a time writes a run: the journal holds the run's lock (run-lock.ts) from open to
// close, and what is already judged must be read under it (RunJournal.read), not before.

import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { checkWrite } from '../write-guard';
import { join } from 'node:path';
import { pairFailed, type PairVerdict } from '../method/judge';
import { RunLock, type RunLockOptions } from './run-lock';

export interface RunHeader {
  type: 'header';
  version: 1;
  id: string;
  method: string;
  split: string;
  provider: string;
  model: string;
  /** What the model is on the server (Ollama's digest), when the server says: the name stays when `ollama pull` brings new weights. */
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
}

export interface UserFigures {
  id: string;
  accuracy: number;
  ci95: [number, number];
  consistency: number;
  samples: number;
  pairs: number;
  /** Order-samples whose answer named neither A nor B (counted wrong). */
  unparseable?: number;
}

/** The calls of a run that failed: no answers, so the run is incomplete. */
export interface RunFailures {
  calls: number;
  pairs: number;
  /** Each distinct reason with how often it happened, most frequent first. */
  reasons: { message: string; count: number }[];
}

export interface RunSummary {
  type: 'summary';
  accuracy: number;
  ci95: [number, number];
  consistency: number;
  samples: number;
  pairs: number;
  users: UserFigures[];
  completed: string;
  /** False when calls failed: the figures cover only the pairs judged; run again to judge the rest. Absent in older files: complete. */
  complete?: boolean;
  failed?: RunFailures;
  unparseable?: number;
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
  /** Lines that did not parse (a torn last write): skipped, and the pair is judged again. */
  damaged: number;
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
  const h = createHash('sha256').update(JSON.stringify({ ...identity, users: [...identity.users].sort() })).digest('hex');
  return h.slice(0, 12);
}

export function runFileName(method: string, split: string, id: string): string {
  return `${method.replace(/[^A-Za-z0-9]+/g, '-')}-${split}-${id}.run.jsonl`;
}

export async function readRun(path: string): Promise<RunContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { verdicts: new Map(), damaged: 0 };
    throw err;
  }
  const out: RunContents = { verdicts: new Map(), damaged: 0 };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: { type?: string };
    try {
      rec = JSON.parse(line) as { type?: string };
    } catch {
      out.damaged++;
      continue;
    }
    if (rec.type === 'header') out.header = rec as RunHeader;
    else if (rec.type === 'summary') out.summary = rec as RunSummary;
    else if (rec.type === 'verdict') {
      const v = rec as VerdictRecord;
      const { type: _t, ...verdict } = v;
      // A failed call in an older file is no verdict: left out, so a re-run judges the pair again.
      if (pairFailed(verdict)) continue;
      out.verdicts.set(verdictKey(v.userId, v.pairId), verdict);
    }
  }
  return out;
}

/** Appends records in order; each record is one write of one whole line. Holds the run's lock until close(). */
export class RunJournal {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly lock: RunLock,
  ) {}

  /** Takes the run's lock first (waiting for another writer, see RunLockOptions), then opens the file. */
  static async open(dir: string, name: string, lockOptions: RunLockOptions = {}): Promise<RunJournal> {
    const path = join(dir, name);
    // A run's name can be predicted: a link planted under it (or its lock's) must not be followed out.
    await checkWrite(path);
    await checkWrite(`${path}.lock`);
    await mkdir(dir, { recursive: true });
    const lock = await RunLock.acquire(path, lockOptions);
    const journal = new RunJournal(path, lock);
    try {
      // A crash can leave a torn last line; start on a fresh line so the next record stays whole.
      try {
        const text = await readFile(journal.path);
        if (text.length && text[text.length - 1] !== 10) await appendFile(journal.path, '\n');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (lock.tookOver) {
        const { pid, started } = lock.tookOver;
        await journal.append({ type: 'note', message: `took over the lock of process ${pid} (writing since ${started}), which had stopped`, at: new Date().toISOString() });
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
    this.chain = this.chain.then(() => appendFile(this.path, line));
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
