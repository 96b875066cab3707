#!/usr/bin/env node
// UI end-to-end test of the packaged extension (.vsix) in code-server 4.139.1, driven by
// playwright-core and Debian chromium (adapted from ../shared/recipes/vscode-test; the project does
// not depend on that folder at run time). Screenshots go to out/e2e/screenshots (or argv[2]).
// Prints `e2e: N passed, N failed`; exit code non-zero on failure.
//   bash test/harness/setup.sh && node test/e2e/run-e2e.mjs
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import * as codeServer from '../harness/code-server.mjs';
import { packageVsix } from '../../tools/package.mjs';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
process.chdir(root);
const { chromium, CODE_SERVER, NODE24_BIN } = codeServer.requireTools();
const SHOTS = path.resolve(process.argv[2] || 'out/e2e/screenshots');
fs.rmSync(SHOTS, { recursive: true, force: true });
fs.mkdirSync(SHOTS, { recursive: true });
const lap = codeServer.lapper('e2e');

// 1. Package the .vsix with `npm run package`'s own code (tools/package.mjs: the production build, minified, no
// source maps, then vsce), install exactly the file it wrote, and bundle the fixture.
let packed;
try {
  packed = packageVsix();
} catch (err) {
  console.log(String(err.message ?? err));
  process.exit(1);
}
const vsix = packed.vsix;
const sizes = [
  'dist/extension.js',
  'dist/webview/persona-inspector.js',
  'dist/webview/verdicts.js',
  'dist/webview/pair-view.js',
  'dist/webview/compare-grid.js',
  'dist/webview/history.js',
].map((f) => `${path.basename(f)} ${(fs.statSync(f).size / 1024).toFixed(0)} KB`);
await esbuild.build({
  entryPoints: ['test/e2e/fixture.ts'],
  outfile: 'out/e2e/fixture.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});
lap(
  `packaged ${path.relative(root, vsix)} (npm run package): ${(packed.bytes / 1024).toFixed(0)} KB, ` +
    `${packed.files.length} files; ${sizes.join(', ')}`,
);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synthesizeme-e2e-'));
const fixture = createRequire(import.meta.url)(path.resolve('out/e2e/fixture.cjs'));
const server = await fixture.startServer();
const ws = path.join(tmp, 'workspace');
await fixture.prepareWorkspace(root, ws, server.url);
lap(`workspace prepared with the CLI against the loopback Ollama at ${server.url}`);

// Everything below (VS Code's sockets, Chromium's temp files) goes into this run's folder.
// SYNTHESIZEME_FAKE_LM_LOG: where the test-only extension (below) writes what its fake model was sent.
const env = codeServer.confinedEnv(tmp, NODE24_BIN, { SYNTHESIZEME_FAKE_LM_LOG: path.join(tmp, 'fake-lm.jsonl') });
const port = await codeServer.freePort();
const common = codeServer.folders(tmp, port);
const inst = spawnSync(CODE_SERVER, [...common, '--install-extension', vsix], { env, encoding: 'utf8' });
if (inst.status !== 0 || !/successfully installed/.test(inst.stdout)) {
  console.log(inst.stdout, inst.stderr);
  process.exit(1);
}
lap('vsix installed into code-server');
// Beside it, the test-only extension that contributes a language-model vendor and registers a fake chat provider under
// it on command, and invokes a language-model tool as agent mode does (test/support/fake-lm-vendor; never packaged
// with the extension). VS Code refuses a chat provider whose vendor no installed extension contributes.
const fakeVsix = path.join(tmp, 'fake-lm-vendor.vsix');
const fakePack = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/@vscode/vsce/vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--out',
    fakeVsix,
  ],
  { cwd: path.join(root, 'test/support/fake-lm-vendor'), encoding: 'utf8' },
);
const fakeInst =
  fakePack.status === 0
    ? spawnSync(CODE_SERVER, [...common, '--install-extension', fakeVsix], { env, encoding: 'utf8' })
    : fakePack;
if (fakeInst.status !== 0 || !/successfully installed/.test(fakeInst.stdout)) {
  console.log(fakeInst.stdout, fakeInst.stderr);
  process.exit(1);
}
lap('test-only fake language-model vendor installed beside it');
// VS Code opens the walkthrough of an extension just installed on its own (a machine setting): off, so that the
// walkthrough the first check sees is the one the extension opens on its first start, and it opens once.
for (const scope of ['User', 'Machine']) {
  fs.mkdirSync(path.join(tmp, 'ud', scope), { recursive: true });
  fs.writeFileSync(
    path.join(tmp, 'ud', scope, 'settings.json'),
    JSON.stringify({ 'workbench.welcomePage.walkthroughs.openOnInstall': false }),
  );
}
const { child: cs, stop: stopServer } = codeServer.startServer(
  CODE_SERVER,
  [...common, ...codeServer.serveFlags(port)],
  env,
  `${tmp}/code-server.log`,
);

const checks = [];
let context;
const check = async (name, fn) => {
  const t = Date.now();
  try {
    const r = await fn();
    checks.push([name, true]);
    lap(`ok   ${name} (${Date.now() - t} ms)${r ? ': ' + r : ''}`);
  } catch (e) {
    checks.push([name, false]);
    lap(`FAIL ${name}: ${String(e.message).split('\n')[0]}`);
    await context
      ?.pages()[0]
      ?.screenshot({ path: `${SHOTS}/fail-${checks.length}.png` })
      .catch(() => {});
  }
};

/** The inner frame of the webview whose document has this selector (views and panels are all iframes). */
async function webviewWith(page, selector, timeout = 30_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const n = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < n; i++) {
      const f = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      if (
        (await f
          .locator(selector)
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    }
    if (Date.now() > end) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(200);
  }
}

async function palette(page, text, pick) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor();
  await page.keyboard.type(text);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: pick ?? text.replace(/^>/, '') })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
}

/** A file's editor: its tab when it is open (a click leaves any webview's keyboard focus), else Quick Open. */
async function openFile(page, name) {
  const tab = page.locator('.tabs-container .tab', { hasText: name }).first();
  if ((await tab.count()) > 0) {
    await tab.click();
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 10_000 });
    return;
  }
  await quickOpen(page, name);
}

/**
 * Quick Open on a file by name. A file written a moment ago may not be listed yet (the workbench's file search
 * answers "No matching results" from what it has seen so far), so it asks again, up to a minute.
 */
async function quickOpen(page, name) {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor();
    await page.keyboard.type(name);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    try {
      await row.waitFor({ timeout: 5_000 });
    } catch (err) {
      await page.keyboard.press('Escape');
      if (attempt >= 12) throw new Error(`Quick Open does not list ${name} after ${attempt} tries: ${err.message}`);
      await page.waitForTimeout(2_000);
      continue;
    }
    // The row itself, not Enter: Enter opens the top row, which may be another file that matches the name loosely
    // (a recently opened one is listed first).
    await row.click();
    await page.locator('.tabs-container .tab', { hasText: name }).waitFor();
    return;
  }
}

try {
  await codeServer.waitUntilServing(`http://127.0.0.1:${port}/healthz`, {
    child: cs,
    tries: 300,
    what: 'code-server',
    ready: (r) => r.ok,
  });
  context = await codeServer.launchChromium(chromium, `${tmp}/chromium`, { viewport: { width: 1500, height: 940 } });
  const page = context.pages()[0] || (await context.newPage());
  // The webviews' CSP must not be in the way of our own bundles (and must block everything else).
  const cspViolations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);

  await check('workbench loads the example workspace', async () => {
    await page
      .locator('.explorer-folders-view .monaco-list-row', { hasText: 'ada.prefs.jsonl' })
      .first()
      .waitFor({ timeout: 60_000 });
  });

  // Issue 23: the Getting Started walkthrough opens by itself on the first start (this profile is new). It takes
  // the editor, so it is closed right away, as a person would, before the checks that need the editor.
  await check('the Getting Started walkthrough opens on the first start', async () => {
    const walkthrough = page.locator('.gettingStartedContainer', { hasText: 'Get started with SynthesizeMe' }).first();
    await walkthrough.waitFor({ timeout: 60_000 });
    // Closed by its tab's close button; the tab gone is the proof (the page re-renders as its steps are ticked,
    // so its content may leave the DOM while the tab stays).
    const tab = page.locator('.tabs-container .tab', { hasText: 'Welcome' });
    const close = async () => {
      const end = Date.now() + 20_000;
      while ((await tab.count()) > 0) {
        if (Date.now() > end) throw new Error('the walkthrough tab could not be closed');
        await tab
          .first()
          .locator('.codicon-close')
          .first()
          .click({ force: true, timeout: 2_000 })
          .catch(() => tab.first().click({ button: 'middle', timeout: 2_000 }))
          .catch(() => {});
        await page.waitForTimeout(300);
      }
    };
    await close();
    // Once: closed, it does not come back (were it to, it is closed again so that the next checks have the editor).
    const again = await tab
      .first()
      .waitFor({ timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    if (again) {
      await close();
      throw new Error('the walkthrough opened a second time');
    }
    return 'opened on the first start; closed from its tab, not opened again';
  });

  await check('"Judge this pair" shows the verdict in the lens', async () => {
    await quickOpen(page, 'ada.prefs.jsonl');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Judge this pair' }).first();
    await lens.waitFor({ timeout: 60_000 });
    await lens.click();
    const verdict = page.locator('.codelens-decoration', { hasText: '✓ (A,B) · ✗ rejected (B,A)' }).first();
    await verdict.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/01-judge-lens.png` });
    return await verdict.innerText();
  });

  await check('the hover shows the reasoning, markup as text', async () => {
    await page.locator('.view-lines .view-line').first().hover();
    const hover = page.locator('.monaco-hover', { hasText: 'Response A is shorter' }).first();
    await hover.waitFor({ timeout: 15_000 });
    const text = await hover.innerText();
    if (!text.includes('<script>'))
      throw new Error(`the hover does not show the markup as text: ${text.slice(0, 200)}`);
    if ((await hover.locator('img, script').count()) > 0) throw new Error('the hover rendered markup');
    await page.screenshot({ path: `${SHOTS}/02-hover.png` });
  });

  await check('a pair carrying <script> and <img onerror> is judged and stays text', async () => {
    await page.keyboard.press('Escape');
    await quickOpen(page, 'inject.prefs.jsonl');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Judge this pair' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    await page.locator('.codelens-decoration', { hasText: '✓ (A,B)' }).first().waitFor({ timeout: 30_000 });
    const title = await page.title();
    if (title.includes('pwned')) throw new Error('markup ran');
  });

  await check('the Users tree lists the users and opens the Persona Inspector', async () => {
    await page.locator('.activitybar .action-item .action-label[aria-label^="SynthesizeMe"]').first().click();
    const row = page.locator('.monaco-list-row', { hasText: 'ada' }).filter({ hasText: 'persona' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const f = await webviewWith(page, '[data-testid=persona]');
    const persona = await f.locator('[data-testid=persona]').innerText();
    if (!/shortest correct answer/.test(persona)) throw new Error(`persona: ${persona}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${SHOTS}/03-users-and-inspector.png` });
    return `${await page.locator('.monaco-list-row', { hasText: 'persona' }).count()} user(s) with a persona`;
  });

  await check("the inspector's Re-validate button runs the command and reports the accuracy", async () => {
    const f = await webviewWith(page, '[data-testid=persona]');
    await f.locator('vscode-button', { hasText: 'Re-validate' }).click();
    const toast = page
      .locator('.notification-toast .notification-list-item-message', { hasText: /ada on validation \d/ })
      .first();
    await toast.waitFor({ timeout: 30_000 });
    return await toast.innerText();
  });

  await check('the status bar opens the model picker with the models the server has', async () => {
    await page.locator('.statusbar-item', { hasText: 'llama3.1:8b' }).first().click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ollama' }).first().click();
    // The server next (the address in use, or another typed): the loopback's, as set.
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'ollama server address' })
      .first()
      .waitFor({ timeout: 15_000 });
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: `:${server.port}` })
      .first()
      .click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'qwen3:30b-a3b' }).first();
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/05-model-picker.png` });
    const n = await page.locator('.quick-input-list .monaco-list-row').count();
    await page.keyboard.press('Escape');
    return `${n} models listed`;
  });

  let paint;
  await check('the Verdicts view shows 10,000 rows (virtualized) and its first paint is measured', async () => {
    await palette(page, '>SynthesizeMe: Show Verdicts', 'Show Verdicts');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'big000000000' })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'big000000000' }).first().click();
    const f = await webviewWith(page, '[data-testid=chart]');
    await f.locator('[data-testid=count]', { hasText: '10000 of 10000 pairs' }).waitFor({ timeout: 15_000 });
    const end = Date.now() + 10_000;
    while (!(paint = await f.locator('body').getAttribute('data-first-paint-ms')) && Date.now() < end)
      await page.waitForTimeout(100);
    const inDom = await f.locator('[data-testid=verdict-row]').count();
    if (inDom > 200) throw new Error(`${inDom} rows in the DOM: not virtualized`);
    const markupRow = f.locator('[data-testid=verdict-row]', { hasText: '<script>document.title="pwned"</script>' });
    if ((await markupRow.count()) !== 1) throw new Error('the row with markup does not show it as text');
    if ((await f.locator('.row img, .row script').count()) > 0) throw new Error('markup rendered');
    await page.screenshot({ path: `${SHOTS}/04-verdicts.png` });
    return `first paint of 10,000 rows: ${paint} ms (${inDom} rows in the DOM)`;
  });

  await check('Verdicts filters: wrong only, then a row opens its pair', async () => {
    const f = await webviewWith(page, '[data-testid=chart]');
    await f.locator('vscode-checkbox', { hasText: 'Wrong only' }).click();
    const count = await f.locator('[data-testid=count]').innerText();
    if (count.startsWith('10000 of')) throw new Error(`filter had no effect: ${count}`);
    await f.locator('[data-testid=verdict-row]').first().click();
    // A row opens the pair view (the pair of ada.prefs.jsonl the row names), with the filtered rows as its list.
    const pv = await webviewWith(page, '[data-testid=pair-id]');
    await pv.locator('[data-testid=scope-list]').waitFor({ timeout: 15_000 });
    return `${count}; the pair view opened on ${await pv.locator('[data-testid=pair-id]').innerText()}`;
  });

  const pairId = async (f) => (await f.locator('[data-testid=pair-id]').innerText()).trim();
  // A view in the dark theme, then the same in the light one (the README shows both), then dark again.
  const settingsFile = path.join(ws, '.vscode/settings.json');
  const setTheme = async (theme, light) => {
    const s = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, JSON.stringify({ ...s, 'workbench.colorTheme': theme }, null, 2));
    await page
      .locator(light ? '.monaco-workbench.vs:not(.vs-dark)' : '.monaco-workbench.vs-dark')
      .first()
      .waitFor({ timeout: 30_000 });
    await page.waitForTimeout(700);
  };
  const shootBoth = async (name) => {
    await page.screenshot({ path: `${SHOTS}/${name}-dark.png` });
    await setTheme('Default Light Modern', true);
    await page.screenshot({ path: `${SHOTS}/${name}-light.png` });
    await setTheme('Default Dark Modern', false);
  };
  await check(
    '"Open Pair" opens the pair view: rendered, markup as text, both responses, j/k move through the file',
    async () => {
      await openFile(page, 'ada.prefs.jsonl');
      const lens = page.locator('.codelens-decoration a', { hasText: 'Open Pair' }).first();
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();
      const f = await webviewWith(page, '[data-testid=chosen]');
      const first = await pairId(f);
      await f.locator('[data-testid=conversation]').waitFor();
      if ((await f.locator('[data-testid=rejected]').count()) !== 1) throw new Error('no rejected response');
      await f.locator('h2').click();
      await page.keyboard.press('j');
      const end = Date.now() + 15_000;
      let next = first;
      while ((next = await pairId(await webviewWith(page, '[data-testid=chosen]'))) === first && Date.now() < end)
        await page.waitForTimeout(100);
      if (next === first) throw new Error('j did not move to the next pair');
      await page.keyboard.press('k');
      const g = await webviewWith(page, '[data-testid=chosen]');
      const back = Date.now() + 15_000;
      while ((await pairId(g)) !== first && Date.now() < back) await page.waitForTimeout(100);
      if ((await pairId(g)) !== first) throw new Error('k did not move back');
      await shootBoth('06-pair-view');
      return `${first} -> ${next} -> ${first}`;
    },
  );

  await check('a pair with markup in the pair view stays text', async () => {
    await openFile(page, 'inject.prefs.jsonl');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Open Pair' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    const f = await webviewWith(page, '[data-testid=pair-id]');
    await f.locator('[data-testid=pair-id]', { hasText: 'm1' }).waitFor({ timeout: 15_000 });
    const text = await f.locator('[data-testid=chosen]').innerText();
    if (!text.includes('<img src=x')) throw new Error(`the markup is not shown as text: ${text.slice(0, 100)}`);
    if ((await f.locator('[data-testid=chosen] img, [data-testid=conversation] script').count()) > 0)
      throw new Error('markup rendered');
    if ((await page.title()).includes('pwned')) throw new Error('markup ran');
  });

  let gridPaint;
  await check('Compare Runs: 10,000 pairs x 6 runs, first paint measured; filter to flipped pairs', async () => {
    // The palette from an editor, not from inside a webview (which keeps the keyboard).
    await openFile(page, 'ada.prefs.jsonl');
    await palette(page, '>SynthesizeMe: Compare Runs', 'Compare Runs');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'big000000000' })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.keyboard.type('big00000000');
    // A click on a row of a multi-select pick toggles it: the six big runs, then OK.
    for (let r = 0; r < 6; r++)
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: `big ${r} ·` })
        .first()
        .click();
    await page
      .locator('.quick-input-widget .quick-input-count', { hasText: '6' })
      .first()
      .waitFor({ timeout: 5_000 })
      .catch(() => {});
    await page.keyboard.press('Enter');
    const base = page.locator('.quick-input-list .monaco-list-row', { hasText: 'big000000000' }).first();
    await base.waitFor({ timeout: 15_000 });
    await base.click();
    const f = await webviewWith(page, '[data-testid=grid-count]', 60_000);
    await f.locator('[data-testid=grid-count]', { hasText: '10000 of 10000 pairs' }).waitFor({ timeout: 30_000 });
    const end = Date.now() + 10_000;
    while (!(gridPaint = await f.locator('body').getAttribute('data-first-paint-ms')) && Date.now() < end)
      await page.waitForTimeout(100);
    const columns = (await f.locator('.grid-head .cell').count()) - 1;
    if (columns !== 6) throw new Error(`${columns} run columns`);
    const inDom = await f.locator('[data-testid=grid-row]').count();
    if (inDom > 200) throw new Error(`${inDom} rows in the DOM: not virtualized`);
    await f.locator('[data-testid=grid-filter]').selectOption('flipped');
    const count = await f.locator('[data-testid=grid-count]').innerText();
    if (count.startsWith('10000 of') || count.startsWith('0 of')) throw new Error(`the flipped filter: ${count}`);
    if ((await f.locator('[data-flipped]').count()) === 0) throw new Error('no flipped cell is marked');
    await shootBoth('07-compare-grid');
    return `first paint of 10,000 rows x 6 runs: ${gridPaint} ms; flipped: ${count}`;
  });

  await check("Show History: the persona's versions, with who made them", async () => {
    await openFile(page, 'ada.prefs.jsonl');
    await palette(page, '>SynthesizeMe: Show History', 'Show History');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'ada' }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const f = await webviewWith(page, '[data-testid=history-title]');
    const title = await f.locator('[data-testid=history-title]').innerText();
    if (!/ada/.test(title)) throw new Error(title);
    const versions = await f.locator('[data-testid=version]').count();
    if (versions < 1) throw new Error('no version listed');
    const all = (await f.locator('[data-testid=version]').allInnerTexts()).join('\n');
    if (!/#1\s+fit\b/.test(all))
      throw new Error(`the first version is not shown as made by the fit: ${all.slice(0, 300)}`);
    await shootBoth('08-history');
    return `${title}`;
  });

  const lines = (f) => fs.readFileSync(path.join(ws, f), 'utf8');
  const collectLog = (user) =>
    fs.existsSync(path.join(ws, `.synthesizeme/collect/${user}.jsonl`))
      ? fs
          .readFileSync(path.join(ws, `.synthesizeme/collect/${user}.jsonl`), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  /** Collect Preferences up to the panel: user, prompts, two system prompts (their defaults). */
  const startCollect = async (user, promptsChoice, typed) => {
    await openFile(page, 'ada.prefs.jsonl');
    await palette(page, '>SynthesizeMe: Collect Preferences', 'Collect Preferences');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: user }).first().click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: promptsChoice }).first().click();
    // Each input box is waited for by its title: keys typed before it opens would go to the editor.
    const input = async (title, text) => {
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: title })
        .first()
        .waitFor({ timeout: 15_000 });
      if (text) await page.keyboard.type(text);
      await page.keyboard.press('Enter');
    };
    if (typed) await input('The prompt to answer', typed);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Two system prompts' }).first().click();
    await input('System prompt of response source A'); // as proposed
    await input('System prompt of response source B');
  };
  const waitPair = async (n) => {
    const f = await webviewWith(page, '[data-testid=collect-title]', 60_000);
    await f.locator('[data-testid=collect-title]', { hasText: `pair ${n}` }).waitFor({ timeout: 30_000 });
    await f.locator('[data-testid=collect-title]').click();
    return f;
  };

  await check(
    'Collect Preferences: pick with keys (1 with a reason, t, s), appended to the JSONL file; ties and skips logged only',
    async () => {
      const before = lines('ada.prefs.jsonl');
      await startCollect('ada', 'past conversations');
      let f = await waitPair(1);
      if ((await f.locator('[data-testid=collect-first] script, [data-testid=collect-first] img').count()) > 0)
        throw new Error('markup rendered');
      await page.keyboard.press('1');
      await f.locator('[data-testid=collect-reason]').waitFor();
      await page.keyboard.type('shorter');
      await page.keyboard.press('Enter');
      f = await waitPair(2);
      await page.keyboard.press('t');
      await page.keyboard.press('Enter');
      f = await waitPair(3);
      await page.screenshot({ path: `${SHOTS}/09-collect-dark.png` });
      await page.keyboard.press('s');
      await page.keyboard.press('Escape');
      f = await waitPair(4);
      await f.locator('[data-testid=collect-stop]').click();
      await f.locator('[data-testid=collect-done]').waitFor({ timeout: 15_000 });
      const end = Date.now() + 15_000;
      let after = lines('ada.prefs.jsonl');
      while (after === before && Date.now() < end) {
        await page.waitForTimeout(200);
        after = lines('ada.prefs.jsonl');
      }
      if (!after.startsWith(before)) throw new Error('the old lines changed');
      const added = after
        .slice(before.length)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      if (added.length !== 1) throw new Error(`${added.length} pairs appended`);
      if (added[0].meta?.collected?.reason !== 'shorter') throw new Error(`reason: ${JSON.stringify(added[0].meta)}`);
      if (!['context', 'validation'].includes(added[0].split))
        throw new Error(`a collected pair must not go to test: split ${added[0].split}`);
      // The pick is journaled first, then marked appended once it is in the file (collect never loses a pick).
      const types = collectLog('ada').map((e) => e.type);
      if (types.filter((t) => t !== 'appended').join(',') !== 'pick,tie,skip')
        throw new Error(`log: ${types.join(',')}`);
      if (!types.includes('appended'))
        throw new Error(`the pick is not marked appended in the log: ${types.join(',')}`);
      return `1 pair appended (${added[0].pair_id}), log: ${types.join(', ')}`;
    },
  );

  await check('Collect Preferences appends to a YAML list of pairs', async () => {
    const before = lines('chen.prefs.yaml');
    await startCollect('chen', 'Type a prompt', 'Is coffee bad for you?');
    await waitPair(1);
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    const end = Date.now() + 15_000;
    while (lines('chen.prefs.yaml') === before && Date.now() < end) await page.waitForTimeout(200);
    const after = lines('chen.prefs.yaml');
    if (!after.startsWith(before)) throw new Error('the old lines changed');
    if (!/- user_id: chen\n  pair_id: collected-/.test(after.slice(before.length)))
      throw new Error(`not a YAML item: ${after.slice(before.length, before.length + 200)}`);
  });

  await check('Collect Preferences: a failed generation appends nothing', async () => {
    const before = lines('ada.prefs.jsonl');
    const logBefore = collectLog('ada').length;
    await startCollect('ada', 'Type a prompt', 'FAIL on purpose');
    // The panel still shows the YAML session's end until this session's first message replaces it (after the last
    // input box the command plans the session first): this session's end is the one waited for.
    const f = await webviewWith(page, '[data-testid=collect-done]', 60_000);
    const mine = f.locator('[data-testid=collect-done]', { hasText: /^ada: 0 pair\(s\) added.*1 failed generation/ });
    await mine.waitFor({ timeout: 60_000 }).catch(() => {});
    const done = await f.locator('[data-testid=collect-done]').innerText();
    if (!/^ada: 0 pair\(s\) added.*1 failed generation/.test(done)) throw new Error(done);
    if (lines('ada.prefs.jsonl') !== before) throw new Error('something was appended');
    const last = collectLog('ada')
      .slice(logBefore)
      .map((e) => e.type);
    if (last.join(',') !== 'failed') throw new Error(`log: ${last.join(',')}`);
    return done;
  });

  // Further checks, one module per feature (test/e2e/checks/*.mjs, in name order): each default-exports
  // `async (t) => {...}` and calls t.check(name, fn) as the checks above do.
  const checksDir = path.join(root, 'test/e2e/checks');
  // E2E_CHECKS (a regular expression): only the modules whose names match, while working on one (CI runs all).
  const only = process.env.E2E_CHECKS ? new RegExp(process.env.E2E_CHECKS) : undefined;
  const modules = fs.existsSync(checksDir)
    ? fs
        .readdirSync(checksDir)
        .filter((n) => n.endsWith('.mjs') && (!only || only.test(n)))
        .sort()
    : [];
  for (const name of modules) {
    const { default: more } = await import(path.join(checksDir, name));
    await more({ page, check, webviewWith, palette, openFile, quickOpen, SHOTS, ws, server, root, tmp });
  }

  await check('no Content Security Policy violation in the webviews', async () => {
    const ours = cspViolations.filter(
      (v) =>
        !/vscode-resource|vscode-cdn|workbench/.test(v) ||
        /webview\/(persona-inspector|verdicts|pair-view|compare-grid|history|collect|codicon)|webview\.css/.test(v),
    );
    if (ours.length) throw new Error(ours.join(' | ').slice(0, 500));
    return `${cspViolations.length} message(s) from the workbench itself`;
  });
  if (paint) console.log(`e2e figure: Verdicts first paint with 10,000 rows: ${paint} ms`);
  if (gridPaint) console.log(`e2e figure: comparison grid first paint with 10,000 rows x 6 runs: ${gridPaint} ms`);
} catch (e) {
  checks.push(['harness', false]);
  lap(`error: ${e.message}`);
} finally {
  if (checks.some((c) => !c[1]))
    console.log(
      '--- code-server log tail ---\n' +
        fs.readFileSync(`${tmp}/code-server.log`, 'utf8').split('\n').slice(-20).join('\n'),
    );
  await context?.close().catch(() => {});
  await stopServer();
  await server.close();
  if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
}
const passed = checks.filter((c) => c[1]).length;
console.log(`e2e: ${passed} passed, ${checks.length - passed} failed`);
lap(`done; screenshots in ${path.relative(root, SHOTS)}`);
process.exit(passed === checks.length && passed > 0 ? 0 : 1);
