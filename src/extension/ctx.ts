// The one context object built by activate(): everything registered goes through it and into
// context.subscriptions, so deactivation disposes it all.

import * as vscode from 'vscode';
import type { CommandId } from './command-ids';
import { Log } from './log';

export class Ctx {
  readonly log: Log;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.register(new Log());
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
          // Expected failures show a message and go to the log; nothing is swallowed.
          this.log.error(id, err as Error);
          void vscode.window.showErrorMessage(`SynthesizeMe: ${(err as Error).message}`, 'Show Log').then((pick) => {
            if (pick) this.log.channel.show();
          });
          return undefined;
        }
      }),
    );
  }
}
