#!/usr/bin/env node
// Draws media/icon.png (256 x 256, the Marketplace's and Open VSX's extension icon) from the activity bar's
// glyph (media/icon.svg: a person between two chevrons) on a rounded square, rasterised by headless chromium
// (the one the e2e tools install). Run again only to change the icon: the PNG is committed.
//   node tools/draw-icon.mjs [path/to/chromium]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SIZE = 256;
const root = new URL('..', import.meta.url).pathname;
const chromium = process.argv[2] ?? '/usr/bin/chromium';
// The glyph's 24-unit box, scaled into the square with a margin; strokes wide enough to read at 32 px.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="#1f6f8b"/><stop offset="1" stop-color="#23395d"/></linearGradient></defs>
<rect x="8" y="8" width="240" height="240" rx="48" fill="url(#g)"/>
<g transform="translate(32 30) scale(8)" fill="none" stroke="#ffffff" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round">
<circle cx="12" cy="7" r="3.2"/><path d="M5.5 20c.6-3.6 3.2-6 6.5-6s5.9 2.4 6.5 6"/>
<path d="M3 11l2.5 2.5L3 16" stroke="#ffd166"/><path d="M21 11l-2.5 2.5L21 16" stroke="#ffd166"/></g></svg>`;
const dir = mkdtempSync(join(tmpdir(), 'synthesizeme-icon-'));
try {
  const page = join(dir, 'icon.html');
  writeFileSync(page, `<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = resolve(root, 'media/icon.png');
  const r = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--default-background-color=00000000',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${SIZE},${SIZE}`,
      `--screenshot=${out}`,
      `file://${page}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`chromium failed: ${r.stderr}`);
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
