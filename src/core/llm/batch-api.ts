// OpenAI Batch API mode for the preparation steps. A BatchChatModel looks like any ChatModel to
// the classifier and the judge, but chat() only registers the request; flush() writes every
// registered request as one batch file (`custom_id`, `method`, `url`, `body`), uploads it
// (purpose "batch"), creates the batch, polls it, downloads the output and answers each call
// from its line. Resumable at each stage: the batch ids go to a state file as soon as they
// exist, and the downloaded output is kept next to it, so a re-run polls the same batch or
// reads the saved answers without a single API call.

import { createHash } from 'node:crypto';
import { READ_LIMITS, readOwnText } from '../read-guard';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { toFile } from 'openai';
import { LlmError } from './errors';
import { BATCH_ENDPOINT, batchLineReply, parseBatchOutput as parseOutput } from './batch-lines';
import { parseTolerantJson } from './tolerant-json';
import type { ChatModel, ChatRequest, ChatResult } from './types';
import { outputCapOf } from './types';
import { UserError } from '../user-error';
import { checkWrite, mkdirChecked, renameChecked, writeFileChecked } from '../write-guard';

export { BATCH_ENDPOINT };

export interface BatchStepState {
  inputHash: string;
  requests: number;
  inputFileId?: string;
  batchId?: string;
  status?: string;
  outputFileId?: string | null;
  errorFileId?: string | null;
  /** Where the downloaded output lines were saved. */
  results?: string;
}

export interface BatchState {
  version: 1;
  steps: Record<string, BatchStepState>;
}

export interface BatchOptions {
  baseUrl: string;
  apiKey?: string;
  /** The state file (usually next to --out). */
  statePath: string;
  /** Name of the pipeline step; one batch per step. */
  step: string;
  pollMs?: number;
  /** Give up waiting after this long (the batch keeps running; a re-run resumes polling). */
  maxWaitMs?: number;
  log?: (message: string) => void;
  /** A client to use instead of one built from baseUrl/apiKey (tests). */
  client?: OpenAI;
  /** Where the downloaded output goes; default: beside the state file, named for the step. */
  outputPath?: string;
  /** Shared by the models of one run; default: a store of this model's own. */
  store?: BatchStateStore;
}

export interface BatchCounters {
  registered: number;
  uploaded: number;
  batchesCreated: number;
  polls: number;
  fromSavedOutput: number;
}

interface Pending {
  /** The line's body (batchBody of the request, or a body a batch round built: batch-run.ts). */
  body: unknown;
  /** Absent for lines submitted by runLines: nobody reads their answers here. */
  request?: ChatRequest;
  waiters: { resolve: (r: ChatResult) => void; reject: (e: unknown) => void }[];
}

/** The body of one chat completion request, as the Batch API takes it. */
export function batchBody(model: string, r: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model, messages: r.messages, temperature: r.temperature };
  if (r.seed !== undefined) body.seed = r.seed;
  const cap = outputCapOf(r);
  if (cap !== undefined) body.max_tokens = cap;
  if (r.schema)
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: r.schema.name, schema: r.schema.schema, strict: r.schema.strict ?? false },
    };
  return body;
}

/** Same request, same id: a resumed run finds its answers, and duplicates are sent once. */
export function customIdOf(model: string, r: ChatRequest): string {
  const key = JSON.stringify({
    model,
    m: r.messages,
    s: r.schema ?? null,
    t: r.temperature,
    seed: r.seed ?? null,
    max: outputCapOf(r) ?? null,
    n: r.sample ?? 0,
  });
  return 'req-' + createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export async function readBatchState(path: string): Promise<BatchState> {
  try {
    const s = JSON.parse(
      await readOwnText(path, { what: 'batch state file', maxBytes: READ_LIMITS.small }),
    ) as BatchState;
    if (s && s.version === 1 && typeof s.steps === 'object') return s;
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UserError(
        `${path}: not a batch state file (${(err as Error).message}); delete it to start the batches again`,
        2,
      );
  }
  return { version: 1, steps: {} };
}

async function writeAtomic(path: string, text: string, n: number): Promise<void> {
  await checkWrite(path);
  await mkdirChecked(dirname(path));
  const tmp = `${path}.${process.pid}.${n}.tmp`;
  await writeFileChecked(tmp, text);
  await renameChecked(tmp, path);
}

/**
 * The state file, shared by the batches of one run (one per step, running side by side): read
 * once, updated in memory, written one update at a time so no step's ids are lost.
 */
export class BatchStateStore {
  private state: Promise<BatchState> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private writes = 0;

  constructor(readonly path: string) {}

  async get(step: string): Promise<BatchStepState | undefined> {
    this.state ??= readBatchState(this.path);
    const s = (await this.state).steps[step];
    return s ? { ...s } : undefined;
  }

  async set(step: string, value: BatchStepState): Promise<void> {
    this.state ??= readBatchState(this.path);
    const state = await this.state;
    state.steps[step] = { ...value };
    const text = JSON.stringify(state, null, 2) + '\n';
    const n = ++this.writes;
    const next = this.chain.then(() => writeAtomic(this.path, text, n));
    this.chain = next.catch(() => undefined);
    await next;
  }
}

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * A request under a signal of its own, tied to the run's: the HTTP client leaves a listener on the signal it is given,
 * and a day of polling every 10 s would leave thousands on the run's.
 */
async function ownSignal<T>(outer: AbortSignal | undefined, request: (own: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  const onAbort = () => own.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    return await request(own.signal);
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
}

export class BatchChatModel implements ChatModel {
  readonly provider = 'openai' as const;
  readonly counters: BatchCounters = { registered: 0, uploaded: 0, batchesCreated: 0, polls: 0, fromSavedOutput: 0 };
  private pending = new Map<string, Pending>();
  private readonly client: OpenAI;
  private readonly store: BatchStateStore;

  constructor(
    readonly model: string,
    private readonly opts: BatchOptions,
  ) {
    this.client = opts.client ?? new OpenAI({ baseURL: opts.baseUrl, apiKey: opts.apiKey ?? 'no-key', maxRetries: 3 });
    this.store = opts.store ?? new BatchStateStore(opts.statePath);
  }

  chat(request: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    if (signal?.aborted) return Promise.reject(new LlmError('aborted', 'cancelled'));
    const id = customIdOf(this.model, request);
    this.counters.registered++;
    return new Promise<ChatResult>((resolve, reject) => {
      const p = this.pending.get(id);
      if (p) p.waiters.push({ resolve, reject });
      else this.pending.set(id, { body: batchBody(this.model, request), request, waiters: [{ resolve, reject }] });
    });
  }

  /** Sends every registered request as one batch and answers them; see the file comment. */
  async flush(signal?: AbortSignal): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    if (pending.size === 0) return;
    try {
      const lines = await this.results(pending, signal);
      for (const [id, p] of pending) {
        const line = lines.get(id);
        const outcome = line
          ? this.answer(line, p.request!)
          : new LlmError('server', `the batch output has no answer for ${id}`, {
              provider: 'openai',
              model: this.model,
            });
        for (const w of p.waiters) {
          if (outcome instanceof Error) w.reject(outcome);
          else w.resolve(outcome);
        }
      }
    } catch (err) {
      for (const p of pending.values()) for (const w of p.waiters) w.reject(err);
      throw err;
    }
  }

  /**
   * Submits lines built elsewhere (a batch round's stage file: batch-run.ts) as this step's batch, resumably, and
   * gives back the output lines by custom_id, which are also saved beside the state file.
   */
  async runLines(bodies: ReadonlyMap<string, unknown>, signal?: AbortSignal): Promise<Map<string, unknown>> {
    const pending = new Map<string, Pending>();
    for (const [id, body] of bodies) pending.set(id, { body, waiters: [] });
    this.counters.registered += pending.size;
    return this.results(pending, signal);
  }

  /** The answers to the pending requests: saved output, else a batch resumed or submitted, polled and downloaded. */
  private async results(pending: Map<string, Pending>, signal?: AbortSignal): Promise<Map<string, unknown>> {
    const ids = [...pending.keys()].sort();
    const inputHash = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
    let s: BatchStepState | undefined = await this.store.get(this.opts.step);
    if (s && s.inputHash !== inputHash) {
      this.opts.log?.(
        `batch ${this.opts.step}: the requests changed since batch ${s.batchId ?? '(none)'}; starting a new batch`,
      );
      s = undefined;
    }
    // A batch that ended without output (failed, expired or cancelled before any line) answers nothing: polling it
    // again would end the same way, so a re-run submits the requests anew.
    if (s?.batchId && s.status && FINAL.has(s.status) && !s.outputFileId && !s.results) {
      this.opts.log?.(`batch ${this.opts.step}: ${s.batchId} ended ${s.status} without output; submitting a new batch`);
      s = { inputHash, requests: ids.length, ...(s.inputFileId ? { inputFileId: s.inputFileId } : {}) };
    }
    const saved = await this.savedOutput(s);
    if (saved !== undefined) {
      this.counters.fromSavedOutput += pending.size;
      return parseOutput(saved);
    }
    if (!s?.batchId) s = await this.submit(ids, pending, inputHash, s, signal);
    else this.opts.log?.(`batch ${this.opts.step}: resuming ${s.batchId} (${s.status ?? 'unknown status'})`);
    await this.poll(s, signal);
    return parseOutput(await this.download(s, signal));
  }

  private save(s: BatchStepState): Promise<void> {
    return this.store.set(this.opts.step, s);
  }

  /** The output a run before this one downloaded, when the state file names it. */
  private async savedOutput(s: BatchStepState | undefined): Promise<string | undefined> {
    if (!s?.results) return undefined;
    // The state file names it: read under the read guard, so a state file cannot point the run at any file
    // (refused or unreadable, the output is fetched again).
    return readOwnText(s.results, { what: 'batch output', maxBytes: READ_LIMITS.log }).catch(() => undefined);
  }

  /** Uploads the requests (unless an upload finished before an interruption) and creates the batch. */
  private async submit(
    ids: readonly string[],
    pending: Map<string, Pending>,
    inputHash: string,
    before: BatchStepState | undefined,
    signal?: AbortSignal,
  ): Promise<BatchStepState> {
    const { step } = this.opts;
    const s: BatchStepState = {
      inputHash,
      requests: ids.length,
      ...(before?.inputFileId ? { inputFileId: before.inputFileId } : {}),
    };
    if (!s.inputFileId) {
      const text =
        ids
          .map((id) =>
            JSON.stringify({
              custom_id: id,
              method: 'POST',
              url: BATCH_ENDPOINT,
              body: pending.get(id)!.body,
            }),
          )
          .join('\n') + '\n';
      const upload = await toFile(Buffer.from(text), `${step.replace(/[^A-Za-z0-9._-]+/g, '_')}.batch.jsonl`);
      const file = await ownSignal(signal, (own) =>
        this.client.files.create({ file: upload, purpose: 'batch' }, { signal: own }),
      );
      this.counters.uploaded += ids.length;
      s.inputFileId = file.id;
      await this.save(s);
    }
    const inputFileId = s.inputFileId;
    const batch = await ownSignal(signal, (own) =>
      this.client.batches.create(
        { input_file_id: inputFileId, endpoint: BATCH_ENDPOINT, completion_window: '24h', metadata: { step } },
        { signal: own },
      ),
    );
    this.counters.batchesCreated++;
    s.batchId = batch.id;
    s.status = batch.status;
    await this.save(s);
    this.opts.log?.(`batch ${step}: submitted ${ids.length} request(s) as ${batch.id}`);
    return s;
  }

  /** Polls until the batch ends; a batch that ended without output, or a wait past maxWaitMs, throws. */
  private async poll(s: BatchStepState, signal?: AbortSignal): Promise<void> {
    const { step } = this.opts;
    const started = Date.now();
    for (;;) {
      const b = await ownSignal(signal, (own) => this.client.batches.retrieve(s.batchId!, { signal: own }));
      this.counters.polls++;
      if (b.status !== s.status) {
        s.status = b.status;
        s.outputFileId = b.output_file_id ?? null;
        s.errorFileId = b.error_file_id ?? null;
        await this.save(s);
        this.opts.log?.(
          `batch ${step}: ${b.status}${b.request_counts ? ` (${b.request_counts.completed}/${b.request_counts.total})` : ''}`,
        );
      }
      if (FINAL.has(b.status)) {
        s.outputFileId = b.output_file_id ?? null;
        s.errorFileId = b.error_file_id ?? null;
        if (b.status === 'completed' || b.output_file_id) return;
        await this.save(s);
        const why = b.errors?.data?.map((e) => e.message).join('; ');
        throw new LlmError('server', `batch ${b.id} for ${step} ended ${b.status}${why ? `: ${why}` : ''}`, {
          provider: 'openai',
          model: this.model,
          retryable: false,
        });
      }
      if (this.opts.maxWaitMs !== undefined && Date.now() - started > this.opts.maxWaitMs) {
        throw new LlmError(
          'timeout',
          `batch ${s.batchId} for ${step} is still ${b.status}; run the same command again later to resume polling`,
          { provider: 'openai', model: this.model, retryable: false },
        );
      }
      await sleep(this.opts.pollMs ?? 10_000, undefined, signal ? { signal } : undefined);
    }
  }

  /** Downloads the output and error files and saves them beside the state file, so a re-run reads them. */
  private async download(s: BatchStepState, signal?: AbortSignal): Promise<string> {
    let text = '';
    for (const fileId of [s.outputFileId, s.errorFileId]) {
      if (!fileId) continue;
      const part = await ownSignal(signal, async (own) =>
        (await this.client.files.content(fileId, { signal: own })).text(),
      );
      text += part.endsWith('\n') || part === '' ? part : part + '\n';
    }
    const stem = this.opts.statePath.replace(/\.json$/, '');
    s.results = this.opts.outputPath ?? `${stem}.${this.opts.step.replace(/[^A-Za-z0-9._-]+/g, '_')}.output.jsonl`;
    await writeAtomic(s.results, text, 0);
    await this.save(s);
    return text;
  }

  private answer(line: unknown, request: ChatRequest): ChatResult | LlmError {
    const r = batchLineReply(line, { model: this.model });
    if (r instanceof LlmError) return r;
    const out: ChatResult = { text: r.text, usage: r.usage, latencyMs: 0, cached: false, model: this.model };
    if (request.schema) {
      const json = parseTolerantJson(r.text, request.schema.schema);
      if (json !== undefined) out.json = json;
    }
    return out;
  }
}
