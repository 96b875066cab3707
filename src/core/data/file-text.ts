// Turning bytes into text: BOM, binary detection and size limits, shared by every reader.

/** Above this, JSON and YAML files (which must be held whole) are refused with a problem; JSONL streams. */
export const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}

/** A NUL byte in the first 8 KB is the same test git uses to call a file binary. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  // UTF-16 BOMs: text, but not a format we read.
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/** Decode UTF-8, dropping a BOM (which JSON.parse and our column counts would otherwise trip on). */
export function decodeText(bytes: Uint8Array): string {
  const start = hasUtf8Bom(bytes) ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start).toString('utf8');
}

export type PrefFormat = 'jsonl' | 'json' | 'yaml';

export function formatOf(path: string): PrefFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return undefined;
}
