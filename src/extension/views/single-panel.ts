// One webview panel per kind (pair view, comparison grid, history), created on first use and
// reused: the webview posts `ready` after each load and the host answers with its current message.
// Messages from the webview are validated before anything acts on them.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { webviewHtml, webviewOptions } from './webview-html';

export class SinglePanel<In extends { type: string }, Out> {
  private panel: vscode.WebviewPanel | undefined;
  private listener: vscode.Disposable | undefined;
  private message: Out | undefined;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    private readonly ctx: Ctx,
    private readonly viewType: string,
    private readonly bundle: string,
    private readonly isIncoming: (x: unknown) => x is In,
  ) {}

  get visible(): boolean {
    return this.panel !== undefined;
  }

  /** Shows `message` (sent now, and again whenever the webview reloads), with `onMessage` handling what the webview says. */
  show(title: string, message: Out, onMessage: (m: In) => void, column = vscode.ViewColumn.Active): void {
    this.message = message;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(this.viewType, title, column, {
        ...webviewOptions(this.ctx.extension.extensionUri),
        retainContextWhenHidden: true,
      });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.listener?.dispose();
        for (const l of [...this.closeListeners]) l();
      });
      this.panel.webview.html = webviewHtml(this.panel.webview, this.ctx.extension.extensionUri, this.bundle, title);
    } else this.post(message);
    const p = this.panel;
    p.title = title;
    this.listener?.dispose();
    this.listener = p.webview.onDidReceiveMessage((msg: unknown) => {
      if (!this.isIncoming(msg)) {
        this.ctx.log.warn(this.bundle, 'ignored a malformed message from the webview');
        return;
      }
      if (msg.type === 'ready' && this.message) this.post(this.message);
      try {
        onMessage(msg);
      } catch (err) {
        this.ctx.log.error(this.bundle, err instanceof Error ? err : String(err));
      }
    });
    // An active panel is not revealed again: that would take the keyboard from the webview, and j then k
    // in the pair view (or the next key in Collect) would go nowhere.
    if (!p.active) p.reveal(undefined, false);
  }

  /** Called once when the person closes the panel (a session waiting on an answer ends). */
  onClose(listener: () => void): vscode.Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Sends a message without changing what a reload shows (a search answer). */
  post(message: unknown): void {
    void this.panel?.webview.postMessage(message);
  }

  /** Replaces what the panel shows, and sends it. */
  update(message: Out): void {
    this.message = message;
    this.post(message);
  }
}
