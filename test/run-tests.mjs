// `npm test`: every layer prints `N passed, N failed`; the exit status is non-zero if any layer failed.
//   1. typecheck: tsc --noEmit on the extension/engine/tests and on the webview
//   2. unit: test/unit/**/*.test.ts bundled by esbuild, run by node:test
//   (3. integration and 4. e2e join here with the VS Code issue)
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
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
rmSync('out/test', { recursive: true, force: true });
await esbuild.build({
  entryPoints: tests,
  outdir: 'out/test',
  outbase: 'test',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
});
const built = tests.map((t) => join('out', relative('.', t)).replace(/\.ts$/, '.js'));
const status = run(process.execPath, [
  '--enable-source-maps',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=./test/reporter.mjs',
  '--test-reporter-destination=stdout',
  ...built,
]);
if (status !== 0) failedLayers++;
process.exit(failedLayers ? 1 : 0);
