// YAML: a list of pairs, or a mapping user_id -> list of pairs. Each item keeps its node's
// range, so diagnostics and CodeLens point at the item.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { FileCollector, rangeOf, type FileParse } from './parse-result';

export function parseYamlText(text: string, file: string): FileParse {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out = new FileCollector(file);
  const lc = new LineCounter();
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  for (const e of doc.errors) {
    const p = pos(e.pos[0]);
    out.problem(p.line, p.column, `YAML: ${e.message.split('\n')[0]}`);
  }
  if (doc.errors.length && !doc.contents) return out.result();
  const root = doc.contents;
  if (root === null || root === undefined) {
    out.problem(1, 1, 'empty file: expected a list of preference pairs');
    return out.result();
  }

  const addItem = (node: unknown, userId?: string) => {
    const n = node as Node;
    const [start, end] = n.range ?? [0, 0];
    let value: unknown;
    try {
      // maxAliasCount bounds "billion laughs" alias expansion in hostile files.
      value = isScalar(n) || isMap(n) || isSeq(n) ? n.toJS(doc, { maxAliasCount: 100 }) : null;
    } catch (err) {
      const p = pos(start);
      out.records++;
      out.problem(p.line, p.column, `YAML: ${(err as Error).message}`);
      return;
    }
    out.add(value, {
      range: rangeOf(file, pos(start), pos(end)),
      ...(userId !== undefined ? { userId } : {}),
      locate: (field) => {
        if (!isMap(n)) return undefined;
        const pairNode = n.items.find((it) => isScalar(it.key) && it.key.value === field);
        const target = (pairNode?.value ?? pairNode?.key) as Node | undefined;
        return target?.range ? pos(target.range[0]) : undefined;
      },
    });
  };

  if (isSeq(root)) {
    for (const item of root.items) addItem(item);
  } else if (isMap(root)) {
    // Either one pair (it has `chosen`) or a mapping user_id -> list of pairs.
    const looksLikePair = root.items.some(
      (it) => isScalar(it.key) && (it.key.value === 'chosen' || it.key.value === 'rejected'),
    );
    if (looksLikePair) {
      addItem(root);
    } else {
      for (const entry of root.items) {
        const key = isScalar(entry.key) ? String(entry.key.value) : undefined;
        const keyRange = (entry.key as Node | null)?.range;
        const kp = keyRange ? pos(keyRange[0]) : { line: 1, column: 1 };
        if (key === undefined) {
          out.problem(kp.line, kp.column, 'expected a user id as the key');
          continue;
        }
        if (!isSeq(entry.value)) {
          out.problem(kp.line, kp.column, `user "${key}": expected a list of preference pairs`);
          continue;
        }
        for (const item of entry.value.items) addItem(item, key);
      }
    }
  } else {
    const p = pos((root as Node).range?.[0] ?? 0);
    out.problem(p.line, p.column, 'expected a list of preference pairs, or a mapping user_id -> list of pairs');
  }
  return out.result();
}
