// "Re-validate" and "Compare with previous" above a persona file, and "Re-validate" above a prompt file: edit by hand, then
// measure the edit on the validation split.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';

export function registerPersonaCodeLens(ctx: Ctx): void {
  const provider: vscode.CodeLensProvider = {
    provideCodeLenses(doc) {
      const top = new vscode.Range(0, 0, 0, 0);
      return [
        new vscode.CodeLens(top, {
          title: '$(beaker) Re-validate',
          command: CommandIds.revalidatePersona,
          arguments: [doc.uri],
          tooltip: 'Judge the validation split with this persona and compare with the previous version',
        }),
        new vscode.CodeLens(top, {
          title: '$(diff) Compare with previous',
          command: CommandIds.comparePersonaVersions,
          arguments: [doc.uri],
        }),
      ];
    },
  };
  ctx.register(vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.persona.yaml' }, provider));
  // Every prompt file: re-validate an edit against its previous version (the shipped default at first).
  const prompts: vscode.CodeLensProvider = {
    provideCodeLenses(doc) {
      if (!/(judge|memory|persona-synthesis)\.prompt\.md$/.test(doc.uri.fsPath)) return [];
      return [
        new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
          title: '$(beaker) Re-validate',
          command: CommandIds.revalidatePrompt,
          arguments: [{ uri: doc.uri.toString() }],
          tooltip:
            'Judge the validation split with this prompt and with its previous version, and compare pair by pair',
        }),
      ];
    },
  };
  ctx.register(vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.prompt.md' }, prompts));
}
