// API keys live in VS Code's SecretStorage, one per provider: never in settings, logs, caches,
// run files or a webview.

import * as vscode from 'vscode';
import type { ProviderName } from './config';

const keyName = (provider: ProviderName) => `synthesizeme.apiKey.${provider}`;

export class Secrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  get(provider: ProviderName): Thenable<string | undefined> {
    return this.storage.get(keyName(provider));
  }

  set(provider: ProviderName, key: string): Thenable<void> {
    return this.storage.store(keyName(provider), key);
  }

  delete(provider: ProviderName): Thenable<void> {
    return this.storage.delete(keyName(provider));
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.storage.onDidChange((e) => {
      if (e.key.startsWith('synthesizeme.apiKey.')) listener();
    });
  }
}
