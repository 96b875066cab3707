// Texts that exist in no file (a prompt's shipped default, an earlier version), shown read-only for a diff.
// An untitled document would do, but it is dirty: it stays as an "Untitled" tab that asks to be saved.

import * as vscode from 'vscode';

const SCHEME = 'synthesizeme-version';

export class VersionTexts implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);
  }

  /** A read-only document holding `text`, named `name` (e.g. "judge (shipped default).md"). */
  uri(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${name}` });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.registration.dispose();
    this.texts.clear();
  }
}
