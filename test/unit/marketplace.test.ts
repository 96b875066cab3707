// The installable extension (issue 26 item 6): the manifest's Marketplace and Open VSX fields, the icon, the
// licence, what `npm run package` (tools/package.mjs) packs and what it leaves out, and the Marketplace page's links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** tools/package.mjs, loaded at run time (a tool, not bundled into the test). */
async function packager(): Promise<{
  MARKETPLACE_README: string;
  repositoryWebUrl: (manifest: unknown) => string;
}> {
  const url = pathToFileURL(resolve('tools/package.mjs')).href;
  return (await import(url)) as never;
}

/** A PNG's width and height, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', `${file} is a PNG`);
  assert.equal(b.toString('latin1', 12, 16), 'IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// The Marketplace's categories (VS Code's list for extension manifests); Open VSX takes the same names.
const CATEGORIES = new Set([
  'AI',
  'Azure',
  'Chat',
  'Data Science',
  'Debuggers',
  'Education',
  'Extension Packs',
  'Formatters',
  'Keymaps',
  'Language Packs',
  'Linters',
  'Machine Learning',
  'Notebooks',
  'Other',
  'Programming Languages',
  'SCM Providers',
  'Snippets',
  'Testing',
  'Themes',
  'Visualization',
]);

test('the manifest has what the Marketplace and Open VSX show: icon, banner, categories, keywords, links, licence', async () => {
  assert.match(pkg.icon, /^media\/.+\.png$/, 'the icon is a PNG under media/ (vsce refuses an SVG icon)');
  const { width, height } = pngSize(pkg.icon);
  assert.ok(width >= 128 && height >= 128, `the icon is at least 128 x 128 (${width} x ${height})`);
  assert.equal(width, height, 'the icon is square');
  assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
  assert.ok(pkg.categories.length > 0);
  for (const c of pkg.categories) assert.ok(CATEGORIES.has(c), `"${c}" is a Marketplace category`);
  assert.ok(pkg.keywords.length > 0 && pkg.keywords.length <= 30, 'at most 30 keywords (the Marketplace keeps 30)');
  assert.equal(new Set(pkg.keywords).size, pkg.keywords.length, 'no keyword twice');
  const repo = (await packager()).repositoryWebUrl(pkg);
  assert.match(repo, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
  assert.ok(pkg.bugs.url.startsWith(repo), 'issues in the same repository');
  assert.ok(pkg.homepage.startsWith(repo));
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync('LICENSE', 'utf8'), /^MIT License\n/, 'a LICENSE file, MIT as package.json says');
  assert.ok(pkg.publisher && pkg.displayName && pkg.description.length <= 200);
  assert.equal(pkg.scripts.package, 'node tools/package.mjs', '`npm run package` is the packager the e2e layer calls');
});

test('the package holds the bundles, media, manifest, licence and Marketplace page, and no sources, tests, maps or CLI', async () => {
  const { MARKETPLACE_README } = await packager();
  // vsce's own listing, with the same readme as tools/package.mjs (the unit layer has just built dist/).
  const vsce = createRequire(join(process.cwd(), 'package.json'))('@vscode/vsce') as {
    listFiles(o: { cwd: string; packageManager: number; readmePath: string }): Promise<string[]>;
    PackageManager: { None: number };
  };
  const files = await vsce.listFiles({
    cwd: process.cwd(),
    packageManager: vsce.PackageManager.None,
    readmePath: MARKETPLACE_README,
  });
  for (const f of ['package.json', 'LICENSE', 'CHANGELOG.md', MARKETPLACE_README, pkg.icon, 'dist/extension.js'])
    assert.ok(files.includes(f), `packs ${f}`);
  assert.ok(files.includes('dist/webview/verdicts.js') && files.includes('dist/webview/codicon.ttf'), 'the webviews');
  // Every file the manifest names is packed.
  for (const f of [pkg.icon, pkg.main.replace(/^\.\//, '')]) assert.ok(files.includes(f), f);
  for (const f of files) {
    assert.doesNotMatch(f, /^(src|test|webview|tools|examples|node_modules|out)\//, `${f}: not a source or test file`);
    assert.doesNotMatch(f, /\.(map|ts)$/, `${f}: no source maps or TypeScript`);
    assert.ok(!f.startsWith('docs/') || f === MARKETPLACE_README, `${f}: of docs/, only the Marketplace page`);
    assert.ok(!['README.md', 'dist/cli.js', 'dist/bench.js', 'dist/main-job.js'].includes(f), `${f} is not packed`);
  }
});

test("the Marketplace page's images are PNGs that exist, its links resolve, and it says that nothing is reported", async () => {
  const { MARKETPLACE_README } = await packager();
  const text = readFileSync(MARKETPLACE_README, 'utf8');
  const links = [...text.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ image: m[1] === '!', to: m[2]! }));
  const images = links.filter((l) => l.image);
  assert.ok(images.length >= 3, 'screenshots');
  for (const l of links) {
    if (/^https:\/\//.test(l.to) || l.to.startsWith('#')) continue;
    // vsce rewrites a relative link to the repository's file (tools/package.mjs: relative to docs/, as on GitHub).
    const target = join(dirname(MARKETPLACE_README), l.to);
    assert.ok(existsSync(target), `${l.to} resolves to ${target}`);
    if (l.image) assert.match(l.to, /\.png$/, `${l.to}: vsce refuses SVG images`);
  }
  assert.match(text, /sends no telemetry/);
});
