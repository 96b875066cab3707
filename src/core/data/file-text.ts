// What every reader shares about files as bytes: size limits, UTF-8 BOM and binary detection, format.
// (Which encoding the text is in: text-encoding.ts.)

/** Above this, JSON and YAML files (which must be held whole) are refused with a problem; JSONL streams. */
export const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Default limit on one JSONL record (one line). A longer line is reported and skipped as it streams
 * past, never held: held whole, a line costs several times its size (bytes, string, parsed value),
 * so one 700 MB line exhausted memory and took the valid records after it down with the file.
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/** A NUL byte in the first 8 KB is the same test git uses to call a file binary (UTF-16 is told apart by its BOM first). */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

export type PrefFormat = 'jsonl' | 'json' | 'yaml';

export function formatOf(path: string): PrefFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return undefined;
}
