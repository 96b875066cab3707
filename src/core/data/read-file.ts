// Read any preference file from disk: format by extension, binary and size checks, never a write.

import { open, stat } from 'node:fs/promises';
import { decodeText, formatOf, looksBinary, MAX_WHOLE_FILE_BYTES, type PrefFormat } from './file-text';
import { parseJsonlFile, parseJsonlText } from './parse-jsonl';
import { parseJsonText } from './parse-json';
import { parseYamlText } from './parse-yaml';
import type { FileParse } from './parse-result';

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

function failed(file: string, message: string): FileParse {
  return { file, pairs: [], problems: [{ file, line: 1, column: 1, message, severity: 'error' }], records: 0 };
}

/**
 * @param path where to read
 * @param file the name to report in problems and ranges (usually relative to the cwd or workspace)
 */
export async function readPreferenceFile(path: string, file = path, signal?: AbortSignal): Promise<FileParse> {
  const format = formatOf(path);
  if (!format) return failed(file, 'not a preference file (expected .jsonl, .json, .yaml or .yml)');
  try {
    const info = await stat(path);
    if (!info.isFile()) return failed(file, 'not a regular file');
    if (format === 'jsonl') return await parseJsonlFile(path, file, signal);
    if (info.size > MAX_WHOLE_FILE_BYTES) {
      return failed(file, `${(info.size / 1048576).toFixed(0)} MB is too large to read as ${format.toUpperCase()}; convert it to JSONL (one pair per line), which streams`);
    }
    const fh = await open(path, 'r');
    let bytes: Buffer;
    try {
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
    if (looksBinary(bytes)) return failed(file, 'binary file: not a text preference file; not read');
    return parseText(decodeText(bytes), file, format);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return failed(file, code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`);
  }
}

/** Whether a plain `.jsonl` file (outside the `*.prefs.*` naming) holds preference pairs: its first record decides. */
export async function sniffJsonlIsPreferences(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (looksBinary(head)) return false;
    const text = decodeText(head);
    const first = text.split('\n').find((l) => l.trim());
    if (!first) return false;
    // A first line longer than the probe cannot be parsed here; look for the keys instead.
    const has = (k: string) => first.includes(`"${k}"`);
    return has('chosen') && has('rejected') && (has('user_id') || has('context') || has('conversation_id'));
  } finally {
    await fh.close();
  }
}
