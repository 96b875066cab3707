// The pairs of an open document, parsed from its text (so unsaved edits count), cached per version.

import * as vscode from 'vscode';
import { type FileParse, formatOf, type Pair, parseText } from '../../core/data';

const cache = new WeakMap<vscode.TextDocument, { version: number; parse: FileParse }>();

export async function parseDocument(doc: vscode.TextDocument): Promise<FileParse | undefined> {
  const hit = cache.get(doc);
  if (hit && hit.version === doc.version) return hit.parse;
  const format = formatOf(doc.uri.fsPath);
  if (!format) return undefined;
  const parse = parseText(doc.getText(), vscode.workspace.asRelativePath(doc.uri, false), format);
  cache.set(doc, { version: doc.version, parse });
  return parse;
}

/** The pair with this id, or the pair whose record covers this (0-based) line. */
export async function pairInDocument(
  doc: vscode.TextDocument,
  where: { pairId?: string; line?: number },
): Promise<Pair | undefined> {
  const parse = await parseDocument(doc);
  if (!parse) return undefined;
  if (where.pairId !== undefined) return parse.pairs.find((p) => p.pairId === where.pairId);
  const line = (where.line ?? 0) + 1;
  return parse.pairs.find((p) => p.source.line <= line && line <= p.source.endLine);
}

/** The editor range of a pair's first line: where its lens goes. */
export function pairRange(pair: Pair): vscode.Range {
  const line = Math.max(0, pair.source.line - 1);
  return new vscode.Range(line, Math.max(0, pair.source.column - 1), line, Math.max(0, pair.source.column - 1));
}
