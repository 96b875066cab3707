// How a Markdown report is shown: rendered (`markdown.showPreview`) in one editor group, so that a run of
// reports replaces its preview there instead of opening a new group each time. Owned by Ctx (ctx.reports):
// the group is the state of one extension session, not of a module.

import * as vscode from 'vscode';

const isMarkdownPreview = (t: vscode.Tab) =>
  t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType);

export class MarkdownReports {
  /** The group the last report went to; reports go there while it is still open. */
  private column: vscode.ViewColumn | undefined;

  /**
   * Shows a report rendered, in the report group (else beside the active editor). The preview command opens in
   * the active editor's group, so the file is opened there first and its text tab closed once the preview
   * stands in for it. Without the Markdown extension, the text stays.
   */
  async show(uri: vscode.Uri): Promise<void> {
    // The report group of this session, else a group already showing a rendered report: never one more group.
    const withPreview = vscode.window.tabGroups.all.find((g) => g.tabs.some(isMarkdownPreview))?.viewColumn;
    if (!vscode.window.tabGroups.all.some((g) => g.viewColumn === this.column)) this.column = withPreview;
    const open = this.column !== undefined;
    const column = open ? this.column! : vscode.ViewColumn.Beside;
    const sameFile = (t: vscode.Tab) =>
      t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString();
    const textWasOpen =
      open && vscode.window.tabGroups.all.some((g) => g.viewColumn === column && g.tabs.some(sameFile));
    const editor = await vscode.window.showTextDocument(uri, { viewColumn: column, preview: true });
    this.column = editor.viewColumn;
    if (!(await vscode.commands.getCommands(true)).includes('markdown.showPreview')) return;
    await vscode.commands.executeCommand('markdown.showPreview', uri);
    // The text tab this opened goes (one the user had open stays).
    if (textWasOpen) return;
    const group = vscode.window.tabGroups.all.find((g) => g.viewColumn === this.column);
    const text = group?.tabs.find(sameFile);
    if (text && group?.tabs.some(isMarkdownPreview)) await vscode.window.tabGroups.close(text, true);
  }
}
