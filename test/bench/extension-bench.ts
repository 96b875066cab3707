// Issue 5's figures that need no VS Code: the bundles' sizes, and the cost of loading the
// extension's module (the engine inside it is evaluated lazily, on first use). The time of
// activate() itself is printed by the integration suite in a real VS Code, and the Verdicts
// view's first paint of 10,000 rows by the UI end-to-end test.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUNDLES = ['dist/extension.js', 'dist/webview/persona-inspector.js', 'dist/webview/verdicts.js'];

// A child process loads dist/extension.js with a stub `vscode` module and prints how long it took.
const LOAD = `
const Module = require('module');
const real = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : real.call(this, request, ...rest); };
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: new Proxy({ TreeItem: class {}, EventEmitter: class {} }, { get: (t, k) => t[k] ?? function () {} }) };
const t0 = process.hrtime.bigint();
require(process.argv[1]);
console.log(Number(process.hrtime.bigint() - t0) / 1e6);
`;

export async function benchExtension(opts: { smoke?: boolean } = {}): Promise<void> {
  for (const f of BUNDLES) {
    if (!existsSync(f)) {
      console.log(`${f}: not built`);
      continue;
    }
    const bytes = readFileSync(f);
    console.log(
      `${f}: ${(statSync(f).size / 1024).toFixed(0)} KB, ${(gzipSync(bytes).length / 1024).toFixed(0)} KB gzipped (development build; the packaged one is minified)`,
    );
  }
  if (!existsSync('dist/extension.js')) return;
  const count = opts.smoke ? 1 : 7;
  const runs: number[] = [];
  for (let i = 0; i < count; i++)
    runs.push(
      Number(execFileSync(process.execPath, ['-e', LOAD, resolve('dist/extension.js')], { encoding: 'utf8' }).trim()),
    );
  runs.sort((a, b) => a - b);
  const median = runs[count >> 1]!;
  console.log(
    `loading dist/extension.js (engine not evaluated): median ${median.toFixed(1)} ms of ${count} runs (goal for activation: under 50 ms)`,
  );
}
