#!/usr/bin/env node
// `npm run lint`: the formatter, the linter (with the architecture's rules, eslint.config.mjs) and the shape
// figures of issue 21 (tools/shape.mjs: long functions, long lines, doors, module-level state). Each check
// prints its own findings; the last line is `lint: N passed, N failed`, and the exit status is 1 if any failed.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
export const FORMATTED = ['src/**/*.ts', 'webview/**/*.ts', 'test/**/*.{ts,mjs,cjs}', 'tools/**/*.{ts,mjs}', '*.mjs'];
const bin = (pkg, file) => resolve(root, 'node_modules', pkg, file);

const checks = [
  ['format (prettier --check)', [bin('prettier', 'bin/prettier.cjs'), '--check', '--log-level', 'warn', ...FORMATTED]],
  [
    'lint (eslint)',
    [bin('eslint', 'bin/eslint.js'), '--max-warnings', '0', 'src', 'webview', 'test', 'tools', '*.mjs'],
  ],
  ['shape (tools/shape.mjs --check)', [resolve(root, 'tools/shape.mjs'), '--check']],
];

let passed = 0;
for (const [name, args] of checks) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const ok = r.status === 0;
  if (ok) passed++;
  console.log(`${ok ? 'ok' : 'FAIL'} ${name}`);
}
console.log(`lint: ${passed} passed, ${checks.length - passed} failed`);
process.exit(passed === checks.length ? 0 : 1);
