// Two targets from one file: the extension + CLI (+ bench) for Node (cjs, `vscode` external),
// and the webview for the browser (esm). `--watch` rebuilds on change; `--production` minifies.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const nodeEntries = {
  extension: 'src/extension/main.ts',
  cli: 'src/cli/bin.ts',
  bench: 'test/bench/main.ts',
  // `npm run main`: the example workspace fitted and evaluated against a real model.
  'main-job': 'tools/main-job.ts',
};
const node = {
  ...common,
  entryPoints: Object.fromEntries(Object.entries(nodeEntries).filter(([, f]) => existsSync(f))),
  outdir: 'dist',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  // The CLI is run directly as `synthesizeme`.
  banner: { js: '#!/usr/bin/env node' },
};

const webviewEntries = {
  'persona-inspector': 'webview/persona-inspector/main.ts',
  verdicts: 'webview/verdicts/main.ts',
  'pair-view': 'webview/pair-view/main.ts',
  'compare-grid': 'webview/compare-grid/main.ts',
  history: 'webview/history/main.ts',
  collect: 'webview/collect/main.ts',
  transcript: 'webview/transcript/main.ts',
  // The static report's page: inlined into the HTML by src/core/report (one classic script, no imports).
  report: 'webview/report/main.ts',
};
const webview = {
  ...common,
  entryPoints: Object.fromEntries(Object.entries(webviewEntries).filter(([, f]) => existsSync(f))),
  outdir: 'dist/webview',
  platform: 'browser',
  target: 'es2022',
  format: 'esm',
};

// The codicon font and its stylesheet: @vscode-elements/elements draws its icons with it, and looks for the
// stylesheet by the id `vscode-codicon-stylesheet` (webview-html.ts links it). Without it every icon is blank.
function copyCodicons() {
  mkdirSync('dist/webview', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf'])
    copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/${f}`);
}
copyCodicons();

const targets = [node, webview].filter((t) => Object.keys(t.entryPoints).length > 0);
if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log('[esbuild] watching');
} else {
  const t0 = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  console.log(`[esbuild] built ${targets.length} target(s) in ${Date.now() - t0} ms`);
}
