// Every problem the workspace index finds, in the Problems panel at its line and column; an open
// preference file's own problems follow its unsaved text as it is edited.

import * as vscode from 'vscode';
import type { Problem } from '../../core/data/pair';
import type { Ctx } from '../ctx';
import { parseDocument } from './document-pairs';
import { preferenceSelector } from './pair-codelens';

function toDiagnostic(p: Problem): vscode.Diagnostic {
  const line = Math.max(0, p.line - 1);
  const col = Math.max(0, p.column - 1);
  const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + 1), p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  d.source = 'SynthesizeMe';
  return d;
}

export function registerDiagnostics(ctx: Ctx): vscode.DiagnosticCollection {
  const collection = ctx.register(vscode.languages.createDiagnosticCollection('synthesizeme'));
  const fromIndex = () => {
    const index = ctx.files.current();
    if (!index) return;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of index.problems()) {
      let list = byFile.get(p.file);
      if (!list) byFile.set(p.file, (list = []));
      list.push(toDiagnostic(p));
    }
    collection.clear();
    for (const [file, list] of byFile) {
      const uri = ctx.files.uriOf(file);
      if (uri) collection.set(uri, list);
    }
  };
  ctx.register(ctx.files.onDidChange(fromIndex));
  fromIndex();

  // Unsaved edits: the open document's own parse problems replace its file's (user-level problems
  // such as cross-file duplicates come back from the index on save).
  let timer: ReturnType<typeof setTimeout> | undefined;
  ctx.register(
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!vscode.languages.match(preferenceSelector(ctx.files.config.include), e.document) || !e.document.isDirty) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        void parseDocument(e.document).then((parse) => {
          if (parse && parse.pairs.length + parse.problems.length > 0) collection.set(e.document.uri, parse.problems.map(toDiagnostic));
        });
      }, 200);
    }),
  );
  ctx.register({ dispose: () => timer && clearTimeout(timer) });
  return collection;
}
