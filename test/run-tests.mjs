// `npm test`: every layer prints `N passed, N failed`; the exit status is non-zero if any layer failed.
//   1. typecheck: tsc --noEmit on the extension/engine/tests and on the webview
//   2. unit: test/unit/**/*.test.ts bundled by esbuild, run by node:test
//   3. integration: mocha in the real extension host of VS Code (code-server's server, headless chromium)
//   4. e2e: the packaged .vsix in code-server, driven by Playwright with Debian chromium
// Layers 3 and 4 need the tools of `npm run test:setup` (outside the clone); without them they are
// reported as skipped, unless SYNTHESIZEME_REQUIRE_VSCODE_TESTS=1 (CI) makes that a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unitOnly = process.argv.includes('--unit-only');
let failedLayers = 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

if (!unitOnly) {
  const projects = ['tsconfig.json', 'webview/tsconfig.json'];
  let ok = 0;
  for (const p of projects) {
    if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', p, '--noEmit']) === 0) ok++;
  }
  console.log(`typecheck: ${ok} passed, ${projects.length - ok} failed`);
  if (ok !== projects.length) failedLayers++;
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

// The CLI tests run the built binary.
if (run(process.execPath, ['esbuild.mjs']) !== 0) failedLayers++;

let tests = findTests('test/unit');
if (only.length) tests = tests.filter((t) => only.some((o) => t.includes(o)));
// A folder per run: two runs in one tree (a watcher, a second terminal) must not delete each other's bundles.
const outRoot = join('out', `unit-${process.pid}`);
rmSync(outRoot, { recursive: true, force: true });
await esbuild.build({
  entryPoints: tests,
  outdir: join(outRoot, 'test'),
  outbase: 'test',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
});
const built = tests.map((t) => join(outRoot, relative('.', t)).replace(/\.ts$/, '.js'));
const status = run(process.execPath, [
  '--enable-source-maps',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=./test/reporter.mjs',
  '--test-reporter-destination=stdout',
  ...built,
]);
rmSync(outRoot, { recursive: true, force: true });
if (status !== 0) failedLayers++;

if (!unitOnly && only.length === 0) {
  const tools = process.env.TOOLS || join(homedir(), '.cache', 'vscode-test-tools');
  const ready = existsSync(join(tools, 'playwright/node_modules/playwright-core')) && existsSync(join(tools, 'code-server/.installed'));
  if (!ready) {
    const why = `no VS Code test tools in ${tools}: run \`npm run test:setup\` first`;
    if (process.env.SYNTHESIZEME_REQUIRE_VSCODE_TESTS === '1') {
      console.log(`integration: 0 passed, 1 failed (${why})`);
      failedLayers++;
    } else {
      console.log(`integration: 0 passed, 0 failed, 1 skipped (${why})`);
      console.log(`e2e: 0 passed, 0 failed, 1 skipped (${why})`);
    }
  } else {
    // One after the other: each starts a VS Code server and a browser on a 2-core machine.
    if (run(process.execPath, ['test/harness/run-integration.mjs']) !== 0) failedLayers++;
    if (run(process.execPath, ['test/e2e/run-e2e.mjs']) !== 0) failedLayers++;
  }
}
process.exit(failedLayers ? 1 : 0);
