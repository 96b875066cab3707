#!/usr/bin/env node
// Integration tests in a real VS Code (1.139.1, the server inside code-server, its real Node
// extension host), headless: builds the extension and the suite, copies the example workspace
// (plus a broken file) into a temporary folder, and runs test/integration in the extension host.
// Prints the suite's `integration: N passed, N failed`; exit code = the suite's.
//   bash test/harness/setup.sh && node test/harness/run-integration.mjs
// (`npx vscode-test` runs the same suites through @vscode/test-cli: see .vscode-test.mjs.)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildAll, prepareWorkspace, root } from './prepare.mjs';

process.chdir(root);
const t0 = Date.now();
const lap = (m) => console.log(`[integration ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
await buildAll();
lap('built the extension and the suite');
const ws = prepareWorkspace();
let status = 1;
try {
  const r = spawnSync(
    process.execPath,
    ['test/harness/run-ext-tests.mjs', root, join(root, 'out/integration/index'), ws],
    // The test-only extension that contributes the vendor the vscode.lm suite registers its fake chat provider under.
    { stdio: 'inherit', env: { ...process.env, EXT_DEV_EXTRA: join(root, 'test/support/fake-lm-vendor') } },
  );
  status = r.status ?? 1;
} finally {
  if (!process.env.KEEP_TMP) rmSync(dirname(ws), { recursive: true, force: true });
}
lap(`done (exit ${status})`);
process.exit(status);
