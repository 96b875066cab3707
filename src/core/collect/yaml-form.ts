// Which YAML preference files can take a collected pair at their end without a rewrite. An append adds
// "- user_id: ..." at column 0, after the last line. That is one more item of the same list only when
// the file is ONE document whose root is a BLOCK list with its items at column 0 and no end marker:
// - a mapping of users (`ada: [...]`): a "- " line at the end would not join any user's list;
// - a flow list (`[{...}, {...}]`): the new item would land after the closing bracket;
// - several documents, or a document closed by `...`: the item would start another document;
// - a list indented under column 0: an item at column 0 would break its indentation.
// Comments are lines of their own, so comments at the end are fine: the item goes on the next line.
// (Blank lines are never put before the item: after a `|+` block scalar they would join its text.)

import { isSeq, parseAllDocuments } from 'yaml';

/** Why `text` (a YAML file that parses) cannot take an appended item, or undefined when it can. */
export function yamlAppendRefusal(text: string): string | undefined {
  if (!text.trim() || text.split('\n').every((l) => !l.trim() || l.trimStart().startsWith('#'))) return undefined;
  const docs = parseAllDocuments(text);
  if (!docs.length) return undefined; // an empty stream
  if (docs.length !== 1)
    return `it holds ${docs.length} YAML documents (an appended item would join the last one only, or start another)`;
  const doc = docs[0]!;
  const root = doc.contents;
  if (!isSeq(root))
    return 'it is not a YAML list of pairs at its top level (a mapping by user cannot be appended to without rewriting it)';
  if (root.flow) return 'it is a flow-style list ([...]): an item after its closing bracket would not join it';
  const start = root.range?.[0] ?? 0;
  if (start > 0 && text[start - 1] !== '\n') return 'its list is indented: an item at column 0 would not join it';
  if (doc.directives?.docEnd) return 'its document ends with "...": an appended item would start a new document';
  return undefined;
}

/** The per-append check of the file's last line (the file may have changed since the session began). */
export function yamlTailRefusal(lastLine: string | undefined): string | undefined {
  const t = lastLine?.trim() ?? '';
  if (t === '...' || t.startsWith('---'))
    return `it ends with the document marker "${t.slice(0, 3)}": an appended item would start a new document`;
  return undefined;
}
