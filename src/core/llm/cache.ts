// The response cache: content-addressed, on disk, shared by every process that points at the
// same folder (the CLI, the extension, a second terminal). Records are appended as whole JSON
// lines, one write() per record on a file opened with O_APPEND, so writers never overwrite each
// other and a reader sees either a whole record or a torn tail. A line that does not parse (a
// crash mid-write, a full disk) is skipped and counted, never trusted. Errors are never cached.
//
// Memory holds only an index (key -> where the record is); values are read back on a hit, so a
// cache of a hundred thousand answers costs a few megabytes, not the answers themselves.
import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage, ProviderKind, ResponseSchema, Usage } from './types';
import { checkWrite } from '../write-guard';
import { openOwn, READ_LIMITS, readOwnText } from '../read-guard';
import { UserError } from '../user-error';
import { normalizeBaseUrl } from './base-url';

export const CACHE_DIR_NAME = join('.synthesizeme', 'cache');

/** Default cache folder of a workspace. */
export function defaultCacheDir(workspaceRoot: string): string {
  return join(workspaceRoot, CACHE_DIR_NAME);
}

export interface CacheKeyInput {
  provider: ProviderKind;
  baseUrl: string;
  /**
   * What the server says identifies the loaded model (Ollama's digest, llama.cpp's file metadata). When known it
   * replaces the base URL in the key: the same weights on another port or host give the same answers.
   */
  identity?: string;
  model: string;
  messages: readonly ChatMessage[];
  temperature: number;
  seed?: number;
  maxTokens?: number;
  schema?: ResponseSchema;
  sample?: number;
  /** Provider settings that change the answer (Ollama num_ctx). */
  numCtx?: number;
  /** The thinking mode: the same prompt thought through is another answer. */
  think?: string;
  /** The values an answer is constrained to (ChatRequest.choice). */
  choice?: readonly string[];
}

/**
 * sha256 over everything that determines the answer. The API key is not part of it, and a
 * base URL's user:password is dropped first, so no secret goes into the hash. The server is named by
 * the model's identity when it has one, else by its address (the only key before identities).
 */
export function cacheKey(input: CacheKeyInput): string {
  const canonical = JSON.stringify([
    'v1',
    input.provider,
    input.identity ? `model:${input.identity}` : normalizeBaseUrl(input.baseUrl, { dropCredentials: true }),
    input.model,
    input.messages.map((m) => [m.role, m.content]),
    input.temperature,
    input.seed ?? null,
    input.maxTokens ?? null,
    input.schema ? [input.schema.name, schemaJson(input.schema.schema), input.schema.strict ?? false] : null,
    input.sample ?? 0,
    input.numCtx ?? null,
    input.think ?? null,
    // Only when set: the keys of every call without a choice stay what they were.
    ...(input.choice ? [['choice', ...input.choice]] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A run sends thousands of requests with the same schema object: serialise it once. */
const schemaJsonMemo = new WeakMap<object, string>();
function schemaJson(schema: Record<string, unknown>): string {
  let json = schemaJsonMemo.get(schema);
  if (json === undefined) {
    json = stableJson(schema);
    schemaJsonMemo.set(schema, json);
  }
  return json;
}

/** JSON with sorted keys, so that two equal schemas written in another order share a key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface CacheValue {
  text: string;
  usage: Usage;
  /** Latency of the call that produced the answer. */
  latencyMs: number;
  model: string;
  /** The model's identity when the answer was made (Ollama's digest): a re-pulled model does not reuse it. */
  digest?: string;
  /**
   * The messages as sent (after any schema fallback), for the transcript of a verdict: a run file names its calls'
   * keys instead of copying them. Absent in answers cached before transcripts were kept.
   */
  messages?: ChatMessage[];
  /** The server that answered, without credentials. */
  server?: string;
}

export interface CacheStats {
  dir: string;
  /** Distinct keys. */
  entries: number;
  /** Record lines, duplicates included (two processes may both answer a key). */
  records: number;
  segments: number;
  bytes: number;
  /** Lines skipped because they do not parse: torn writes. */
  unreadableLines: number;
}

/** On-disk record; short field names because there may be a hundred thousand of them. */
interface CacheRecord {
  k: string;
  t: string;
  p: number;
  c: number;
  l: number;
  m: string;
  /** The model's digest, when known. */
  d?: string;
  /** Of p, the prompt tokens the server served from its prompt cache, when it said. */
  cp?: number;
  /** The messages sent, as [role, content] (CacheValue.messages). */
  q?: [ChatMessage['role'], string][];
  /** The server that answered (CacheValue.server). */
  s?: string;
  /** 1 on a server's identity remembered (ServerIdentities), which is no answer: kept out of the answers' index and figures. */
  i?: 1;
  /** Written at (ms since epoch): for pruning by age later. */
  w: number;
}

interface Location {
  segment: string;
  offset: number;
  length: number;
}

interface SegmentWriter {
  name: string;
  handle: fsp.FileHandle;
  /** Whether the file's last byte was checked for a torn line. */
  checked: boolean;
  /** Size as far as we know: our own appends counted, refreshed by a stat now and then. */
  size: number;
  writes: number;
  /** Writes in progress on this handle. */
  pending: number;
  /** Full: no new writes; closed when the last pending one ends. */
  retired: boolean;
}

interface SegmentState {
  /** Bytes of the file already indexed (always at a line boundary). */
  scanned: number;
}

const SEGMENT_RE = /^segment-(\d{6})\.jsonl$/;
const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface ResponseCacheOptions {
  /** Start a new segment file past this size, so no file grows without bound. */
  maxSegmentBytes?: number;
  /** On a miss, look for other processes' new records at most this often. Default 1000 ms. */
  rescanMs?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export class ResponseCache {
  private readonly index = new Map<string, Location>();
  /** Where the identities of servers are (records with `i: 1`). */
  private readonly serverIndex = new Map<string, Location>();
  private readonly segments = new Map<string, SegmentState>();
  /** Answers written by this process since the last scan; the scan will index them from disk. */
  private readonly recent = new Map<string, CacheValue>();
  private readonly readers = new Map<string, Promise<fsp.FileHandle>>();
  private records = 0;
  private unreadable = 0;
  private loaded: Promise<void> | undefined;
  private scanning: Promise<void> | undefined;
  private writer: SegmentWriter | undefined;
  /** Failed writes so far: the first is reported, the rest counted. */
  private writeFailures = 0;
  private opening: Promise<SegmentWriter> | undefined;
  private readonly maxSegmentBytes: number;
  private readonly rescanMs: number;
  private lastScan = Number.NEGATIVE_INFINITY;
  /** Segments the read guard refused (a link out of the workspace, a FIFO, a device): never opened, read or appended to. */
  private readonly refused = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly options: ResponseCacheOptions = {},
  ) {
    this.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    this.rescanMs = options.rescanMs ?? 1000;
  }

  async get(key: string): Promise<CacheValue | undefined> {
    await this.load();
    const mine = this.recent.get(key);
    if (mine) return mine;
    let loc = this.index.get(key);
    if (!loc) {
      // Another process may have answered it since we last looked; but a fresh run misses on
      // every call, so look again at most every rescanMs rather than on every miss.
      if (performance.now() - this.lastScan < this.rescanMs) return undefined;
      await this.scan();
      loc = this.index.get(key);
      if (!loc) return this.recent.get(key);
    }
    return this.read(key, loc);
  }

  async has(key: string): Promise<boolean> {
    await this.load();
    if (this.recent.has(key) || this.index.has(key)) return true;
    if (performance.now() - this.lastScan < this.rescanMs) return false;
    await this.scan();
    return this.index.has(key);
  }

  /** The identity last seen for a server (its key from ServerIdentities), read from disk once per process. */
  async serverIdentity(key: string): Promise<string | undefined> {
    await this.load();
    const loc = this.serverIndex.get(key);
    return loc ? (await this.read(key, loc, this.serverIndex))?.text : undefined;
  }

  /** Remembers a server's identity: a record apart from the answers, so that a re-run against a server that is down finds them. */
  async rememberServer(key: string, identity: string, model: string): Promise<void> {
    const value = { text: identity, usage: { promptTokens: 0, completionTokens: 0 }, latencyMs: 0, model };
    await this.put(key, value, true);
  }

  /** Appends one record. A failed write is logged and otherwise ignored: the answer is not lost, only not cached. */
  async put(key: string, value: CacheValue, server = false): Promise<void> {
    const record: CacheRecord = {
      k: key,
      t: value.text,
      p: value.usage.promptTokens,
      c: value.usage.completionTokens,
      l: Math.round(value.latencyMs),
      m: value.model,
      ...(value.digest ? { d: value.digest } : {}),
      ...(server ? { i: 1 as const } : {}),
      ...(value.usage.cachedPromptTokens !== undefined ? { cp: value.usage.cachedPromptTokens } : {}),
      ...(value.messages ? { q: value.messages.map((m): [ChatMessage['role'], string] => [m.role, m.content]) } : {}),
      ...(value.server ? { s: normalizeBaseUrl(value.server, { dropCredentials: true }) } : {}),
      w: Date.now(),
    };
    let writer: SegmentWriter | undefined;
    try {
      await this.load();
      writer = await this.openWriter();
      writer.pending++;
      let line = `${JSON.stringify(record)}\n`;
      if (!writer.checked) {
        // If a crash left a torn last line, start ours on a fresh line so only the torn one is lost.
        writer.checked = true;
        if (!(await endsWithNewline(join(this.dir, writer.name)))) line = `\n${line}`;
      }
      const buf = Buffer.from(line, 'utf8');
      const { bytesWritten } = await writer.handle.write(buf, 0, buf.length, null);
      if (bytesWritten !== buf.length) throw new Error(`short write (${bytesWritten} of ${buf.length} bytes)`);
      if (!server) this.recent.set(key, value);
      // Our own bytes are counted; other writers' are seen by a stat every so often.
      writer.size += buf.length;
      if (++writer.writes % 256 === 0) writer.size = (await writer.handle.stat()).size;
      if (writer.size > this.maxSegmentBytes && this.writer === writer) {
        // Full: the next put opens the next segment; this one closes once its writes are done.
        this.writer = undefined;
        writer.retired = true;
      }
    } catch (err) {
      // Once per cache, not once per call: an unwritable cache would otherwise repeat this line for every answer.
      if (!this.writeFailures++)
        this.options.log?.(
          'warn',
          `cache: could not write to ${this.dir}: ${(err as Error).message} ` +
            '(answers of this run are not cached; later write failures are not repeated)',
        );
    } finally {
      if (writer && --writer.pending === 0 && writer.retired) await writer.handle.close().catch(() => undefined);
    }
  }

  async stats(): Promise<CacheStats> {
    await this.load();
    await this.scan();
    let bytes = 0;
    let tornTails = 0;
    for (const name of this.segments.keys()) {
      try {
        const size = (await fsp.stat(join(this.dir, name))).size;
        bytes += size;
        // Bytes past the last newline are a torn write (or one in progress right now).
        if (size > (this.segments.get(name)?.scanned ?? 0)) tornTails++;
      } catch {
        // Removed by a concurrent clear().
      }
    }
    return {
      dir: this.dir,
      entries: this.index.size,
      records: this.records,
      segments: this.segments.size,
      bytes,
      unreadableLines: this.unreadable + tornTails,
    };
  }

  /** Deletes every segment. Other processes holding the cache open start a fresh segment. */
  async clear(): Promise<void> {
    for (const name of await this.releaseSegments()) await fsp.rm(join(this.dir, name), { force: true });
    this.forget();
  }

  /** Closes every file handle and lists the segment files (none when there is no folder). */
  private async releaseSegments(): Promise<string[]> {
    await this.load();
    await this.closeWriter();
    await this.closeReaders();
    try {
      return (await fsp.readdir(this.dir)).filter((n) => SEGMENT_RE.test(n));
    } catch {
      return [];
    }
  }

  /** Drops what this process knows of the files; the next read scans them again. */
  private forget(): void {
    this.index.clear();
    this.serverIndex.clear();
    this.segments.clear();
    this.recent.clear();
    this.records = 0;
    this.unreadable = 0;
  }

  /**
   * Removes the answers of one model (all its digests), rewriting each segment without them; returns how
   * many answer records went. The model's remembered server identities (`i: 1`) go too, uncounted: they are
   * no answers (stats leaves them out as well), and one kept would name a model whose answers are gone.
   * For `synthesizeme cache prune --model`: run it while no other run writes the cache.
   */
  async prune(model: string): Promise<number> {
    let removed = 0;
    for (const name of await this.releaseSegments()) {
      const path = join(this.dir, name);
      if (this.refused.has(name)) continue;
      const lines = (await readOwnText(path, { what: 'cache segment', maxBytes: READ_LIMITS.log })).split('\n');
      const kept = lines.filter((line) => {
        if (!line.trim()) return false;
        try {
          const r = JSON.parse(line) as Partial<CacheRecord>;
          if (r.m === model) {
            if (r.i !== 1) removed++;
            return false;
          }
          return true;
        } catch {
          return false; // a torn line: nothing to keep
        }
      });
      // A new file renamed over the old one: a crash leaves either segment whole, never half of one.
      const tmp = `${path}.${process.pid}.tmp`;
      await checkWrite(tmp);
      await fsp.writeFile(tmp, kept.length ? kept.join('\n') + '\n' : '');
      await fsp.rename(tmp, path);
    }
    this.forget();
    this.loaded = undefined;
    return removed;
  }

  async close(): Promise<void> {
    await this.closeWriter();
    await this.closeReaders();
  }

  private load(): Promise<void> {
    this.loaded ??= this.scan();
    return this.loaded;
  }

  /** Indexes bytes appended since the last scan, in every segment; concurrent callers share one scan. */
  private scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
      this.lastScan = performance.now();
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    } catch {
      return; // not created yet
    }
    for (const name of names) {
      const state = this.segments.get(name) ?? { scanned: 0 };
      this.segments.set(name, state);
      await this.scanSegment(name, state);
    }
    for (const key of this.recent.keys()) if (this.index.has(key)) this.recent.delete(key);
  }

  private async scanSegment(name: string, state: SegmentState): Promise<void> {
    if (this.refused.has(name)) return;
    let handle: fsp.FileHandle;
    try {
      handle = (await openOwn(join(this.dir, name), { what: 'cache segment', maxBytes: READ_LIMITS.streamed })).handle;
    } catch (err) {
      if (err instanceof UserError) this.refuse(name, err);
      return;
    }
    try {
      const size = (await handle.stat()).size;
      let offset = state.scanned;
      let carry = Buffer.alloc(0);
      while (offset + carry.length < size) {
        const want = Math.min(READ_CHUNK, size - offset - carry.length);
        const chunk = Buffer.alloc(want);
        const { bytesRead } = await handle.read(chunk, 0, want, offset + carry.length);
        if (bytesRead === 0) break;
        const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let lineStart = 0;
        for (let nl = buf.indexOf(10, lineStart); nl >= 0; nl = buf.indexOf(10, lineStart)) {
          this.indexLine(name, buf.subarray(lineStart, nl), offset + lineStart);
          lineStart = nl + 1;
        }
        offset += lineStart;
        carry = Buffer.from(buf.subarray(lineStart));
      }
      // A tail without a newline is left for the next scan: it may be a write in progress.
      state.scanned = offset;
    } finally {
      await handle.close();
    }
  }

  /** A segment the read guard refused is skipped, said once; its answers are asked again. */
  private refuse(name: string, err: UserError): void {
    this.refused.add(name);
    this.segments.delete(name);
    this.options.log?.('warn', `cache: skipped ${name}: ${err.message}`);
  }

  private indexLine(segment: string, line: Buffer, offset: number): void {
    if (line.length === 0) return;
    const record = parseRecord(line.toString('utf8'));
    if (!record) {
      this.unreadable++;
      return;
    }
    if (record.i === 1) {
      this.serverIndex.set(record.k, { segment, offset, length: line.length });
      return;
    }
    this.records++;
    this.index.set(record.k, { segment, offset, length: line.length });
  }

  private async read(key: string, loc: Location, from = this.index): Promise<CacheValue | undefined> {
    try {
      const handle = await this.reader(loc.segment);
      const buf = Buffer.alloc(loc.length);
      await handle.read(buf, 0, loc.length, loc.offset);
      const record = parseRecord(buf.toString('utf8'));
      if (!record || record.k !== key) return undefined;
      return valueOf(record);
    } catch {
      // Cleared under our feet: a miss.
      from.delete(key);
      return undefined;
    }
  }

  /** Read handles stay open: a cached run reads thousands of records from the same few files. */
  private reader(segment: string): Promise<fsp.FileHandle> {
    let handle = this.readers.get(segment);
    if (!handle) {
      // O_NONBLOCK: a segment swapped for a FIFO since the scan does not block the open.
      handle = fsp.open(join(this.dir, segment), fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
      handle.catch(() => this.readers.delete(segment));
      this.readers.set(segment, handle);
    }
    return handle;
  }

  private async closeReaders(): Promise<void> {
    const handles = [...this.readers.values()];
    this.readers.clear();
    for (const h of handles) await h.then((fh) => fh.close()).catch(() => undefined);
  }

  private async openWriter(): Promise<SegmentWriter> {
    if (this.writer) return this.writer;
    this.opening ??= (async () => {
      await checkWrite(this.dir);
      await fsp.mkdir(this.dir, { recursive: true });
      const names = (await fsp.readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
      let name = names[names.length - 1] ?? segmentName(1);
      // A refused segment is never appended to (opening a FIFO to write would wait for a reader): the next one is.
      while (this.refused.has(name)) name = nextSegment(name);
      // A segment planted as a link out of the workspace is refused, never appended to.
      await checkWrite(join(this.dir, name));
      // 'a' is O_APPEND|O_CREAT: every write lands at the current end, whoever else appends.
      let handle = await fsp.open(join(this.dir, name), 'a');
      let size = (await handle.stat()).size;
      if (size > this.maxSegmentBytes) {
        await handle.close();
        name = nextSegment(name);
        await checkWrite(join(this.dir, name));
        handle = await fsp.open(join(this.dir, name), 'a');
        size = (await handle.stat()).size;
      }
      this.writer = { name, handle, checked: false, size, writes: 0, pending: 0, retired: false };
      return this.writer;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async closeWriter(): Promise<void> {
    const pending = this.opening;
    if (pending) await pending.catch(() => undefined);
    const w = this.writer;
    this.writer = undefined;
    await w?.handle.close().catch(() => undefined);
  }
}

function segmentName(n: number): string {
  return `segment-${String(n).padStart(6, '0')}.jsonl`;
}

function nextSegment(name: string): string {
  const m = SEGMENT_RE.exec(name);
  return segmentName((m ? Number(m[1]) : 0) + 1);
}

async function endsWithNewline(path: string): Promise<boolean> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(path, 'r');
    const size = (await handle.stat()).size;
    if (size === 0) return true;
    const buf = Buffer.alloc(1);
    const { bytesRead } = await handle.read(buf, 0, 1, size - 1);
    return bytesRead === 1 && buf[0] === 10;
  } catch {
    return true;
  } finally {
    await handle?.close();
  }
}

/** A record as the cache's callers see it; a malformed optional field (q, cp, s) is left out, never trusted. */
function valueOf(record: CacheRecord): CacheValue & { writtenAt?: number } {
  const cp = typeof record.cp === 'number' && record.cp >= 0 ? record.cp : undefined;
  const messages = Array.isArray(record.q)
    ? record.q.filter(
        (m): m is [ChatMessage['role'], string] =>
          Array.isArray(m) &&
          (m[0] === 'system' || m[0] === 'user' || m[0] === 'assistant') &&
          typeof m[1] === 'string',
      )
    : undefined;
  return {
    text: record.t,
    usage: {
      promptTokens: record.p,
      completionTokens: record.c,
      ...(cp !== undefined ? { cachedPromptTokens: cp } : {}),
    },
    latencyMs: record.l,
    model: record.m,
    ...(record.d ? { digest: record.d } : {}),
    ...(messages && messages.length === record.q!.length
      ? { messages: messages.map(([role, content]) => ({ role, content })) }
      : {}),
    ...(typeof record.s === 'string' ? { server: record.s } : {}),
    ...(typeof record.w === 'number' ? { writtenAt: record.w } : {}),
  };
}

function parseRecord(line: string): CacheRecord | undefined {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!r || typeof r !== 'object') return undefined;
  const o = r as Record<string, unknown>;
  if (
    typeof o['k'] !== 'string' ||
    typeof o['t'] !== 'string' ||
    typeof o['p'] !== 'number' ||
    typeof o['c'] !== 'number' ||
    typeof o['l'] !== 'number' ||
    typeof o['m'] !== 'string'
  ) {
    return undefined;
  }
  return o as unknown as CacheRecord;
}
