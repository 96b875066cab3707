// JSON: an array of pairs. JSON.parse gives no positions, so a small scanner finds each
// top-level element's extent first; each element is then parsed alone, which both gives it a
// range (for diagnostics and CodeLens) and confines a syntax error to one element.

import { LineIndex } from './line-index';
import { FileCollector, jsonErrorMessage, jsonErrorOffset, rangeOf, type FileParse } from './parse-result';

interface Span {
  start: number;
  end: number;
}

/** Extents of the top-level array's elements, or where the structure breaks. */
function scanArray(text: string): { spans: Span[]; error?: { offset: number; message: string } } {
  const spans: Span[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skipWs();
  if (text[i] !== '[') return { spans, error: { offset: i, message: 'expected a JSON array of preference pairs' } };
  i++;
  for (;;) {
    skipWs();
    if (text[i] === ']') return { spans };
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    let end = i;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end > start) spans.push({ start, end });
    if (i >= text.length)
      return {
        spans,
        error: { offset: text.length, message: 'the file ends before the array is closed (truncated?)' },
      };
    if (text[i] === ']') return { spans };
    i++; // the comma
  }
}

export function parseJsonText(text: string, file: string): FileParse {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out = new FileCollector(file);
  const lines = new LineIndex(text);
  const { spans, error } = scanArray(text);
  if (error && spans.length === 0) {
    // Not an array at all: say why in JSON.parse's words if it has any.
    try {
      const whole: unknown = JSON.parse(text);
      if (whole && typeof whole === 'object' && !Array.isArray(whole)) {
        out.add(whole, { range: rangeOf(file, lines.position(0), lines.position(text.length)) });
        return out.result();
      }
      const p = lines.position(error.offset);
      out.problem(p.line, p.column, error.message);
    } catch (err) {
      const offset = jsonErrorOffset(text);
      const p = lines.position(offset);
      out.problem(p.line, p.column, text.trim() ? jsonErrorMessage(err, text, offset) : 'empty file');
    }
    return out.result();
  }
  for (const span of spans) {
    const slice = text.slice(span.start, span.end);
    let value: unknown;
    try {
      value = JSON.parse(slice);
    } catch (err) {
      out.records++;
      const offset = jsonErrorOffset(slice);
      const p = lines.position(span.start + offset);
      out.problem(p.line, p.column, jsonErrorMessage(err, slice, offset));
      continue;
    }
    const range = rangeOf(file, lines.position(span.start), lines.position(span.end));
    out.add(value, {
      range,
      locate: (field) => {
        const m = new RegExp(`"${field}"\\s*:\\s*`).exec(slice);
        return m ? lines.position(span.start + m.index + m[0].length) : undefined;
      },
    });
  }
  if (error) {
    const p = lines.position(error.offset);
    out.problem(p.line, p.column, error.message);
  }
  return out.result();
}
