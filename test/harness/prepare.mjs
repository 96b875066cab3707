// Builds the extension and the integration suite, and prepares the workspace the suite runs in: a
// multi-root workspace (a .code-workspace file) whose first folder is a temporary copy of
// examples/workspace plus a preference file with a broken line 2, and whose second folder holds
// another user (zed), so every suite runs with two folders and the multi-root suite can give the
// second folder settings of its own.
// Shared by run-integration.mjs (this machine's harness) and .vscode-test.mjs (`npx vscode-test`).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export async function buildAll() {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit', cwd: root }).status !== 0)
    throw new Error('the extension build failed');
  rmSync(join(root, 'out/integration'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: {
      index: join(root, 'test/integration/index.ts'),
      'all.test': join(root, 'test/integration/all.test.ts'),
    },
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

/** The .code-workspace file; everything lies in its folder (remove that folder afterwards). */
export function prepareWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'synthesizeme-it-'));
  const ws = join(dir, 'data');
  cpSync(join(root, 'examples/workspace'), ws, { recursive: true });
  writeFileSync(
    join(ws, 'broken.prefs.jsonl'),
    '{"user_id":"eve","pair_id":"e1","context":[{"role":"user","content":"hi"}],"chosen":"Hello!","rejected":"No."}\n{"user_id":"eve","pair_id":"e2", oops}\n',
  );
  const second = join(dir, 'second');
  mkdirSync(second);
  const pairs = Array.from({ length: 6 }, (_, i) => ({
    user_id: 'zed',
    pair_id: `z${i + 1}`,
    context: [{ role: 'user', content: `Question ${i + 1}: how do I sort a list in Python?` }],
    chosen: `Use sorted(xs) (${i + 1}).`,
    rejected: `Sorting is a deep topic with a long history (${i + 1}).`,
  }));
  writeFileSync(join(second, 'zed.prefs.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const file = join(dir, 'it.code-workspace');
  writeFileSync(
    file,
    JSON.stringify({ folders: [{ path: 'data' }, { path: 'second' }], settings: {} }, null, 2) + '\n',
  );
  return file;
}
