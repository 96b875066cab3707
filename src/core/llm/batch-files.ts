// Batch mode's endpoint (--batch files|openai): instead of sending a call, it answers it from the batch output files
// in the batch folder, and writes each call they do not answer to the next stage's input file. A call it writes fails
// as 'deferred': the job goes as far as its answers take it (a fit stops at its first unanswered call, as after any
// failed call), and the answers it got go to the response cache like live ones. Run again with the stage's output in
// the folder, the same job replays from the cache and goes one stage further. See batch-run.ts for the rounds.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { READ_LIMITS, openOwn } from '../read-guard';
import { checkWrite, mkdirChecked, renameChecked, writeFileChecked } from '../write-guard';
import { batchInputLine, batchLineBody, batchLineId, batchLineReply, readBatchOutputLine } from './batch-lines';
import { LlmError } from './errors';
import { estimateTokens } from './estimate';
import type { EndpointClient, ProviderCall, ProviderReply } from './provider';

export interface BatchFilesOptions {
  /** The batch folder: stage input files are written here, output files are read from here. */
  dir: string;
  /** What the run is ('fit', 'eval', 'bench'): the first part of each custom_id and of each stage's file name. */
  job: string;
}

/** One stage's input file, as written (or found already written and still waiting for its output). */
export interface BatchStage {
  name: string;
  input: string;
  /** Where the output is expected: `<name>.output.jsonl` beside the input. */
  output: string;
  requests: number;
  /** Estimated prompt tokens of its requests. */
  promptTokens: number;
  /** Requests per purpose ('bootstrap', 'select', 'judge', ...). */
  purposes: Record<string, number>;
  /** False when the same requests were already written and their output is still missing. */
  written: boolean;
}

/** A request whose line in an output file records a failure: a failed call, written again to the next stage. */
export interface BatchLineFailure {
  id: string;
  message: string;
}

interface Waiting {
  body: unknown;
  /** The call's user (its affinity), when it has one. */
  user?: string;
  purpose: string;
  promptTokens: number;
}

const INPUT = '.input.jsonl';
const OUTPUT = '.output.jsonl';

/** A stage's file name from its main purpose: "fit-bootstrap", "eval-judge", "fit-persona-synthesis". */
export function stageBase(job: string, purpose: string): string {
  return `${job}-${purpose}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
}

export class BatchFiles {
  private readonly answers = new Map<string, ProviderReply>();
  private readonly failures = new Map<string, string>();
  private waiting = new Map<string, Waiting>();
  /** Output files read, with the lines each answered and failed: said once per file. */
  readonly outputs: { file: string; answered: number; failed: number }[] = [];

  private constructor(readonly opts: BatchFilesOptions) {}

  /** The folder's output files read (none yet is fine: the first round writes the first stage). */
  static async open(opts: BatchFilesOptions): Promise<BatchFiles> {
    const files = new BatchFiles(opts);
    await mkdirChecked(opts.dir);
    await files.load();
    return files;
  }

  /** Reads every output file of the folder not read yet (in name order); a success wins over any failure of the same id. */
  async load(): Promise<void> {
    const names = (await readdir(this.opts.dir)).filter((n) => n.endsWith(OUTPUT)).sort();
    for (const name of names) {
      const file = join(this.opts.dir, name);
      if (this.outputs.some((o) => o.file === file)) continue;
      this.outputs.push(await this.readOutput(file));
    }
  }

  private async readOutput(file: string): Promise<{ file: string; answered: number; failed: number }> {
    let answered = 0;
    let failed = 0;
    // Streamed: a whole run's output is far larger than a string may be.
    const { handle } = await openOwn(file, { what: 'batch output file', maxBytes: READ_LIMITS.streamed });
    try {
      for await (const text of handle.readLines({ encoding: 'utf8' })) {
        const line = readBatchOutputLine(text);
        if (!line) continue;
        const reply = batchLineReply(line.value, { model: '' });
        if (reply instanceof LlmError) {
          failed++;
          if (!this.answers.has(line.id)) this.failures.set(line.id, reply.message);
        } else {
          answered++;
          if (!this.answers.has(line.id)) this.answers.set(line.id, reply);
          this.failures.delete(line.id);
        }
      }
    } finally {
      await handle.close();
    }
    return { file, answered, failed };
  }

  /** The endpoint every call of a batch run goes to (LlmOptions.batchClient): it never reaches a server. */
  client(baseUrl: string, model: string): EndpointClient {
    const models = [{ name: model }];
    return {
      kind: 'openai',
      baseUrl,
      chat: (call) => Promise.resolve(this.answer(call, baseUrl)),
      listModels: () => Promise.resolve(models),
      check: () => Promise.resolve({ models }),
    };
  }

  private answer(call: ProviderCall, baseUrl: string): ProviderReply {
    const body = batchLineBody(call, baseUrl);
    const id = batchLineId(this.opts.job, call, body);
    const reply = this.answers.get(id);
    if (reply) return reply;
    const purpose = call.purpose ?? 'chat';
    this.waiting.set(id, {
      body,
      purpose,
      promptTokens: estimateTokens(call.messages),
      ...(call.affinity !== undefined ? { user: call.affinity } : {}),
    });
    const failed = this.failures.get(id);
    throw new LlmError(
      'deferred',
      failed
        ? `its batch answer failed (${failed}); it goes to the next batch file`
        : 'it goes to the next batch file: its answer comes with that file’s output',
      { provider: 'openai', model: call.model, purpose, retryable: false },
    );
  }

  /** A new round: what the last one wrote is forgotten (its answers, when they come, are in the output files). */
  startRound(): void {
    this.waiting = new Map();
  }

  /** Calls of this round that no output file answered. */
  get pending(): number {
    return this.waiting.size;
  }

  /** The ids and bodies of this round's unanswered calls. */
  pendingBodies(): Map<string, unknown> {
    return new Map([...this.waiting].map(([id, w]) => [id, w.body]));
  }

  /** The users with a call in this round's stage: their jobs wait for it (a fit of theirs that stopped did not fail). */
  pendingUsers(): Set<string> {
    const users = new Set<string>();
    for (const w of this.waiting.values()) if (w.user !== undefined) users.add(w.user);
    return users;
  }

  /** This round's unanswered calls whose line in an output file failed. */
  failedLines(): BatchLineFailure[] {
    const out: BatchLineFailure[] = [];
    for (const id of this.waiting.keys()) {
      const message = this.failures.get(id);
      if (message !== undefined) out.push({ id, message });
    }
    return out;
  }

  /** Answers read from output files so far. */
  get answered(): number {
    return this.answers.size;
  }

  /**
   * Writes this round's unanswered calls as the next stage's input file: named for their main purpose, and numbered
   * when that name's output is already there (the requests it failed or lacked). The same requests still waiting for
   * their output are not written again.
   */
  async writeStage(): Promise<BatchStage> {
    const purposes: Record<string, number> = {};
    let promptTokens = 0;
    for (const w of this.waiting.values()) {
      purposes[w.purpose] = (purposes[w.purpose] ?? 0) + 1;
      promptTokens += w.promptTokens;
    }
    const main = Object.entries(purposes).sort((a, b) => b[1] - a[1])[0]![0];
    const base = stageBase(this.opts.job, main);
    const existing = new Set(await readdir(this.opts.dir));
    let name = base;
    for (let n = 2; existing.has(name + OUTPUT); n++) name = `${base}-${n}`;
    const input = join(this.opts.dir, name + INPUT);
    const stage = {
      name,
      input,
      output: join(this.opts.dir, name + OUTPUT),
      requests: this.waiting.size,
      promptTokens,
      purposes,
    };
    if (existing.has(name + INPUT) && (await this.sameRequests(input))) return { ...stage, written: false };
    const ids = [...this.waiting.keys()].sort();
    const text = ids.map((id) => batchInputLine(id, this.waiting.get(id)!.body)).join('\n') + '\n';
    await checkWrite(input);
    const tmp = `${input}.${process.pid}.tmp`;
    await writeFileChecked(tmp, text);
    await renameChecked(tmp, input);
    return { ...stage, written: true };
  }

  /** Whether an input file holds exactly this round's requests (a re-run while its output is still being made). */
  private async sameRequests(input: string): Promise<boolean> {
    const { handle } = await openOwn(input, { what: 'batch input file', maxBytes: READ_LIMITS.streamed });
    let n = 0;
    try {
      for await (const text of handle.readLines({ encoding: 'utf8' })) {
        if (!text.trim()) continue;
        const id = (JSON.parse(text) as { custom_id?: unknown }).custom_id;
        if (typeof id !== 'string' || !this.waiting.has(id)) return false;
        n++;
      }
    } catch {
      return false;
    } finally {
      await handle.close();
    }
    return n === this.waiting.size;
  }
}
