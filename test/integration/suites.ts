import { extensionSuite } from './extension.suite';
import { editorSuite } from './editor.suite';
import { modelSuite } from './model.suite';
import { viewsSuite } from './views.suite';
import { benchSuite } from './bench.suite';
import { realModelSuite } from './real-model.suite';
import { multiRootSuite } from './multiroot.suite';
import { polishSuite } from './polish.suite';
import { readingSuite } from './reading.suite';
import { collectSuite } from './collect.suite';
import { facesSuite } from './faces.suite';
import { runEditorSuite } from './run-editor.suite';
import { exportReportSuite } from './export-report.suite';
import { testingSuite } from './testing.suite';
import { lmToolsSuite } from './lm-tools.suite';
import { lmProviderSuite } from './lm-provider.suite';

export function registerSuites(): void {
  // The real-model layer runs its one suite here, against llama-server; the ordinary layer runs the rest.
  if (process.env['SYNTHESIZEME_INTEGRATION_SUITES'] === 'real-model') {
    realModelSuite();
    return;
  }
  extensionSuite();
  editorSuite();
  modelSuite();
  viewsSuite();
  readingSuite();
  collectSuite();
  benchSuite();
  multiRootSuite();
  polishSuite();
  runEditorSuite();
  exportReportSuite();
  testingSuite();
  lmToolsSuite();
  lmProviderSuite();
  // Last: it fits every user of the folder again and appends collected pairs, which no later suite expects.
  facesSuite();
}
