// One LogOutputChannel for the extension, with component tags (STYLE.md 8).

import * as vscode from 'vscode';

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

  error(component: string, message: string | Error): void {
    this.channel.error(`[${component}] ${message instanceof Error ? message.message : message}`);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
