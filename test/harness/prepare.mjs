// Builds the extension and the integration suite, and prepares the workspace the suite runs in:
// a temporary copy of examples/workspace plus a preference file with a broken line 2.
// Shared by run-integration.mjs (this machine's harness) and .vscode-test.mjs (`npx vscode-test`).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export async function buildAll() {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit', cwd: root }).status !== 0) throw new Error('the extension build failed');
  rmSync(join(root, 'out/integration'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { index: join(root, 'test/integration/index.ts'), 'all.test': join(root, 'test/integration/all.test.ts') },
    outdir: join(root, 'out/integration'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

export function prepareWorkspace() {
  const ws = mkdtempSync(join(tmpdir(), 'synthesizeme-it-'));
  cpSync(join(root, 'examples/workspace'), ws, { recursive: true });
  writeFileSync(
    join(ws, 'broken.prefs.jsonl'),
    '{"user_id":"eve","pair_id":"e1","context":[{"role":"user","content":"hi"}],"chosen":"Hello!","rejected":"No."}\n{"user_id":"eve","pair_id":"e2", oops}\n',
  );
  return ws;
}
