import { extensionSuite } from './extension.suite';
import { editorSuite } from './editor.suite';
import { modelSuite } from './model.suite';
import { viewsSuite } from './views.suite';
import { benchSuite } from './bench.suite';

export function registerSuites(): void {
  extensionSuite();
  editorSuite();
  modelSuite();
  viewsSuite();
  benchSuite();
}
