// Which encoding a file is in, told by its byte-order mark: UTF-8 (with or without a BOM) and
// UTF-16 LE/BE with a BOM, which Windows tools write. Text without a BOM is taken as UTF-8 and
// checked, never guessed.

import { hasUtf8Bom, looksBinary } from './file-text';
import { utf16ToUtf8 } from './utf16';
import { checkUtf8 } from './utf8-validity';
import { LineIndex } from './line-index';

export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

export type DetectedEncoding = { encoding: TextEncoding; bomBytes: number } | { refused: string };

export const BINARY_MESSAGE = 'binary file: not a text preference file; not read';

/** From the first bytes of a file (at least 4 when the file has them). */
export function detectEncoding(head: Uint8Array): DetectedEncoding {
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  // UTF-32 LE's BOM begins like UTF-16 LE's, so it is tested first.
  if ((a === 0xff && b === 0xfe && c === 0 && d === 0) || (a === 0 && b === 0 && c === 0xfe && d === 0xff)) {
    return { refused: 'UTF-32 text: not a supported encoding; save the file as UTF-8' };
  }
  if (a === 0xff && b === 0xfe) return { encoding: 'utf16le', bomBytes: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf16be', bomBytes: 2 };
  if (hasUtf8Bom(head)) return { encoding: 'utf8', bomBytes: 3 };
  // NUL bytes rule out UTF-8 text; UTF-16 was recognised by its BOM above.
  if (looksBinary(head)) return { refused: BINARY_MESSAGE };
  return { encoding: 'utf8', bomBytes: 0 };
}

export interface TextProblem {
  line: number;
  column: number;
  message: string;
}

/** A whole file (JSON, YAML) as text, or the one problem that stops it being read. */
export function decodeWholeFile(bytes: Buffer): { text: string } | { problem: TextProblem } {
  const detected = detectEncoding(bytes);
  if ('refused' in detected) return { problem: { line: 1, column: 1, message: detected.refused } };
  const body = bytes.subarray(detected.bomBytes);
  const utf8 = detected.encoding === 'utf8' ? body : utf16ToUtf8(body, detected.encoding === 'utf16be');
  const invalid = checkUtf8(utf8, detected.encoding);
  if (invalid) {
    // Only the valid text before the bad byte is decoded, to place it.
    const before = utf8.toString('utf8', 0, invalid.offset);
    const at = new LineIndex(before).position(before.length);
    return { problem: { ...at, message: `${invalid.message}; the file is not read` } };
  }
  return { text: utf8.toString('utf8') };
}

/** The start of a file as text for sniffing, leniently (the cut may split a character), or undefined for binary. */
export function decodeHead(head: Buffer): string | undefined {
  const detected = detectEncoding(head);
  if ('refused' in detected) return undefined;
  const body = head.subarray(detected.bomBytes);
  return (detected.encoding === 'utf8' ? body : utf16ToUtf8(body, detected.encoding === 'utf16be')).toString('utf8');
}
