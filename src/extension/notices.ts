// The one place the extension shows an error to the user (and the confirmations that go with settings
// and secrets): the text and buttons come from error-notice.ts, the error goes to the log, and each
// button does what it says. What was shown is kept (the last few), because a notification's DOM is out
// of reach of the integration tests, as a webview's is.

import * as vscode from 'vscode';
import { CommandIds } from './command-ids';
import { errorNotice, NoticeActions, type NoticeAction } from './error-notice';
import type { Log } from './log';

export interface ShownNotice {
  severity: 'error' | 'info';
  text: string;
  actions: string[];
}

const KEPT = 20;

export class Notices {
  private readonly shown: ShownNotice[] = [];

  constructor(
    private readonly log: Log,
    /** This extension's id: Open Settings shows its settings alone. */
    private readonly extensionId: string,
  ) {}

  /** The notices shown so far, oldest first (at most the last 20). */
  get recent(): readonly ShownNotice[] {
    return this.shown;
  }

  private keep(n: ShownNotice): void {
    this.shown.push(n);
    if (this.shown.length > KEPT) this.shown.shift();
  }

  /** Logs the error (a bug with its stack) and shows it with the buttons that can help. */
  error(component: string, err: unknown, prefix = ''): void {
    this.log.error(component, err instanceof Error ? err : String(err));
    const n = errorNotice(err, prefix);
    this.keep({ severity: 'error', text: n.text, actions: n.actions });
    void vscode.window.showErrorMessage(n.text, ...n.actions).then((pick) => pick && this.act(pick));
  }

  /** A confirmation, with buttons of its own (the pick is returned). */
  info(text: string, ...actions: string[]): Thenable<string | undefined> {
    this.keep({ severity: 'info', text, actions });
    return vscode.window.showInformationMessage(text, ...actions);
  }

  private act(action: NoticeAction): void {
    if (action === NoticeActions.showLog) this.log.channel.show();
    else if (action === NoticeActions.openSettings)
      void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${this.extensionId}`);
    else if (action === NoticeActions.selectModel) void vscode.commands.executeCommand(CommandIds.selectModel);
  }
}
