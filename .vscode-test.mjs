// `npx vscode-test` (@vscode/test-cli): the integration suites in the extension host.
// On a desktop it downloads VS Code as usual. On machines without that download (CI here), set
// VSCODE_TEST_HARNESS=1 to run them in code-server's VS Code through test/harness/run-ext-tests.mjs
// (after `bash test/harness/setup.sh`).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { defineConfig } from '@vscode/test-cli';
import { buildAll, prepareWorkspace } from './test/harness/prepare.mjs';

await buildAll();
const workspaceFolder = prepareWorkspace();
process.on('exit', () => rmSync(dirname(workspaceFolder), { recursive: true, force: true }));

export default defineConfig({
  files: 'out/integration/all.test.js',
  workspaceFolder,
  mocha: { ui: 'bdd', timeout: 60_000, color: false },
  ...(process.env.VSCODE_TEST_HARNESS
    ? { useInstallation: { fromPath: 'test/harness/run-ext-tests.mjs' } }
    : { version: 'stable' }),
});
