// `npm test`: every layer prints `N passed, N failed` and its time; the exit status is non-zero if any layer failed.
//   1. typecheck: tsc --noEmit on the extension/engine/tests and on the webview; then `npm run lint`
//      (formatter, linter with the architecture's rules, the shape figures of tools/shape.mjs)
//   2. unit: test/unit/**/*.test.ts bundled by esbuild, run by node:test
//   3. integration: mocha in the real extension host of VS Code (code-server's server, headless chromium)
//   4. e2e: the packaged .vsix in code-server, driven by Playwright with Debian chromium
//   5. real-model: test/real-model against llama.cpp's own server running Gemma 3 270M (the embedded model),
//      plus "Judge this pair" in the real VS Code against it
// Layers 3-5 need the tools of `npm run test:setup` (outside the clone); without them they are reported as
// skipped, unless SYNTHESIZEME_REQUIRE_VSCODE_TESTS=1 / SYNTHESIZEME_REQUIRE_REAL_MODEL=1 (CI) make that a failure.
//   node test/run-tests.mjs [--unit-only | --real-model-only] [FILTER...]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unitOnly = process.argv.includes('--unit-only');
const realOnly = process.argv.includes('--real-model-only');
let failedLayers = 0;
const times = [];
const t0 = Date.now();
/** Times a layer and prints it: CI's whole run is about half an hour on 2 cores (the multi-slot real-model test takes 9 minutes of it), and this says where it goes. */
async function timed(name, fn) {
  const s = Date.now();
  await fn();
  const sec = (Date.now() - s) / 1000;
  times.push(`${name} ${sec.toFixed(0)} s`);
  console.log(`[time] ${name}: ${sec.toFixed(1)} s`);
}
const tools = process.env.TOOLS || join(homedir(), '.cache', 'vscode-test-tools');
const vscodeReady = () =>
  existsSync(join(tools, 'playwright/node_modules/playwright-core')) &&
  existsSync(join(tools, 'code-server/.installed'));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

if (!unitOnly && !realOnly)
  await timed('typecheck', async () => {
    const projects = ['tsconfig.json', 'webview/tsconfig.json'];
    let ok = 0;
    for (const p of projects) {
      if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', p, '--noEmit']) === 0) ok++;
    }
    console.log(`typecheck: ${ok} passed, ${projects.length - ok} failed`);
    if (ok !== projects.length) failedLayers++;
  });

if (!unitOnly && !realOnly)
  await timed('lint', async () => {
    if (run(process.execPath, ['tools/lint.mjs']) !== 0) failedLayers++;
  });

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

/** Bundles test files with esbuild (a folder per run: two runs in one tree must not delete each other's files). */
async function bundle(tests, tag) {
  const outRoot = join('out', `${tag}-${process.pid}`);
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
  return { outRoot, built: tests.map((t) => join(outRoot, relative('.', t)).replace(/\.ts$/, '.js')) };
}

function nodeTest(built, concurrency, env = process.env) {
  return run(
    process.execPath,
    [
      '--enable-source-maps',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=./test/reporter.mjs',
      '--test-reporter-destination=stdout',
      ...built,
    ],
    { env },
  );
}

if (!realOnly)
  await timed('unit', async () => {
    let tests = findTests('test/unit');
    if (only.length) tests = tests.filter((t) => only.some((o) => t.includes(o)));
    const { outRoot, built } = await bundle(tests, 'unit');
    const status = nodeTest(built, 2);
    rmSync(outRoot, { recursive: true, force: true });
    if (status !== 0) failedLayers++;
  });

if (!unitOnly && !realOnly && only.length === 0) {
  if (!vscodeReady()) {
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
    await timed('integration', async () => {
      if (run(process.execPath, ['test/harness/run-integration.mjs']) !== 0) failedLayers++;
    });
    await timed('e2e', async () => {
      if (run(process.execPath, ['test/e2e/run-e2e.mjs']) !== 0) failedLayers++;
    });
  }
}

if (!unitOnly && (realOnly || only.length === 0)) await timed('real-model', realModelLayer);

async function realModelLayer() {
  const modelDir = process.env.SYNTHESIZEME_EMBEDDED_DIR || join(tools, 'embedded-model');
  const ready =
    existsSync(join(modelDir, 'venv/bin/python')) && existsSync(join(modelDir, 'models/gemma-3-270m-q4_k_m.gguf'));
  const required = process.env.SYNTHESIZEME_REQUIRE_REAL_MODEL === '1';
  if (!ready) {
    const why = `no embedded model in ${modelDir}: run \`npm run test:setup\` first`;
    console.log(
      required ? `real-model: 0 passed, 1 failed (${why})` : `real-model: 0 passed, 0 failed, 1 skipped (${why})`,
    );
    if (required) failedLayers++;
    return;
  }
  const env = { ...process.env, SYNTHESIZEME_EMBEDDED_DIR: modelDir };
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (file, what) => {
    try {
      const c = JSON.parse(readFileSync(file, 'utf8'));
      counts.passed += c.passed;
      counts.failed += c.failed;
      counts.skipped += c.skipped ?? 0;
    } catch {
      console.log(`  ${what} reported no counts: counted as 1 failed`);
      counts.failed++;
    }
    rmSync(file, { force: true });
  };
  // The engine part: the built CLI and the engine against the real server (one file at a time: one server).
  const engineCounts = join('out', `real-model-${process.pid}.json`);
  // A filter (`--real-model-only semantic`) picks the engine part's files and leaves out the VS Code part.
  let files = findTests('test/real-model');
  if (only.length) files = files.filter((t) => only.some((o) => t.includes(o)));
  const { outRoot, built } = await bundle(files, 'real-model');
  nodeTest(built, 1, { ...env, TEST_COUNTS_FILE: engineCounts });
  rmSync(outRoot, { recursive: true, force: true });
  add(engineCounts, 'the engine part');
  // The VS Code part: "Judge this pair" in the real extension host against the real server.
  if (only.length) console.log('  the VS Code part: not run (a filter was given)');
  else if (vscodeReady()) {
    const vsCounts = join(root, 'out', `real-model-vscode-${process.pid}.json`);
    run(process.execPath, ['test/harness/run-integration.mjs'], {
      env: {
        ...env,
        SYNTHESIZEME_INTEGRATION_SUITES: 'real-model',
        EXT_TEST_COUNTS_FILE: vsCounts,
        REAL_MODEL_LOG_DIR: join(root, 'test-results', 'real-model'),
      },
    });
    add(vsCounts, 'the VS Code part');
  } else if (required || process.env.SYNTHESIZEME_REQUIRE_VSCODE_TESTS === '1') {
    console.log(`  the VS Code part needs the VS Code test tools in ${tools}`);
    counts.failed++;
  } else counts.skipped++;
  console.log(
    `real-model: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`,
  );
  if (counts.failed) failedLayers++;
}

console.log(`[time] all layers: ${((Date.now() - t0) / 1000).toFixed(0)} s (${times.join(', ')})`);
process.exit(failedLayers ? 1 : 0);
