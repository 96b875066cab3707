#!/usr/bin/env node
// `npm run package`: the installable extension. Builds the production bundles (minified, no source maps), packs
// them with the pinned @vscode/vsce into `synthesizeme-studio-<version>.vsix` at the project root, and prints its
// size and its files. The e2e layer calls `packageVsix()` below and installs exactly the file it returns, so CI
// (`npm test` runs the e2e layer) exercises this code path on every run.
//
// What goes in is decided by .vscodeignore (a list of what to keep). The Marketplace's and Open VSX's page is
// docs/marketplace.md (a user's page, not the developers' README); its relative links are rewritten to the
// repository's files (package.json `repository`), so its screenshots are not packed.
//   node tools/package.mjs
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** The page shown on the Marketplace and in VS Code's extension view. */
export const MARKETPLACE_README = 'docs/marketplace.md';

/**
 * The repository's web address from package.json (`https://github.com/OWNER/NAME`): the marketplace page's
 * relative links point at its files there.
 */
export function repositoryWebUrl(manifest) {
  const url = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  if (typeof url !== 'string' || !/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+/.test(url))
    throw new Error('package.json needs repository.url, https://github.com/OWNER/NAME(.git)');
  return url.replace(/\.git$/, '').replace(/\/$/, '');
}

/** A zip's entries from its central directory: name and uncompressed size (no dependency needed for a listing). */
export function zipEntries(file) {
  const buf = readFileSync(file);
  // The end-of-central-directory record: at the end, after a comment of at most 64 KB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: damaged central directory`);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const skip = nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    out.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), size });
    at += 46 + skip;
  }
  return out;
}

function run(args, what) {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Builds and packs the extension; returns the .vsix's path, its size in bytes, and its entries. `log` receives
 * the lines `npm run package` prints.
 */
export function packageVsix({ log = () => {} } = {}) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(root, `${manifest.name}-${manifest.version}.vsix`);
  run(['esbuild.mjs', '--production'], 'the production build');
  const repo = repositoryWebUrl(manifest);
  // The page lives in docs/: its links are relative to that folder, on GitHub as in the package.
  const dir = MARKETPLACE_README.split('/').slice(0, -1).join('/');
  run(
    [
      'node_modules/@vscode/vsce/vsce',
      'package',
      // esbuild has bundled the runtime dependencies into dist/.
      '--no-dependencies',
      '--readme-path',
      MARKETPLACE_README,
      '--baseContentUrl',
      `${repo}/blob/HEAD/${dir}/`,
      '--baseImagesUrl',
      `${repo}/raw/HEAD/${dir}/`,
      '--out',
      vsix,
    ],
    'vsce package',
  );
  const entries = zipEntries(vsix);
  const bytes = statSync(vsix).size;
  const files = entries.filter((e) => e.name.startsWith('extension/'));
  log(`packaged ${relative(root, vsix)}: ${(bytes / 1024).toFixed(0)} KB, ${files.length} files`);
  for (const e of files) log(`  ${e.name.slice('extension/'.length).padEnd(40)} ${(e.size / 1024).toFixed(1)} KB`);
  return { vsix, bytes, files: files.map((e) => e.name.slice('extension/'.length)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    packageVsix({ log: (line) => console.log(line) });
  } catch (err) {
    console.error(String(err.message ?? err));
    process.exit(1);
  }
}
