// Where JSON text first goes wrong, for a problem report's line and column. V8 only sometimes says
// ("at position N" on some inputs, nothing on others, a different wording on Node 22), so a failed
// JSON.parse is read again by jsonc-parser, which finds the first token that breaks the grammar. Its
// errors point at a token's start; when the token was the value (or key) expected there, the column
// goes on to the character inside it that breaks it (`tru}` at `}`, a bad escape at its letter, a
// string that never ends at the end of the text). Only runs on the error path.

import { visit } from 'jsonc-parser/lib/esm/main.js';

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/;
const LITERALS: Record<string, string> = { t: 'true', f: 'false', n: 'null' };

export function findJsonErrorOffset(text: string): number {
  const open: string[] = [];
  let first: number | undefined;
  visit(
    text,
    {
      onObjectBegin: () => void (first === undefined && open.push('{')),
      onArrayBegin: () => void (first === undefined && open.push('[')),
      onObjectEnd: () => void (first === undefined && open.pop()),
      onArrayEnd: () => void (first === undefined && open.pop()),
      onError: (_code, offset) => void (first ??= offset),
    },
    STRICT,
  );
  if (first === undefined) return text.length;
  const expected = expectedAt(text, first, open[open.length - 1]);
  if (expected === 'value' || (expected === 'key' && text[first] === '"')) return insideToken(text, first);
  return first;
}

/** What the grammar expects at `at`, from the character before it (the text before `at` is valid JSON so far). */
function expectedAt(text: string, at: number, container: string | undefined): 'value' | 'key' | 'other' {
  let p = at - 1;
  while (p >= 0 && ' \t\n\r'.includes(text[p]!)) p--;
  const before = p < 0 ? undefined : text[p];
  if (before === undefined || before === '[' || before === ':') return 'value';
  if (before === '{') return 'key';
  if (before === ',') return container === '{' ? 'key' : 'value';
  return 'other';
}

/** The first character of the token at `at` that breaks it. */
function insideToken(text: string, at: number): number {
  const c = text[at]!;
  if (c === '"') return insideString(text, at);
  if (c === '-' || (c >= '0' && c <= '9')) {
    const m = NUMBER.exec(text.slice(at, at + 400));
    return m ? at + m[0].length : at;
  }
  const word = LITERALS[c];
  if (!word) return at;
  let i = 0;
  while (i < word.length && text[at + i] === word[i]) i++;
  return at + i;
}

function insideString(text: string, at: number): number {
  for (let i = at + 1; i < text.length;) {
    const c = text[i]!;
    if (c === '"') return at;
    if (c.charCodeAt(0) < 0x20) return i;
    if (c !== '\\') i++;
    else if (text[i + 1] === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return i + 2;
      i += 6;
    } else if (text[i + 1] !== undefined && '"\\/bfnrt'.includes(text[i + 1]!)) i += 2;
    else return i + 1;
  }
  return text.length;
}
