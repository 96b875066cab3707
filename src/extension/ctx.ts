// The one context object built by activate(): everything registered goes through it and into
// context.subscriptions, so deactivation disposes it all.

import * as vscode from 'vscode';
import type { CommandId } from './command-ids';
import { Folders } from './folders';
import { Log } from './log';
import { Notices } from './notices';
import { RunProgress, wasCancelled } from './run-progress';
import { Secrets } from './secrets';
import { VerdictStore } from './editor/verdict-store';
import { MarkdownReports } from './markdown-reports';
import { VersionTexts } from './version-texts';
import { WebviewHost } from './views/webview-host';

export class Ctx {
  readonly log: Log;
  /** Errors and confirmations shown to the user. */
  readonly notices: Notices;
  readonly secrets: Secrets;
  /** Each workspace folder with its own settings, index and model session. */
  readonly folders: Folders;
  readonly runs: RunProgress;
  readonly verdicts: VerdictStore;
  /** The editor group Markdown reports are shown in. */
  readonly reports = new MarkdownReports();
  /** Every webview panel and view, with its ready handshake and the test API. */
  readonly webviews: WebviewHost;
  /** Read-only documents for texts in no file (a prompt's shipped default), for diffs. */
  readonly versionTexts: VersionTexts;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.register(new Log());
    this.notices = new Notices(this.log, extension.extension.id);
    this.secrets = new Secrets(extension.secrets);
    this.folders = this.register(new Folders(this.log, this.secrets));
    this.runs = this.register(new RunProgress());
    this.verdicts = this.register(new VerdictStore());
    this.webviews = this.register(new WebviewHost(extension.extensionUri, this.log));
    this.versionTexts = this.register(new VersionTexts());
  }

  register<T extends vscode.Disposable>(d: T): T {
    this.extension.subscriptions.push(d);
    return d;
  }

  command(id: CommandId, run: (...args: unknown[]) => unknown): void {
    this.register(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (err) {
          if (wasCancelled(err)) {
            this.log.info(id, 'cancelled');
            void vscode.window.showInformationMessage(
              'SynthesizeMe: cancelled. Finished calls are cached; run it again to resume.',
            );
            return undefined;
          }
          // Expected failures show a message and go to the log; nothing is swallowed.
          this.notices.error(id, err);
          return undefined;
        }
      }),
    );
  }
}
