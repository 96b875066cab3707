// Reading JSON out of what a model actually wrote. Servers without structured output (and
// small models with it) wrap the object in prose or code fences, leave trailing commas, use
// single quotes or Python literals, stop mid-object at the token limit, or answer a bare "B".
// A verdict lost to formatting is counted as wrong, so this parser is deliberately forgiving;
// it never invents an answer that the text does not state.
import { statedChoice } from './stated-choice';
import { isRecord as isObject } from '../is-record';

/** JSON.parse, or undefined. */
export function parseJsonStrict(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Best-effort JSON from model text. With a schema, prefers the object that carries the most of
 * its required properties, and recovers a bare enum answer ("B", "Preference: B") when no
 * object states it. Returns undefined when nothing usable is found.
 */
export function parseTolerantJson(text: string, schema?: Record<string, unknown>): unknown {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  const strict = parseJsonStrict(trimmed);
  if (strict !== undefined && !(schema && isObject(strict) && !hasAllRequired(strict, schema))) return strict;

  const required = requiredKeys(schema);
  let best: { value: unknown; score: number } | undefined;
  const consider = (value: unknown): void => {
    const score = isObject(value) ? 1 + required.filter((k) => k in value).length : Array.isArray(value) ? 0.5 : 0;
    // Ties go to the later candidate: models often show an example first and answer last.
    if (score > 0 && (!best || score >= best.score)) best = { value, score };
  };
  if (strict !== undefined) consider(strict);
  for (const block of fencedBlocks(trimmed)) {
    for (const v of valuesIn(block)) consider(v);
  }
  for (const v of valuesIn(trimmed)) consider(v);

  const enumAnswer = schema ? bareEnumAnswer(trimmed, schema) : undefined;
  const found = best?.value;
  if (enumAnswer) {
    const [key, value] = enumAnswer;
    if (isObject(found)) return found[key] === undefined ? { ...found, [key]: value } : found;
    const out: Record<string, unknown> = { [key]: value };
    for (const k of required) {
      if (k !== key && propertyType(schema, k) === 'string') out[k] = trimmed;
    }
    return out;
  }
  return found;
}

function requiredKeys(schema: Record<string, unknown> | undefined): string[] {
  const r = schema?.['required'];
  return Array.isArray(r) ? r.filter((k): k is string => typeof k === 'string') : [];
}

function hasAllRequired(value: Record<string, unknown>, schema: Record<string, unknown>): boolean {
  return requiredKeys(schema).every((k) => k in value);
}

function properties(schema: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const p = schema?.['properties'];
  return isObject(p) ? (p as Record<string, Record<string, unknown>>) : {};
}

function propertyType(schema: Record<string, unknown> | undefined, key: string): unknown {
  return properties(schema)[key]?.['type'];
}

function fencedBlocks(text: string): string[] {
  const out: string[] = [];
  const re = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!.trim());
  // An unterminated fence (the answer hit the token limit) still holds the start of the object.
  const open = text.lastIndexOf('```');
  if (open >= 0 && (text.slice(0, open).match(/```/g)?.length ?? 0) % 2 === 0) {
    out.push(
      text
        .slice(open)
        .replace(/^```[a-zA-Z0-9_-]*/, '')
        .trim(),
    );
  }
  return out;
}

/** Every top-level object or array found by scanning the text, parsed leniently. */
function valuesIn(text: string): unknown[] {
  const out: unknown[] = [];
  let from = 0;
  for (let guard = 0; guard < 50; guard++) {
    const start = nextOpener(text, from);
    if (start < 0) break;
    const parser = new LenientParser(text, start);
    const value = parser.tryValue();
    if (value === FAIL) {
      from = start + 1;
      continue;
    }
    out.push(value);
    from = Math.max(parser.pos, start + 1);
  }
  return out;
}

/**
 * The objects in `text` that hold `key` as a property of their own, parsed leniently: for each mention of
 * the key (the first `maxMentions`), the objects opening at most `reach` characters before it. Used to
 * find ready-made answers inside a prompt, wherever the data put them.
 */
export function objectsHolding(text: string, key: string, maxMentions = 32, reach = 4000): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const lower = text.toLowerCase();
  const needle = key.toLowerCase();
  let mentions = 0;
  for (
    let at = lower.indexOf(needle);
    at >= 0 && mentions < maxMentions;
    at = lower.indexOf(needle, at + needle.length)
  ) {
    mentions++;
    // The nearest openers first: the object that holds the key is one of the innermost around it.
    let opener = text.lastIndexOf('{', at);
    for (
      let tries = 0;
      opener >= 0 && at - opener <= reach && tries < 8;
      tries++, opener = text.lastIndexOf('{', opener - 1)
    ) {
      const value = new LenientParser(text, opener).tryValue();
      if (isObject(value) && Object.keys(value).some((k) => k.toLowerCase() === needle)) out.push(value);
    }
  }
  return out;
}

function nextOpener(text: string, from: number): number {
  const a = text.indexOf('{', from);
  const b = text.indexOf('[', from);
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

const FAIL = Symbol('fail');

/**
 * A recursive-descent reader for "JSON as models write it": single quotes, unquoted keys,
 * trailing or missing commas, comments, raw newlines in strings, True/False/None, and an
 * object cut off at the end of the text (closed as if the brackets were there).
 */
class LenientParser {
  constructor(
    private readonly s: string,
    public pos: number,
  ) {}

  tryValue(): unknown {
    try {
      const v = this.value(0);
      return v;
    } catch {
      return FAIL;
    }
  }

  private fail(): never {
    throw new Error('lenient parse failed');
  }

  private ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '/' && s[this.pos + 1] === '/') {
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl < 0 ? s.length : nl + 1;
      } else if (c === '/' && s[this.pos + 1] === '*') {
        const end = s.indexOf('*/', this.pos + 2);
        this.pos = end < 0 ? s.length : end + 2;
      } else break;
    }
  }

  private value(depth: number): unknown {
    if (depth > 64) this.fail();
    this.ws();
    const c = this.s[this.pos];
    if (c === undefined) this.fail();
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9') || c === '.') return this.number();
    const word = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.pos, this.pos + 32))?.[0];
    if (word === undefined) this.fail();
    const literal: Record<string, unknown> = {
      true: true,
      True: true,
      false: false,
      False: false,
      null: null,
      None: null,
      undefined: null,
    };
    if (!(word in literal)) this.fail();
    this.pos += word.length;
    return literal[word];
  }

  private object(depth: number): Record<string, unknown> {
    this.pos++; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      if (c === undefined) return out; // cut off: close it
      if (c === '}') {
        this.pos++;
        return out;
      }
      if (c === ',') {
        this.pos++;
        continue;
      }
      const key = this.key();
      this.ws();
      if (this.s[this.pos] === ':' || this.s[this.pos] === '=') this.pos++;
      else this.fail();
      this.ws();
      if (this.pos >= this.s.length) return out;
      out[key] = this.value(depth + 1);
    }
  }

  private key(): string {
    const c = this.s[this.pos];
    if (c === '"' || c === "'") return this.string();
    const word = /^[A-Za-z_$][\w$-]*/.exec(this.s.slice(this.pos, this.pos + 200))?.[0];
    if (!word) this.fail();
    this.pos += word.length;
    return word;
  }

  private array(depth: number): unknown[] {
    this.pos++; // [
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.pos];
      if (c === undefined) return out;
      if (c === ']') {
        this.pos++;
        return out;
      }
      if (c === ',') {
        this.pos++;
        continue;
      }
      out.push(this.value(depth + 1));
    }
  }

  private string(): string {
    const quote = this.s[this.pos]!;
    this.pos++;
    let out = '';
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const n = s[this.pos + 1];
        this.pos += 2;
        switch (n) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            const hex = s.slice(this.pos, this.pos + 4);
            if (/^[0-9a-fA-F]{4}$/.test(hex)) {
              out += String.fromCharCode(Number.parseInt(hex, 16));
              this.pos += 4;
            } else out += 'u';
            break;
          }
          case undefined:
            break;
          default:
            out += n;
        }
        continue;
      }
      out += c;
      this.pos++;
    }
    return out; // cut off inside a string: keep what was written
  }

  private number(): number {
    const m = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 64));
    if (!m) this.fail();
    this.pos += m[0].length;
    return Number(m[0]);
  }
}

/**
 * A stated answer for the schema's single string-enum property (such as preference A/B), read by
 * statedChoice: only an unambiguous statement counts, never a letter that may be a word.
 * Returns [property, canonical value].
 */
function bareEnumAnswer(text: string, schema: Record<string, unknown>): [string, string] | undefined {
  const enums = Object.entries(properties(schema)).filter(
    ([, p]) => Array.isArray(p['enum']) && (p['enum'] as unknown[]).every((v) => typeof v === 'string'),
  );
  if (enums.length !== 1) return undefined;
  const [key, prop] = enums[0]!;
  const value = statedChoice(text, prop['enum'] as string[]);
  return value === undefined ? undefined : [key, value];
}
