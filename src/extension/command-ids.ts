// The one table of command ids. package.json's `contributes.commands` must list exactly these
// (a unit test checks both directions), so a renamed command cannot silently break a menu.

export const CommandIds = {
  inspectWorkspace: 'synthesizeme.inspectWorkspace',
  showLog: 'synthesizeme.showLog',
  fitUser: 'synthesizeme.fitUser',
  fitAll: 'synthesizeme.fitAll',
  evaluate: 'synthesizeme.evaluate',
  judgePair: 'synthesizeme.judgePair',
  judgeWithPersona: 'synthesizeme.judgeWithPersona',
  revalidatePersona: 'synthesizeme.revalidatePersona',
  revalidatePrompt: 'synthesizeme.revalidatePrompt',
  optimizeTheta: 'synthesizeme.optimizeTheta',
  comparePersonaVersions: 'synthesizeme.comparePersonaVersions',
  openPersona: 'synthesizeme.openPersona',
  inspectPersona: 'synthesizeme.inspectPersona',
  showVerdicts: 'synthesizeme.showVerdicts',
  openPair: 'synthesizeme.openPair',
  openTranscript: 'synthesizeme.openTranscript',
  compareRuns: 'synthesizeme.compareRuns',
  exportReport: 'synthesizeme.exportReport',
  showHistory: 'synthesizeme.showHistory',
  collectPreferences: 'synthesizeme.collectPreferences',
  selectModel: 'synthesizeme.selectModel',
  setApiKey: 'synthesizeme.setApiKey',
  cancelRun: 'synthesizeme.cancelRun',
  refreshUsers: 'synthesizeme.refreshUsers',
  estimateCost: 'synthesizeme.estimateCost',
  benchPrepare: 'synthesizeme.benchPrepare',
  classifyPairs: 'synthesizeme.classifyPairs',
  benchRun: 'synthesizeme.benchRun',
  benchScaling: 'synthesizeme.benchScaling',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
