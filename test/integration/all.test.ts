// The same suites for @vscode/test-cli's runner (`npx vscode-test`, see .vscode-test.mjs), which
// installs mocha's globals before it loads this file.
import { registerSuites } from './suites';

registerSuites();
