// The language-model tools' names, one table: registered by register-tools.ts and declared in package.json's
// `contributes.languageModelTools` (a unit test checks the two agree). No `vscode` import: the test reads it.

export const ToolNames = {
  judgePair: 'synthesizeme_judgePair',
  evaluateUser: 'synthesizeme_evaluateUser',
  revalidate: 'synthesizeme_revalidate',
  showPersona: 'synthesizeme_showPersona',
} as const;

export type ToolName = (typeof ToolNames)[keyof typeof ToolNames];
