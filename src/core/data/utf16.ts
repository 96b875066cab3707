// UTF-16 files (with a BOM, as Windows tools such as PowerShell write them) turned into the UTF-8
// bytes every reader splits and checks. An unpaired surrogate or a dangling odd byte becomes 0xFF,
// a byte UTF-8 never holds, so the UTF-8 check downstream reports it at its line and column
// instead of it being replaced silently.

export const UTF16_FAULT = 0xff;
const FAULT = Buffer.from([UTF16_FAULT]);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function toUtf8(text: string): Buffer {
  if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  // A fresh global copy each time: matchAll would start from a shared regex's lastIndex.
  for (const m of text.matchAll(new RegExp(LONE_SURROGATE.source, 'g'))) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), FAULT);
    last = m.index! + 1;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Streams UTF-16 (BOM already removed) to UTF-8; code units and surrogate pairs may straddle chunks. */
export class Utf16Transcoder {
  private odd: number | undefined;
  private high = '';

  constructor(private readonly bigEndian: boolean) {}

  /** The chunk is not kept, so the caller may reuse its buffer. */
  push(chunk: Uint8Array): Buffer {
    // A copy: swap16 works in place, and the caller's buffer is not ours to change.
    const data = this.odd === undefined ? Buffer.from(chunk) : Buffer.concat([Buffer.from([this.odd]), chunk]);
    const even = data.length & ~1;
    this.odd = even < data.length ? data[even] : undefined;
    const units = data.subarray(0, even);
    if (this.bigEndian) units.swap16();
    let text = this.high + units.toString('utf16le');
    this.high = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.high = text.slice(-1);
      text = text.slice(0, -1);
    }
    return toUtf8(text);
  }

  end(): Buffer {
    const tail = toUtf8(this.high);
    this.high = '';
    const odd = this.odd !== undefined;
    this.odd = undefined;
    return odd ? Buffer.concat([tail, FAULT]) : tail;
  }
}

/** A whole UTF-16 file (BOM removed) as UTF-8 bytes, faults marked as in the stream. */
export function utf16ToUtf8(bytes: Uint8Array, bigEndian: boolean): Buffer {
  const t = new Utf16Transcoder(bigEndian);
  return Buffer.concat([t.push(bytes), t.end()]);
}
