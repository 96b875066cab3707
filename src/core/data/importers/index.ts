// Importers from public preference data sets to the native format, and the writer of the
// resulting `.prefs.jsonl` file. Imports always produce a NEW file; inputs are never modified.

import { NotRegularFileError, openRegularFile, statRegularFile } from '../../file-kind';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { importArena } from './arena';
import { importHh, isGzip } from './hh';
import { DecompressionLimitError, readGzipRows, type GzipLimits } from './gzip-rows';
import type { RowsInput } from './rows';
import { ImportCollector, type ImportResult, type NativeRecord } from './native-record';
import { importPrb } from './prb';
import { importPrism } from './prism';
import { checkWrite } from '../../write-guard';

export { importArena, type ArenaImportOptions } from './arena';
export { importHh, isGzip, parseHhTranscript, type HhImportOptions } from './hh';
export {
  type ImportProblem,
  type ImportResult,
  type NativeRecord,
  type NativeRole,
  type NativeTurn,
  type SkipCount,
} from './native-record';
export { importPrb, type PrbImportOptions } from './prb';
export { importPrism, SURVEY_BOOKKEEPING, type PrismImportOptions } from './prism';

export type ImportSource = 'arena' | 'prism' | 'prb' | 'hh';
export const IMPORT_SOURCES: readonly ImportSource[] = ['arena', 'prism', 'prb', 'hh'];

export interface ImportFileOptions {
  /** HH: the user id (or prefix of synthetic ids); default "hh". */
  userId?: string;
  /** HH: spread rows round-robin over this many synthetic users. */
  users?: number;
  /** PRISM: survey fields to keep as demographics. */
  demographicFields?: readonly string[];
  /** How a path is named in problems; default: as given. */
  displayPath?: (path: string) => string;
  /** Limits of a gzipped input's stream (tests lower them). */
  gzip?: GzipLimits;
}

/** A usage error (unreadable input, wrong number of inputs, refused output): no stack trace needed. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}

/** An input as read: plain bytes, or (gzip) rows streamed from it, or its decompressed text (a JSON array). */
type Input = { bytes: Buffer } | Awaited<ReturnType<typeof readGzipRows>>;

async function readInput(path: string, file: string, gzip: GzipLimits = {}): Promise<Input> {
  try {
    // A FIFO would block the import until something writes to it, a device may never end: refused by kind.
    const regular = await statRegularFile(path);
    if ('refused' in regular) throw new ImportError(`cannot read ${file}: ${regular.refused}`);
    const fh = await openRegularFile(path);
    let magic: Buffer;
    try {
      magic = Buffer.alloc(2);
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
    // A gzip streams line by line: it is never held decompressed as a whole.
    if (isGzip(magic)) return await readGzipRows(path, file, gzip);
    return { bytes: await fs.readFile(path) };
  } catch (err) {
    if (err instanceof ImportError) throw err;
    if (err instanceof NotRegularFileError) throw new ImportError(`cannot read ${file}: ${err.message}`);
    if (err instanceof DecompressionLimitError) throw new ImportError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR'
            ? `cannot decompress gzip: ${(err as Error).message}`
            : err instanceof Error
              ? err.message
              : String(err);
    throw new ImportError(`cannot read ${path}: ${why}`);
  }
}

/** What an importer reads from an input: its text or its streamed rows; undefined (with a problem) for a binary file. */
function sourceOf(input: Input, file: string, out: ImportCollector): RowsInput | undefined {
  if ('bytes' in input) return inputText(input.bytes, file, out);
  if ('binary' in input) {
    out.problem(file, 1, 1, 'binary file (NUL byte): not read');
    return undefined;
  }
  return 'text' in input ? input.text : input.rows;
}

/** The start of an input as text, to tell PRISM's two files apart. */
const headOf = (input: Input, source: RowsInput | undefined) =>
  'head' in input ? input.head : typeof source === 'string' ? source.slice(0, 65536) : '';

/** Text of an input, or a problem when it is binary. A UTF-8 BOM is dropped by the row reader. */
function inputText(bytes: Buffer, file: string, out: ImportCollector): string | undefined {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) {
    if (bytes[i] === 0) {
      out.problem(file, 1, 1, 'binary file (NUL byte): not read');
      return undefined;
    }
  }
  return bytes.toString('utf8');
}

/**
 * Read the input files and convert them. `prism` takes the conversations file and optionally the
 * survey file (in that order, or detected by the `conversation_history` field); the other sources
 * take one or more files, concatenated. Pair ids are made unique across files.
 */
export async function importFile(
  from: ImportSource,
  inputs: string[],
  options: ImportFileOptions = {},
): Promise<ImportResult> {
  if (!IMPORT_SOURCES.includes(from))
    throw new ImportError(`unknown source "${String(from)}": expected one of ${IMPORT_SOURCES.join(', ')}`);
  if (inputs.length === 0) throw new ImportError(`import --from ${from} needs at least one input file`);
  const name = options.displayPath ?? ((p: string) => p);
  if (from === 'prism' && inputs.length > 2)
    throw new ImportError('import --from prism takes the conversations file and optionally the survey file');
  const read = await Promise.all(inputs.map((p) => readInput(p, name(p), options.gzip)));
  const pre = new ImportCollector();

  if (from === 'prism') {
    const texts = inputs.map((p, i) => sourceOf(read[i]!, name(p), pre));
    let [convIdx, surveyIdx] = [0, 1];
    if (inputs.length === 2) {
      const looks = texts.map((t, i) => headOf(read[i]!, t).includes('"conversation_history"'));
      if (!looks[0] && looks[1]) [convIdx, surveyIdx] = [1, 0];
    }
    const conv = texts[convIdx];
    const survey = inputs.length === 2 ? texts[surveyIdx] : undefined;
    const result = importPrism(conv ?? '', survey ?? (inputs.length === 2 ? '' : undefined), {
      file: name(inputs[convIdx]!),
      surveyFile: inputs.length === 2 ? name(inputs[surveyIdx]!) : undefined,
      ...(options.demographicFields ? { demographicFields: options.demographicFields } : {}),
    });
    return merge([
      { result: pre.result(), file: '' },
      { result, file: name(inputs[convIdx]!) },
    ]);
  }

  const results: { result: ImportResult; file: string }[] = [{ result: pre.result(), file: '' }];
  inputs.forEach((path, i) => {
    const file = name(path);
    const input = read[i]!;
    if (from === 'hh') {
      const hh = 'bytes' in input ? input.bytes : sourceOf(input, file, pre);
      if (hh !== undefined)
        results.push({ result: importHh(hh, { file, userId: options.userId, users: options.users }), file });
      return;
    }
    const text = sourceOf(input, file, pre);
    if (text === undefined) return;
    results.push({ result: from === 'arena' ? importArena(text, { file }) : importPrb(text, { file }), file });
  });
  return merge(results);
}

/** Concatenate results, renaming pair ids repeated across them (`id#2`...) with a warning. */
function merge(results: { result: ImportResult; file: string }[]): ImportResult {
  const out = new ImportCollector();
  const skipped = new Map<string, number>();
  for (const { result: r, file } of results) {
    // One by one: spreading millions of problems into push() overflowed the stack.
    for (const p of r.problems) out.problems.push(p);
    for (const s of r.skipped) skipped.set(s.reason, (skipped.get(s.reason) ?? 0) + s.count);
    for (const rec of r.records) {
      const unique = out.uniquePairId(rec.pair_id);
      if (unique.renamed) {
        const line = typeof rec.meta?.line === 'number' ? rec.meta.line : 1;
        out.problem(
          file,
          line,
          1,
          `pair_id "${rec.pair_id}" repeats one from an earlier input: written as "${unique.id}"`,
          'warning',
        );
        out.records.push({ ...rec, pair_id: unique.id });
      } else out.records.push(rec);
    }
  }
  for (const [reason, count] of skipped) out.skip(reason, count);
  return out.result();
}

/** A record with its keys in the documented order and no undefined values. */
function ordered(r: NativeRecord): NativeRecord {
  const o: NativeRecord = {
    user_id: r.user_id,
    pair_id: r.pair_id,
    context: r.context,
    chosen: r.chosen,
    rejected: r.rejected,
  };
  if (r.split !== undefined) o.split = r.split;
  if (r.flip !== undefined) o.flip = r.flip;
  if (r.demographics !== undefined) o.demographics = r.demographics;
  if (r.meta !== undefined) o.meta = r.meta;
  return o;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

export interface WriteOptions {
  /** Files the output must not replace (the import's inputs). */
  inputs?: readonly string[];
}

/**
 * Write records as JSONL to `outPath`, atomically: to a temporary file in the same directory,
 * flushed, then renamed over the target. Refuses (ImportError) when `outPath` is one of `inputs`
 * (also through a symlink or hard link) or a directory.
 */
export async function writeNativeJsonl(
  records: readonly NativeRecord[],
  outPath: string,
  options: WriteOptions = {},
): Promise<{ path: string; records: number; bytes: number }> {
  for (const input of options.inputs ?? []) {
    if (await sameFile(outPath, input))
      throw new ImportError(`refusing to overwrite the input file ${input}: choose another --out`);
  }
  const target = resolve(outPath);
  const st = await fs.stat(target).catch(() => undefined);
  if (st?.isDirectory()) throw new ImportError(`${outPath} is a directory`);
  const dir = dirname(target);
  await checkWrite(target);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let bytes = 0;
  const handle = await fs.open(tmp, 'wx');
  try {
    const CHUNK = 1000;
    for (let i = 0; i < records.length; i += CHUNK) {
      const text = records
        .slice(i, i + CHUNK)
        .map((r) => `${JSON.stringify(ordered(r))}\n`)
        .join('');
      const buf = Buffer.from(text, 'utf8');
      await handle.write(buf);
      bytes += buf.length;
    }
    await handle.sync();
    await handle.close();
    await fs.rename(tmp, target);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { path: target, records: records.length, bytes };
}
