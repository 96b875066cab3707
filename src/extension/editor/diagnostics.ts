// Every problem the workspace index finds, in the Problems panel at its line and column; an open
// preference file's own problems follow its unsaved text as it is edited.

import * as vscode from 'vscode';
import { type Problem } from '../../core/data';
import type { Ctx } from '../ctx';
import { parseDocument } from './document-pairs';
import { preferenceSelector } from './pair-codelens';

function toDiagnostic(p: Problem): vscode.Diagnostic {
  const line = Math.max(0, p.line - 1);
  const col = Math.max(0, p.column - 1);
  const d = new vscode.Diagnostic(
    new vscode.Range(line, col, line, col + 1),
    p.message,
    p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  d.source = 'SynthesizeMe';
  return d;
}

export function registerDiagnostics(ctx: Ctx): vscode.DiagnosticCollection {
  const collection = ctx.register(vscode.languages.createDiagnosticCollection('synthesizeme'));
  const fromIndex = () => {
    const byUri = new Map<string, { uri: vscode.Uri; list: vscode.Diagnostic[] }>();
    // Every folder's index, each with its own file names (relative to that folder).
    for (const f of ctx.folders.all()) {
      for (const p of f.files.current()?.problems() ?? []) {
        const uri = f.files.uriOf(p.file);
        if (!uri) continue;
        let entry = byUri.get(uri.toString());
        if (!entry) byUri.set(uri.toString(), (entry = { uri, list: [] }));
        entry.list.push(toDiagnostic(p));
      }
    }
    collection.clear();
    for (const { uri, list } of byUri.values()) collection.set(uri, list);
  };
  ctx.register(ctx.folders.onDidChange(fromIndex));
  fromIndex();

  // Unsaved edits: the open document's own parse problems replace its file's (user-level problems
  // such as cross-file duplicates come back from the index on save).
  let timer: ReturnType<typeof setTimeout> | undefined;
  ctx.register(
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!vscode.languages.match(preferenceSelector(ctx), e.document) || !e.document.isDirty) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        void parseDocument(e.document).then((parse) => {
          if (parse && parse.pairs.length + parse.problems.length > 0)
            collection.set(e.document.uri, parse.problems.map(toDiagnostic));
        });
      }, 200);
    }),
  );
  ctx.register({ dispose: () => timer && clearTimeout(timer) });
  return collection;
}
