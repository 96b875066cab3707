#!/usr/bin/env node
// Integration tests in a real VS Code (1.139.1, the server inside code-server, its real Node
// extension host), headless: builds the extension and the suite, copies the example workspace
// (plus a broken file) into a temporary folder, and runs test/integration in the extension host.
// Prints the suite's `integration: N passed, N failed`; exit code = the suite's.
//   bash test/harness/setup.sh && node test/harness/run-integration.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
process.chdir(root);
const t0 = Date.now();
const lap = (m) => console.log(`[integration ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

if (spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
rmSync('out/integration', { recursive: true, force: true });
await esbuild.build({
  entryPoints: { index: 'test/integration/index.ts' },
  outdir: 'out/integration',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
lap('built the extension and the suite');

const ws = mkdtempSync(join(tmpdir(), 'synthesizeme-it-'));
cpSync('examples/workspace', ws, { recursive: true });
// Line 2 is not JSON: the diagnostics test expects an error there.
writeFileSync(
  join(ws, 'broken.prefs.jsonl'),
  '{"user_id":"eve","pair_id":"e1","context":[{"role":"user","content":"hi"}],"chosen":"Hello!","rejected":"No."}\n{"user_id":"eve","pair_id":"e2", oops}\n',
);
let status = 1;
try {
  const r = spawnSync(process.execPath, ['test/harness/run-ext-tests.mjs', root, join(root, 'out/integration/index'), ws], { stdio: 'inherit', env: process.env });
  status = r.status ?? 1;
} finally {
  if (!process.env.KEEP_TMP) rmSync(ws, { recursive: true, force: true });
}
lap(`done (exit ${status})`);
process.exit(status);
