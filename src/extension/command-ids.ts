// The one table of command ids. package.json's `contributes.commands` must list exactly these
// (a unit test checks both directions), so a renamed command cannot silently break a menu.

export const CommandIds = {
  inspectWorkspace: 'synthesizeme.inspectWorkspace',
  showLog: 'synthesizeme.showLog',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
