import { extensionSuite } from './extension.suite';
import { editorSuite } from './editor.suite';
import { modelSuite } from './model.suite';

export function registerSuites(): void {
  extensionSuite();
  editorSuite();
  modelSuite();
}
