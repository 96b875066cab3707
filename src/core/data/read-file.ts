// Read any preference file from disk: format by extension, file kind, encoding and size checks, never a write.

import { formatOf, MAX_WHOLE_FILE_BYTES, type PrefFormat } from './file-text';
import { NotRegularFileError, openRegularFile, statRegularFile } from '../file-kind';
import { parseJsonlFile, parseJsonlText, type JsonlFileOptions } from './parse-jsonl';
import { parseJsonText } from './parse-json';
import { parseYamlText } from './parse-yaml';
import { decodeHead, decodeWholeFile } from './text-encoding';
import type { FileParse } from './parse-result';
import type { Severity } from './pair';

export function parseText(text: string, file: string, format: PrefFormat): FileParse {
  switch (format) {
    case 'jsonl':
      return parseJsonlText(text, file);
    case 'json':
      return parseJsonText(text, file);
    case 'yaml':
      return parseYamlText(text, file);
  }
}

export function failedFile(
  file: string,
  message: string,
  line = 1,
  column = 1,
  severity: Severity = 'error',
): FileParse {
  return { file, pairs: [], problems: [{ file, line, column, message, severity }], records: 0 };
}

export type ReadOptions = JsonlFileOptions;

/**
 * @param path where to read
 * @param file the name to report in problems and ranges (usually relative to the cwd or workspace)
 */
export async function readPreferenceFile(
  path: string,
  file = path,
  signal?: AbortSignal,
  options: ReadOptions = {},
): Promise<FileParse> {
  const format = formatOf(path);
  if (!format) return failedFile(file, 'not a preference file (expected .jsonl, .json, .yaml or .yml)');
  try {
    const regular = await statRegularFile(path);
    if ('refused' in regular) return failedFile(file, regular.refused);
    if (format === 'jsonl') return await parseJsonlFile(path, file, signal, options);
    if (regular.stats.size > MAX_WHOLE_FILE_BYTES) {
      return failedFile(
        file,
        `${(regular.stats.size / 1048576).toFixed(0)} MB is too large to read as ${format.toUpperCase()}; ` +
          'convert it to JSONL (one pair per line), which streams',
      );
    }
    const fh = await openRegularFile(path);
    let bytes: Buffer;
    try {
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
    const decoded = decodeWholeFile(bytes);
    if ('problem' in decoded)
      return failedFile(file, decoded.problem.message, decoded.problem.line, decoded.problem.column);
    return parseText(decoded.text, file, format);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    if (err instanceof NotRegularFileError) return failedFile(file, err.message);
    const code = (err as NodeJS.ErrnoException).code;
    return failedFile(
      file,
      code === 'EACCES'
        ? 'permission denied'
        : code === 'ENOENT'
          ? 'file not found'
          : `cannot read: ${(err as Error).message}`,
    );
  }
}

/** Whether a plain `.jsonl` file (outside the `*.prefs.*` naming) holds preference pairs: its first record decides. */
export async function sniffJsonlIsPreferences(path: string): Promise<boolean> {
  // Something that is not a regular file is not opened here either (a FIFO would hang the sniff).
  if ('refused' in (await statRegularFile(path))) return false;
  let fh;
  try {
    fh = await openRegularFile(path);
  } catch (err) {
    if (err instanceof NotRegularFileError) return false;
    throw err;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = decodeHead(buf.subarray(0, bytesRead));
    if (text === undefined) return false;
    const first = text.split('\n').find((l) => l.trim());
    if (!first) return false;
    // A first line longer than the probe cannot be parsed here; look for the keys instead.
    const has = (k: string) => first.includes(`"${k}"`);
    return has('chosen') && has('rejected') && (has('user_id') || has('context') || has('conversation_id'));
  } finally {
    await fh.close();
  }
}
