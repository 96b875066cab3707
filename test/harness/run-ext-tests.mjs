#!/usr/bin/env node
// Runs a mocha suite inside code-server's real (Node) extension host, headless (adapted from
// ../shared/recipes/vscode-test; the project does not depend on that folder at run time).
// Usage: TOOLS=... node run-ext-tests.mjs <extensionDevelopmentPath> <extensionTestsPath (module, without .js)> <workspaceFolder>
// The suite runs in the real Node extension host of VS Code server 1.139.1 (from the code-server package); Chromium is
// only the client that makes the server start that extension host. Exit code = the test runner's exit code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as codeServer from './code-server.mjs';

const { chromium, CODE_SERVER, NODE24_BIN } = codeServer.requireTools();
// Two calling conventions:
//  1. node run-ext-tests.mjs <extensionDevelopmentPath> <extensionTestsPath> <workspaceFolder>
//  2. the one @vscode/test-electron uses when this file is given as `useInstallation.fromPath` / vscodeExecutablePath:
//     [workspaceFolder] --extensionTestsPath=Y --extensionDevelopmentPath=X [--user-data-dir=..] [--no-sandbox ...]
const argv = process.argv.slice(2);
let extDev, extTests, folder;
if (argv.some((a) => a.startsWith('--extensionTestsPath'))) {
  const val = (name) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
    return i < 0 ? undefined : argv[i].includes('=') ? argv[i].slice(name.length + 1) : argv[i + 1];
  };
  extDev = val('--extensionDevelopmentPath');
  extTests = val('--extensionTestsPath');
  folder = argv.find(
    (a, i) => !a.startsWith('-') && !(i > 0 && /^--(extensionDevelopmentPath|extensionTestsPath)$/.test(argv[i - 1])),
  );
  [extDev, extTests, folder] = [extDev, extTests, folder].map((p) => p && path.resolve(p));
} else {
  [extDev, extTests, folder] = argv.map((p) => path.resolve(p));
}
if (!extDev || !extTests) {
  console.error('usage: run-ext-tests.mjs <extensionDevelopmentPath> <extensionTestsPath> [workspaceFolder]');
  process.exit(2);
}
// @vscode/test-cli: its runner (runner.cjs) prints through mocha's reporters to console.log, which a remote extension
// host forwards to the browser console. Inject a preload that mirrors mocha's output into EXT_TEST_LOG_FILE.
if (process.env.VSCODE_TEST_OPTIONS) {
  const o = JSON.parse(process.env.VSCODE_TEST_OPTIONS);
  o.preload = [fileURLToPath(new URL('./ext-host-log-preload.cjs', import.meta.url)), ...(o.preload || [])];
  process.env.VSCODE_TEST_OPTIONS = JSON.stringify(o);
  process.env.EXT_TEST_MOCHA_FROM = path.dirname(extTests);
}
// EXT_DEV_EXTRA: more extensions installed beside the one under test (path-separated folders), e.g. the test-only
// extension that contributes a language-model vendor (test/support/fake-lm-vendor). The remote extension host takes
// one extensionDevelopmentPath (the last one given), so they are copied into the server's extensions folder, whose
// folders it scans on its first start (no extensions.json yet).
function installExtra(extDir) {
  for (const from of (process.env.EXT_DEV_EXTRA || '').split(path.delimiter).filter(Boolean)) {
    const m = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
    fs.cpSync(from, path.join(extDir, `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
  }
}
const PORT = Number(process.env.PORT) || (await codeServer.freePort());
const TIMEOUT_MS = Number(process.env.EXT_TEST_TIMEOUT_MS || 180000);
const lap = codeServer.lapper('run-ext-tests');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-ext-test-'));
const resultFile = path.join(tmp, 'result.json');
const logFile = path.join(tmp, 'mocha.log');
fs.writeFileSync(logFile, '');
let logPos = 0;
const pumpLog = () => {
  const buf = fs.readFileSync(logFile);
  if (buf.length > logPos) {
    process.stdout.write(buf.subarray(logPos));
    logPos = buf.length;
  }
};
const pump = setInterval(pumpLog, 200);
// Everything the server and the browser write (VS Code's /tmp/vscode-ipc-*.sock + vscode-git-*.sock, Playwright
// artifacts, Chromium temp files) goes into this run's folder and is deleted with it.
const env = codeServer.confinedEnv(tmp, NODE24_BIN, { EXT_TEST_RESULT_FILE: resultFile, EXT_TEST_LOG_FILE: logFile });
// SERVER_MODE=vscode-server (default): VS Code's own server (lib/vscode/out/server-main.js inside the
// code-server package) with --enable-smoke-test-driver, which makes the web workbench honour the
// extensionDevelopmentPath/extensionTestsPath "payload" URL parameter.
// SERVER_MODE=code-server: the code-server CLI (it rejects --enable-smoke-test-driver), so the harness
// flips developmentOptions.enableSmokeTestDriver in the served HTML instead.
const MODE = process.env.SERVER_MODE || 'vscode-server';
installExtra(path.join(tmp, 'ext'));
const VSCODE_DIR =
  process.env.VSCODE_SERVER_DIR || path.resolve(path.dirname(fs.realpathSync(CODE_SERVER)), '../../lib/vscode');
const { child: cs, stop: stopServer } =
  MODE === 'code-server'
    ? codeServer.startServer(
        CODE_SERVER,
        [...codeServer.folders(tmp, PORT), ...codeServer.serveFlags(PORT)],
        env,
        `${tmp}/code-server.log`,
      )
    : codeServer.startServer(
        path.join(NODE24_BIN, 'node'),
        [
          path.join(VSCODE_DIR, 'out', 'server-main.js'),
          '--host',
          '127.0.0.1',
          '--port',
          String(PORT),
          '--without-connection-token',
          '--accept-server-license-terms',
          '--server-data-dir',
          `${tmp}/sd`,
          '--user-data-dir',
          `${tmp}/ud`,
          '--extensions-dir',
          `${tmp}/ext`,
          '--enable-smoke-test-driver',
          '--disable-telemetry',
          '--disable-workspace-trust',
        ],
        env,
        `${tmp}/code-server.log`,
      );

let code = 1,
  context;
try {
  await codeServer.waitUntilServing(`http://127.0.0.1:${PORT}/version`, { child: cs, tries: 200, what: 'server' });
  lap(`${MODE} up (pid ${cs.pid})`);
  context = await codeServer.launchChromium(chromium, path.join(tmp, 'chromium'));
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (process.env.SHOW_BROWSER_CONSOLE) console.log('[browser] ' + m.text());
  });
  if (MODE === 'code-server') {
    // Flip developmentOptions.enableSmokeTestDriver in the <meta> config before workbench.js reads it.
    // (Rewriting the HTML with page.route()+route.fulfill() does NOT work: Chromium 156 then treats the
    // page as non-local and blocks its WebSocket to 127.0.0.1 with ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS.)
    await page.addInitScript(() => {
      const patch = (obs) => {
        const el = document.getElementById('vscode-workbench-web-configuration');
        if (!el) return;
        const c = JSON.parse(el.getAttribute('data-settings'));
        c.developmentOptions = { ...(c.developmentOptions || {}), enableSmokeTestDriver: true };
        el.setAttribute('data-settings', JSON.stringify(c));
        obs.disconnect();
      };
      const obs = new MutationObserver(() => patch(obs));
      obs.observe(document, { childList: true, subtree: true });
    });
  }
  // The workbench calls window.codeAutomationExit(code) when the extension host's test runner finishes.
  let resolveExit;
  const exited = new Promise((r) => {
    resolveExit = r;
  });
  await page.exposeFunction('codeAutomationExit', (c) => resolveExit(c));
  const remote = (p) => `vscode-remote://remote${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(extDev)],
    ['extensionTestsPath', remote(extTests)],
  ]);
  // A .code-workspace file opens as a (multi-root) workspace, anything else as a folder.
  const where = folder
    ? `${folder.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(folder)}`
    : 'ew=true';
  await page.goto(`http://127.0.0.1:${PORT}/?${where}&payload=${encodeURIComponent(payload)}`);
  lap('workbench loading; waiting for the extension host test runner to exit');
  code = await Promise.race([
    exited,
    new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout after ${TIMEOUT_MS} ms`)), TIMEOUT_MS)),
  ]);
  lap(`extension host test runner exited with code ${code}`);
  if (fs.existsSync(resultFile)) lap('result file: ' + fs.readFileSync(resultFile, 'utf8'));
} catch (e) {
  console.log('run-ext-tests error:', e.message);
  code = 1;
  const tail = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').slice(-25).join('\n') : '');
  console.log('--- server log (tail) ---\n' + tail(`${tmp}/code-server.log`));
  for (const f of fs.readdirSync(tmp, { recursive: true }).filter((f) => String(f).endsWith('remoteexthost.log')))
    console.log(`--- ${f} (tail) ---\n` + tail(path.join(tmp, String(f))));
} finally {
  clearInterval(pump);
  pumpLog();
  await context?.close().catch(() => {});
  await stopServer();
  if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  else lap('kept ' + tmp);
}
process.exit(code);
