// Markdown as the pair view shows it: parsed into plain blocks and spans, never into HTML. The DOM
// side (markdown.ts) turns each into elements with text nodes, so `<script>` or `<img onerror>`
// in a conversation or a model's reply reads as those characters. What is supported is what
// chat replies use: headings, paragraphs, lists, quotes, fenced and indented code, rules, tables
// (shown as monospace text), and inline code, bold, italics and links (the link's text, with its
// address as a tooltip: a pair never navigates anywhere).
//
// Pure (no DOM): the unit tests run it in Node.

export type Span =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Span[] }
  | { kind: 'em'; children: Span[] }
  | { kind: 'link'; children: Span[]; href: string };

export type Block =
  | { kind: 'heading'; level: number; spans: Span[] }
  | { kind: 'paragraph'; spans: Span[] }
  | { kind: 'list'; ordered: boolean; items: Span[][] }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'code'; lang: string; tokens: CodeToken[] }
  | { kind: 'table'; text: string }
  | { kind: 'rule' };

export type CodeToken = { kind: 'plain' | 'keyword' | 'string' | 'comment' | 'number'; text: string };

/** Past this size a text is shown as one plain block: parsing it is not worth the time of a first paint. */
const MAX_CHARS = 200_000;

export function parseMarkdown(text: string): Block[] {
  if (text.length > MAX_CHARS) return [{ kind: 'paragraph', spans: [{ kind: 'text', text }] }];
  return blocks(text.replace(/\r\n?/g, '\n').split('\n'));
}

function blocks(lines: string[]): Block[] {
  const out: Block[] = [];
  let i = 0;
  const para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ kind: 'paragraph', spans: inline(para.join('\n')) });
    para.length = 0;
  };
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line);
    if (fence) {
      flush();
      const close = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith(close)) body.push(lines[i++]!);
      i++; // the closing fence (or the end: an unclosed fence runs to the end, as in CommonMark)
      out.push({
        kind: 'code',
        lang: fence[2]!.toLowerCase(),
        tokens: highlight(body.join('\n'), fence[2]!.toLowerCase()),
      });
      continue;
    }
    if (!line.trim()) {
      flush();
      i++;
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      out.push({ kind: 'heading', level: heading[1]!.length, spans: inline(heading[2]!) });
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      flush();
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s{0,3}>\s?/, ''));
      out.push({ kind: 'quote', blocks: blocks(body) });
      continue;
    }
    const item = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+/;
    if (item.test(line)) {
      flush();
      const ordered = /^\s{0,3}\d/.test(line);
      const items: string[][] = [];
      while (i < lines.length && (item.test(lines[i]!) || (/^\s{2,}\S/.test(lines[i]!) && items.length))) {
        if (item.test(lines[i]!)) items.push([lines[i]!.replace(item, '')]);
        else items[items.length - 1]!.push(lines[i]!.trim());
        i++;
      }
      out.push({ kind: 'list', ordered, items: items.map((l) => inline(l.join('\n'))) });
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      flush();
      const body: string[] = [];
      while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i]!)) body.push(lines[i++]!.trim());
      out.push({ kind: 'table', text: body.join('\n') });
      continue;
    }
    if (/^( {4}|\t)/.test(line) && !para.length) {
      const body: string[] = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]!) || !lines[i]!.trim()))
        body.push(lines[i++]!.replace(/^( {4}|\t)/, ''));
      while (body.length && !body[body.length - 1]!.trim()) body.pop();
      out.push({ kind: 'code', lang: '', tokens: highlight(body.join('\n'), '') });
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return out;
}

/** Inline spans: `code` first (nothing inside it is markup), then links, bold, italics. */
export function inline(text: string): Span[] {
  const out: Span[] = [];
  let plain = '';
  const push = (s: Span) => {
    if (plain) out.push({ kind: 'text', text: plain });
    plain = '';
    out.push(s);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#+\-.!|>~<]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const ticks = /^`+/.exec(text.slice(i))![0];
      const end = text.indexOf(ticks, i + ticks.length);
      if (end > 0) {
        push({ kind: 'code', text: text.slice(i + ticks.length, end).replace(/^ (.*) $/s, '$1') });
        i = end + ticks.length;
        continue;
      }
    }
    if (c === '[') {
      // The address may hold one level of parentheses, as Markdown allows (`f(x)` in a URL).
      const m = /^\[([^\]\n]{1,500})\]\(((?:[^()\s]|\([^()\s]{0,500}\)){0,2000})(?:\s+"[^"]*")?\)/.exec(text.slice(i));
      if (m) {
        push({ kind: 'link', children: inline(m[1]!), href: m[2]! });
        i += m[0].length;
        continue;
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = text.indexOf(c + c, i + 2);
      if (end > i + 2 && text[i + 2] !== ' ') {
        push({ kind: 'strong', children: inline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if (
      (c === '*' || c === '_') &&
      text[i + 1] !== ' ' &&
      text[i + 1] !== c &&
      (c === '*' || !/\w/.test(text[i - 1] ?? ''))
    ) {
      const end = text.indexOf(c, i + 1);
      if (end > i + 1 && text[end - 1] !== ' ' && (c === '*' || !/\w/.test(text[end + 1] ?? ''))) {
        push({ kind: 'em', children: inline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    plain += c;
    i++;
  }
  if (plain) out.push({ kind: 'text', text: plain });
  return out;
}

const KEYWORDS = new Set(
  `abstract and as async await break case catch class const continue def del do elif else enum except export extends
  false final finally fn for from func function go if impl import in interface is lambda let loop match mod module mut
  new nil none not null or package pass private protected pub public raise return self static struct super switch this
  throw true try type typeof undefined use var void while with yield
  select insert update delete where join on group by order limit into values create table`
    .split(/\s+/)
    .filter(Boolean),
);

/** A small tokenizer shared by every language: strings, comments, numbers and common keywords. Enough to read code, not to lint it. */
export function highlight(code: string, lang: string): CodeToken[] {
  const hashComments =
    /^(py|python|sh|bash|shell|zsh|rb|ruby|r|yaml|yml|toml|perl|pl|conf|ini|dockerfile|make|makefile)$/.test(lang);
  const dashComments = /^(sql|lua|haskell|hs)$/.test(lang);
  const out: CodeToken[] = [];
  const add = (kind: CodeToken['kind'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  let i = 0;
  while (i < code.length) {
    const rest = code.slice(i, i + 3);
    const c = code[i]!;
    let m: RegExpExecArray | null;
    if (
      (rest.startsWith('//') && !hashComments) ||
      (hashComments && c === '#') ||
      (dashComments && rest.startsWith('--'))
    ) {
      const end = code.indexOf('\n', i);
      const stop = end < 0 ? code.length : end;
      add('comment', code.slice(i, stop));
      i = stop;
    } else if (rest.startsWith('/*') && !hashComments) {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      add('comment', code.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c && !(code[j] === '\n' && c !== '`')) j += code[j] === '\\' ? 2 : 1;
      add('string', code.slice(i, Math.min(j + 1, code.length)));
      i = Math.min(j + 1, code.length);
    } else if ((m = /^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?/.exec(code.slice(i))) && !/\w/.test(code[i - 1] ?? '')) {
      add('number', m[0]);
      i += m[0].length;
    } else if ((m = /^[A-Za-z_$][\w$]*/.exec(code.slice(i)))) {
      // SQL keywords are often written in capitals.
      add(KEYWORDS.has(m[0]) || (dashComments && KEYWORDS.has(m[0].toLowerCase())) ? 'keyword' : 'plain', m[0]);
      i += m[0].length;
    } else {
      add('plain', c);
      i++;
    }
  }
  return out;
}
