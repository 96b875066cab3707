// The Getting Started walkthrough opens by itself once, on the first start of the extension: a new researcher
// finds the steps without knowing the command. Remembered in globalState, so it never opens again on its own.
import * as vscode from 'vscode';

export const WALKTHROUGH_ID = 'synthesizeme.gettingStarted';
/** globalState key: set once the walkthrough was opened on a first start. */
export const WALKTHROUGH_SHOWN = 'synthesizeme.walkthroughShown';

export async function openWalkthroughOnce(context: vscode.ExtensionContext): Promise<boolean> {
  // Tests start on a fresh profile every run: a walkthrough tab there would take the focus their views need.
  if (context.extensionMode === vscode.ExtensionMode.Test) return false;
  if (context.globalState.get<boolean>(WALKTHROUGH_SHOWN)) return false;
  await context.globalState.update(WALKTHROUGH_SHOWN, true);
  await vscode.commands.executeCommand(
    'workbench.action.openWalkthrough',
    `${context.extension.id}#${WALKTHROUGH_ID}`,
    false,
  );
  return true;
}
