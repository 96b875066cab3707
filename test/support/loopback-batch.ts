/**
 * A loopback OpenAI Batch API for tests: POST /v1/files (multipart, purpose "batch"),
 * POST /v1/batches, GET /v1/batches/:id (validating -> in_progress -> completed after short
 * delays), GET /v1/files/:id/content. When a batch completes, every line of its input file is
 * answered by the brain (the same Brain as the other loopback servers); a line for a model the
 * server does not have gets a 404 line, as OpenAI does.
 *
 *   const api = await startLoopbackBatch({ brain, models: ['gpt-4o-mini'] });
 *   new OpenAI({ baseURL: api.url, apiKey: 'x' })   // api.url ends with /v1
 *   after(() => api.close());
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Brain } from './loopback-llm';

export interface LoopbackBatchOptions {
  brain: Brain;
  /** Models the server has (default: any). */
  models?: string[];
  /** Time a batch stays `validating`, then `in_progress`. Defaults 20 ms and 40 ms. */
  validatingMs?: number;
  inProgressMs?: number;
  /** Make every batch end `failed` (read on every poll). */
  failBatches?: boolean;
  /** A line's own failure, by custom_id: 'error' answers it with a 500 line, 'drop' leaves it out of the output. */
  lineFault?: (customId: string) => 'error' | 'drop' | undefined;
  /**
   * The batch ends `expired` after this many lines: the rest go to the error file with code batch_expired, as OpenAI
   * writes requests its completion window did not reach.
   */
  expireAfter?: number;
}

export interface LoopbackBatchStats {
  uploads: number;
  batchesCreated: number;
  retrieves: number;
  downloads: number;
  /** Lines answered by the brain. */
  lines: number;
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
  created_at: number;
}

interface StoredBatch {
  id: string;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  created: number;
  output_file_id: string | null;
  error_file_id: string | null;
  total: number;
  failed: number;
  finished?: 'completed' | 'failed' | 'expired';
}

export interface LoopbackBatchServer {
  readonly url: string;
  readonly stats: LoopbackBatchStats;
  readonly files: Map<string, StoredFile>;
  readonly batches: Map<string, StoredBatch>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, message: string, code: string | null = null): void {
  json(res, status, { error: { message, type: 'invalid_request_error', param: null, code } });
}

/** The parts of a multipart/form-data body: name -> {filename?, content}. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, { filename?: string; content: Buffer }> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error('no multipart boundary');
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts = new Map<string, { filename?: string; content: Buffer }>();
  let pos = body.indexOf(boundary);
  while (pos !== -1) {
    const start = pos + boundary.length;
    if (body.slice(start, start + 2).toString() === '--') break;
    const next = body.indexOf(boundary, start);
    if (next === -1) break;
    const part = body.slice(start + 2, next - 2); // after CRLF, before CRLF
    const sep = part.indexOf('\r\n\r\n');
    const headers = part.slice(0, sep).toString();
    const content = part.slice(sep + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) parts.set(name, { ...(filename !== undefined ? { filename } : {}), content });
    pos = next;
  }
  return parts;
}

export async function startLoopbackBatch(options: LoopbackBatchOptions): Promise<LoopbackBatchServer> {
  const stats: LoopbackBatchStats = { uploads: 0, batchesCreated: 0, retrieves: 0, downloads: 0, lines: 0 };
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, StoredBatch>();
  // Read on every poll, so a test may change them while a batch runs.
  const validatingMs = () => options.validatingMs ?? 20;
  const inProgressMs = () => options.inProgressMs ?? 40;
  let seq = 0;
  const now = () => Math.floor(Date.now() / 1000);

  async function complete(b: StoredBatch): Promise<void> {
    const input = files.get(b.input_file_id)!;
    const answered = await answerBatchLines(input.content, options.brain, {
      ...(options.models ? { models: options.models } : {}),
      ...(options.lineFault ? { lineFault: options.lineFault } : {}),
      ...(options.expireAfter !== undefined ? { expireAfter: options.expireAfter } : {}),
      next: () => ++seq,
    });
    const { out, errors } = answered;
    stats.lines += answered.brainLines;
    const n = answered.total;
    b.failed = answered.failed - errors.length;
    const put = (lines: string[]) => {
      const id = `file-out${++seq}`;
      files.set(id, {
        id,
        filename: `${b.id}_output.jsonl`,
        purpose: 'batch_output',
        content: lines.join('\n') + (lines.length ? '\n' : ''),
        created_at: now(),
      });
      return id;
    };
    b.output_file_id = out.length ? put(out) : null;
    b.error_file_id = errors.length ? put(errors) : null;
    b.total = n;
    b.failed += errors.length;
    b.finished = answered.expired ? 'expired' : 'completed';
  }

  async function status(b: StoredBatch): Promise<string> {
    if (b.finished) return b.finished;
    const age = Date.now() - b.created;
    if (age < validatingMs()) return 'validating';
    if (options.failBatches) {
      b.finished = 'failed';
      return 'failed';
    }
    if (age < validatingMs() + inProgressMs()) return 'in_progress';
    await complete(b);
    return b.finished!;
  }

  async function batchObject(b: StoredBatch) {
    const s = await status(b);
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors:
        s === 'failed'
          ? {
              object: 'list',
              data: [{ code: 'server_error', message: 'the batch failed (injected)', line: null, param: null }],
            }
          : null,
      input_file_id: b.input_file_id,
      completion_window: b.completion_window,
      status: s,
      output_file_id: s === 'completed' || s === 'expired' ? b.output_file_id : null,
      error_file_id: s === 'completed' || s === 'expired' ? b.error_file_id : null,
      created_at: Math.floor(b.created / 1000),
      request_counts: {
        total: b.total,
        completed: s === 'completed' || s === 'expired' ? b.total - b.failed : 0,
        failed: s === 'completed' || s === 'expired' ? b.failed : 0,
      },
      metadata: b.metadata,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = await readBody(req);
    if (req.method === 'POST' && path === '/v1/files') {
      let parts;
      try {
        parts = parseMultipart(body, String(req.headers['content-type'] ?? ''));
      } catch (err) {
        return apiError(res, 400, (err as Error).message);
      }
      const file = parts.get('file');
      const purpose = parts.get('purpose')?.content.toString() ?? '';
      if (!file) return apiError(res, 400, "'file' is a required property");
      if (purpose !== 'batch') return apiError(res, 400, `purpose must be 'batch', got '${purpose}'`);
      stats.uploads++;
      const id = `file-${++seq}`;
      const stored: StoredFile = {
        id,
        filename: file.filename ?? 'upload.jsonl',
        purpose,
        content: file.content.toString('utf8'),
        created_at: now(),
      };
      files.set(id, stored);
      return json(res, 200, {
        id,
        object: 'file',
        bytes: file.content.length,
        created_at: stored.created_at,
        filename: stored.filename,
        purpose,
        status: 'processed',
      });
    }
    if (req.method === 'POST' && path === '/v1/batches') {
      let p: {
        input_file_id?: string;
        endpoint?: string;
        completion_window?: string;
        metadata?: Record<string, string>;
      };
      try {
        p = JSON.parse(body.toString('utf8'));
      } catch {
        return apiError(res, 400, 'invalid JSON body');
      }
      if (!p.input_file_id || !files.has(p.input_file_id))
        return apiError(res, 404, `No such File object: ${p.input_file_id}`);
      if (p.endpoint !== '/v1/chat/completions') return apiError(res, 400, `unsupported endpoint ${p.endpoint}`);
      stats.batchesCreated++;
      const id = `batch_${++seq}`;
      const b: StoredBatch = {
        id,
        input_file_id: p.input_file_id,
        endpoint: p.endpoint,
        completion_window: p.completion_window ?? '24h',
        metadata: p.metadata ?? null,
        created: Date.now(),
        output_file_id: null,
        error_file_id: null,
        total: 0,
        failed: 0,
      };
      batches.set(id, b);
      return json(res, 200, await batchObject(b));
    }
    let m = /^\/v1\/batches\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const b = batches.get(decodeURIComponent(m[1]!));
      if (!b) return apiError(res, 404, `No batch found with id '${m[1]}'`);
      stats.retrieves++;
      return json(res, 200, await batchObject(b));
    }
    m = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    if (req.method === 'GET' && m) {
      const f = files.get(decodeURIComponent(m[1]!));
      if (!f) return apiError(res, 404, `No such File object: ${m[1]}`);
      stats.downloads++;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(f.content);
      return;
    }
    apiError(res, 404, `Unknown request URL: ${req.method} ${path}`);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) apiError(res, 500, (err as Error).message);
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.unref();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    files,
    batches,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closing;
    },
  };
}

export interface AnswerLinesOptions {
  models?: string[];
  lineFault?: LoopbackBatchOptions['lineFault'];
  expireAfter?: number;
  /** The next number for ids (a server's own sequence). */
  next?: () => number;
}

export interface AnsweredLines {
  /** Output lines: answers, 404 lines for unknown models, 500 lines for injected faults. */
  out: string[];
  /** Error-file lines: unreadable input lines, and lines past an expiry (code batch_expired). */
  errors: string[];
  total: number;
  /** Lines that did not get an answer (every kind). */
  failed: number;
  /** Lines the brain answered. */
  brainLines: number;
  expired: boolean;
}

type InputLine = {
  custom_id?: string;
  body?: {
    model?: string;
    messages?: { role: string; content: string }[];
    response_format?: { json_schema?: { schema?: Record<string, unknown> } };
    temperature?: number;
    seed?: number;
  };
};

function errorLine(id: string, customId: string | null, code: string, message: string): string {
  return JSON.stringify({ id, custom_id: customId, response: null, error: { code, message } });
}

function responseLine(id: string, customId: string | undefined, status: number, body: unknown): string {
  return JSON.stringify({
    id,
    custom_id: customId,
    response: { status_code: status, request_id: `req_${id}`, body },
    error: null,
  });
}

/**
 * Answers an OpenAI batch input text line by line with the brain, as a batch server or `vllm run-batch` does: one
 * output line per request (in input order here; readers must not count on it), the server's failures included.
 */
export async function answerBatchLines(
  content: string,
  brain: Brain,
  o: AnswerLinesOptions = {},
): Promise<AnsweredLines> {
  let seq = 0;
  const next = o.next ?? (() => ++seq);
  const r: AnsweredLines = { out: [], errors: [], total: 0, failed: 0, brainLines: 0, expired: false };
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    r.total++;
    let req: InputLine;
    try {
      req = JSON.parse(line) as InputLine;
    } catch {
      r.failed++;
      r.errors.push(errorLine(`batch_req_${next()}`, null, 'invalid_json', `line ${r.total} is not valid JSON`));
      continue;
    }
    const id = `batch_req_${next()}`;
    if (o.expireAfter !== undefined && r.total > o.expireAfter) {
      r.expired = true;
      r.failed++;
      r.errors.push(
        errorLine(
          id,
          req.custom_id ?? null,
          'batch_expired',
          'This request could not be executed before the completion window expired.',
        ),
      );
      continue;
    }
    const fault = req.custom_id !== undefined ? o.lineFault?.(req.custom_id) : undefined;
    if (fault === 'drop') {
      r.failed++;
      continue;
    }
    if (fault === 'error') {
      r.failed++;
      r.out.push(
        responseLine(id, req.custom_id, 500, {
          error: {
            message: 'The server had an error processing your request (injected).',
            type: 'server_error',
            param: null,
            code: null,
          },
        }),
      );
      continue;
    }
    const model = req.body?.model ?? '';
    if (o.models && !o.models.includes(model)) {
      r.failed++;
      r.out.push(
        responseLine(id, req.custom_id, 404, {
          error: {
            message: `The model \`${model}\` does not exist or you do not have access to it.`,
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_found',
          },
        }),
      );
      continue;
    }
    const messages = req.body?.messages ?? [];
    const text = await brain({
      protocol: 'openai',
      model,
      messages,
      ...(req.body?.response_format?.json_schema?.schema
        ? { schema: req.body.response_format.json_schema.schema }
        : {}),
      ...(req.body?.temperature !== undefined ? { temperature: req.body.temperature } : {}),
      ...(req.body?.seed !== undefined ? { seed: req.body.seed } : {}),
      stream: false,
    });
    r.brainLines++;
    const promptTokens = Math.ceil(messages.reduce((s, m) => s + m.content.length, 0) / 4);
    const completionTokens = Math.ceil(text.length / 4);
    r.out.push(
      responseLine(id, req.custom_id, 200, {
        id: `chatcmpl-${id}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      }),
    );
  }
  return r;
}

/**
 * A loopback `vllm run-batch -i INPUT -o OUTPUT`: reads the input file, answers it with the brain and writes the output
 * file (lines shuffled when asked: run-batch and the Batch API do not promise input order).
 */
export async function runBatchFile(
  input: string,
  output: string,
  brain: Brain,
  o: AnswerLinesOptions & { shuffle?: boolean } = {},
): Promise<AnsweredLines> {
  const r = await answerBatchLines(await readFile(input, 'utf8'), brain, o);
  const lines = [...r.out, ...r.errors];
  if (o.shuffle) lines.reverse();
  await writeFile(output, lines.join('\n') + (lines.length ? '\n' : ''));
  return r;
}
