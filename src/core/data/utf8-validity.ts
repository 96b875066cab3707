// Where UTF-8 goes wrong. Decoding with replacement would change the text a judge reads without
// anyone knowing, so invalid bytes are found and reported instead. Node's native isUtf8 answers
// whether; the scan below answers where, and runs only on text already known to be invalid.

import { isUtf8 } from 'node:buffer';
import { UTF16_FAULT } from './utf16';
import type { TextEncoding } from './text-encoding';

/** Offset of the first byte that does not begin a well-formed sequence (Unicode table 3-7), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const n = bytes.length;
  for (let i = 0; i < n;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let tail: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) tail = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      tail = 2;
      if (b === 0xe0)
        lo = 0xa0; // overlong
      else if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      tail = 3;
      if (b === 0xf0)
        lo = 0x90; // overlong
      else if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + tail >= n) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= tail; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += tail + 1;
  }
  // isUtf8 said invalid and the scan found nothing: report the start rather than let it through.
  return 0;
}

export interface InvalidText {
  /** 0-based byte offset in the checked bytes. */
  offset: number;
  /** 1-based column in UTF-16 code units (as VS Code counts), of the first bad byte. */
  column: number;
  message: string;
}

/** Checks the UTF-8 bytes of one stretch of text (for UTF-16 files: the bytes transcoded from it). */
export function checkUtf8(bytes: Buffer, source: TextEncoding): InvalidText | undefined {
  const offset = firstInvalidUtf8(bytes);
  if (offset < 0) return undefined;
  const column = bytes.toString('utf8', 0, offset).length + 1;
  const byte = bytes[offset]!;
  // The UTF-16 transcoder marks its faults with a byte UTF-8 never holds.
  const message =
    source === 'utf8'
      ? `invalid UTF-8: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} does not start a valid character ` +
        '(is the file in another encoding, such as Latin-1 or Windows-1252? save it as UTF-8)'
      : byte === UTF16_FAULT
        ? 'invalid UTF-16: an unpaired surrogate or a dangling odd byte'
        : 'invalid UTF-16';
  return { offset, column, message };
}
