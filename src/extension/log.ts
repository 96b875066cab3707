// One LogOutputChannel for the extension, with component tags (STYLE.md 8).

import * as vscode from 'vscode';
import { logText } from '../core/user-error';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('SynthesizeMe', { log: true });
  }

  info(component: string, message: string): void {
    this.channel.info(`[${component}] ${message}`);
  }

  warn(component: string, message: string): void {
    this.channel.warn(`[${component}] ${message}`);
  }

  /** An expected failure by its message; anything else (a bug) with its stack, so it can be reported. */
  error(component: string, message: string | Error): void {
    this.channel.error(`[${component}] ${typeof message === 'string' ? message : logText(message)}`);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
