// "Re-validate" and "Compare with previous" above a persona file: edit the persona by hand, then
// measure the edit on the validation split.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';

export function registerPersonaCodeLens(ctx: Ctx): void {
  const provider: vscode.CodeLensProvider = {
    provideCodeLenses(doc) {
      const top = new vscode.Range(0, 0, 0, 0);
      return [
        new vscode.CodeLens(top, { title: '$(beaker) Re-validate', command: CommandIds.revalidatePersona, arguments: [doc.uri], tooltip: 'Judge the validation split with this persona and compare with the previous version' }),
        new vscode.CodeLens(top, { title: '$(diff) Compare with previous', command: CommandIds.comparePersonaVersions, arguments: [doc.uri] }),
      ];
    },
  };
  ctx.register(vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.persona.yaml' }, provider));
}
