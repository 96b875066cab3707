// The provider benchmark's comparison with promptfoo (issue 3): the same judge job through
// promptfoo's own OpenAI provider, against the same kind of loopback server, with the same
// latency, concurrency and prompts, its cache off.
//
// promptfoo is not a dependency of the project (hundreds of packages, native modules; CI stays
// lean): it is installed on demand into a tools folder outside the repository, once per version.
// 0.121.20 is the last version whose engines allow Node 20 (0.122.0 and later need >= 22.22).
// It runs in a child process (promptfoo-child.mjs) with a whitelisted environment: telemetry,
// update checks, sharing and remote generation off, its config, cache and logs in a temporary
// folder, and every non-loopback socket refused (with telemetry off, promptfoo 0.121 still posts
// a "telemetry disabled" event to r.promptfoo.app: refused, and listed in the figures). The time reported is that of `evaluate()`
// alone, as ours is that of the calls alone: loading promptfoo (a few seconds) is not counted.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startBenchServer } from './bench-server';

export const PROMPTFOO_VERSION = '0.121.20';

export interface PromptfooBenchInput {
  /** One test per call: the system and user messages of the judge request. */
  tests: { system: string; user: string }[];
  /** OpenAI's `json_schema` object: name, schema, strict. */
  schema: { name: string; schema: Record<string, unknown>; strict: boolean };
  model: string;
  latencyMs: number;
  concurrency: number;
  repeats: number;
  print: (line: string) => void;
  /** False in the smoke run: a promptfoo not installed yet is not measured, and nothing is downloaded. */
  installIfMissing?: boolean;
}

export interface PromptfooFigures {
  version: string;
  calls: number;
  wallMs: number[];
  medianMs: number;
  idealMs: number;
  ratio: number;
  maxInFlight: number;
  loadMs: number;
  server: string;
  /** Non-loopback hosts promptfoo tried to reach (refused). With telemetry off it still posts one
   * "telemetry disabled" event to r.promptfoo.app: that is the expected entry. */
  refused: string[];
}

export type PromptfooResult = { ok: true; figures: PromptfooFigures } | { ok: false; reason: string };

export function promptfooToolsDir(): string {
  return process.env['SYNTHESIZEME_BENCH_TOOLS']
    ? join(process.env['SYNTHESIZEME_BENCH_TOOLS'], 'promptfoo')
    : join(homedir(), '.cache', 'synthesizeme-bench', 'promptfoo');
}

/** Written after an install that completed, so that an interrupted one is not taken for done. */
const MARKER = '.synthesizeme-bench-installed';

function installedVersion(dir: string): string | undefined {
  try {
    return (
      JSON.parse(readFileSync(join(dir, 'node_modules', 'promptfoo', 'package.json'), 'utf8')) as { version?: string }
    ).version;
  } catch {
    return undefined;
  }
}

function completeInstall(dir: string): boolean {
  try {
    return (
      readFileSync(join(dir, MARKER), 'utf8').trim() === PROMPTFOO_VERSION &&
      installedVersion(dir) === PROMPTFOO_VERSION
    );
  } catch {
    return false;
  }
}

function lastLines(text: string, n = 3): string {
  return text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ')
    .slice(0, 400);
}

/** npm's error in one line: its code and its first message line (not the stack, not the log path). */
function npmError(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const code = lines.map((l) => /^npm (?:error|ERR!) code (\S+)/.exec(l)?.[1]).find(Boolean);
  const message = lines
    .map((l) => /^npm (?:error|ERR!) (.+)$/.exec(l)?.[1]?.trim())
    .find((m) => m && !/^(code|syscall|errno|path|at|A complete log)\b/.test(m));
  return [code, message].filter(Boolean).join(': ').slice(0, 300) || lastLines(output);
}

/**
 * npm's environment for the install: ours without what `npm run bench` adds about the project
 * (its local prefix, package fields, lifecycle), so that nothing of it lands in the repository.
 */
function installEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_(package_|lifecycle_|config_(local_prefix|prefix|global_prefix|workspaces?|include_workspace_root)$)/i.test(
        key,
      )
    )
      continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return env;
}

/** Installs promptfoo@PROMPTFOO_VERSION into `dir` unless it is there already. */
async function ensurePromptfoo(
  dir: string,
  print: (line: string) => void,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (completeInstall(dir)) {
    print(`  promptfoo: ${PROMPTFOO_VERSION} already installed in ${dir}`);
    return { ok: true };
  }
  const have = installedVersion(dir);
  print(
    `  promptfoo: installing promptfoo@${PROMPTFOO_VERSION} into ${dir}${have ? ` (found ${have}, install not marked complete)` : ''}...`,
  );
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    return { ok: false, reason: `cannot create ${dir}: ${(err as Error).message}` };
  }
  const args = [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--save-exact',
    `promptfoo@${PROMPTFOO_VERSION}`,
  ];
  // Under `npm run`, npm_execpath is npm's own script: run it with this Node, no shell needed.
  const npmCli = process.env['npm_execpath'];
  const [cmd, argv] =
    npmCli && /npm-cli\.c?js$/.test(npmCli)
      ? [process.execPath, [npmCli, ...args]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
  const t0 = performance.now();
  const outcome = await new Promise<{ code: number | null; output: string; error?: string }>((resolve) => {
    let output = '';
    const child = spawn(cmd, argv, {
      cwd: dir,
      env: installEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32' && cmd === 'npm.cmd',
    });
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-32000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-32000)));
    const timer = setTimeout(() => child.kill(), 15 * 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output, error: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const now = installedVersion(dir);
  if (outcome.code !== 0 || now !== PROMPTFOO_VERSION) {
    const why =
      outcome.error ?? (outcome.code !== 0 ? `exit code ${outcome.code}` : `installed version ${now ?? 'none'}`);
    return { ok: false, reason: `npm install failed after ${seconds} s: ${why}; ${npmError(outcome.output)}` };
  }
  try {
    writeFileSync(join(dir, MARKER), `${PROMPTFOO_VERSION}\n`);
  } catch {
    // Not fatal: the next run installs again (npm then finds everything in place).
  }
  print(`  promptfoo: installed promptfoo@${PROMPTFOO_VERSION} in ${seconds} s`);
  return { ok: true };
}

const CHILD_SOURCE = join('test', 'bench', 'promptfoo-child.mjs');

function findChild(): string | undefined {
  // From the sources' root (as bench-server.ts finds its worker), or next to the bundle's dist/.
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, CHILD_SOURCE))) return join(dir, CHILD_SOURCE);
    if (dirname(dir) === dir) break;
  }
  const beside = join(__dirname, '..', CHILD_SOURCE);
  return existsSync(beside) ? beside : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The child's environment: only what it needs, nothing that reaches the network or writes outside `tmp`. */
function childEnv(tmp: string, concurrency: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'SystemRoot', 'LANG', 'TZ'])
    if (process.env[key] !== undefined) env[key] = process.env[key];
  return {
    ...env,
    HOME: join(tmp, 'home'),
    USERPROFILE: join(tmp, 'home'),
    TMPDIR: tmp,
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_CACHE_HOME: join(tmp, 'xdg-cache'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    NO_PROXY: '*',
    PROMPTFOO_CONFIG_DIR: join(tmp, 'config'),
    PROMPTFOO_LOG_DIR: join(tmp, 'logs'),
    PROMPTFOO_CACHE_PATH: join(tmp, 'cache'),
    PROMPTFOO_CACHE_ENABLED: 'false',
    // promptfoo's HTTP connection pool is sized by the CLI's -j (default 4); through the Node API
    // `maxConcurrency` does not reach it, and C calls would share 4 connections. The same
    // concurrency as ours needs the pool at C as well.
    PROMPTFOO_FETCH_CONNECTIONS: String(concurrency),
    PROMPTFOO_DISABLE_TELEMETRY: '1',
    PROMPTFOO_DISABLE_UPDATE: '1',
    PROMPTFOO_DISABLE_SHARING: '1',
    PROMPTFOO_DISABLE_REMOTE_GENERATION: '1',
    PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION: '1',
  };
}

type ChildMessage =
  | { type: 'ready'; loadMs: number; version: string }
  | { type: 'done'; wallMs: number; results: number; answered: number; firstError?: string; blocked: string[] }
  | { type: 'failed'; error: string; blocked: string[] };

/** Installs promptfoo if needed and runs the job through it `repeats` times; never throws. */
export async function benchPromptfoo(input: PromptfooBenchInput): Promise<PromptfooResult> {
  if (process.env['SYNTHESIZEME_BENCH_PROMPTFOO'] === 'off')
    return { ok: false, reason: 'SYNTHESIZEME_BENCH_PROMPTFOO=off' };
  const dir = promptfooToolsDir();
  if (input.installIfMissing === false && !completeInstall(dir)) {
    const reason = `promptfoo ${PROMPTFOO_VERSION} is not installed in ${dir}; a smoke run installs nothing (the full bench does)`;
    return { ok: false, reason };
  }
  const installed = await ensurePromptfoo(dir, input.print);
  if (!installed.ok) return installed;
  const child = findChild();
  if (!child) return { ok: false, reason: `${CHILD_SOURCE} not found from ${process.cwd()}` };

  const tmp = mkdtempSync(join(tmpdir(), 'sm-bench-promptfoo-'));
  for (const sub of ['home', 'config', 'logs', 'cache']) mkdirSync(join(tmp, sub), { recursive: true });
  const server = await startBenchServer('openai', input.latencyMs);
  const proc = fork(child, [dir], {
    cwd: tmp,
    env: childEnv(tmp, input.concurrency),
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', (err) => {
      output += `\n${err.message}`;
      resolve();
    });
  });

  const next = (timeoutMs: number) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        proc.off('message', onMessage);
        proc.off('exit', onExit);
      };
      const onMessage = (m: ChildMessage) => {
        done();
        resolve(m);
      };
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`promptfoo's process exited (code ${code}): ${lastLines(output)}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no answer from promptfoo's process in ${Math.round(timeoutMs / 1000)} s: ${lastLines(output)}`),
        );
      }, timeoutMs);
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });

  const calls = input.tests.length;
  const idealMs = (calls * input.latencyMs) / input.concurrency;
  try {
    const ready = await next(120_000);
    if (ready.type !== 'ready')
      throw new Error(ready.type === 'failed' ? `promptfoo did not load: ${ready.error}` : 'unexpected message');
    const wallMs: number[] = [];
    let maxInFlight = 0;
    const refused: string[] = [];
    for (let r = 0; r < input.repeats; r++) {
      await server.reset();
      const reply = next(Math.max(120_000, idealMs * 20));
      proc.send({
        type: 'run',
        url: `${server.url}`,
        model: input.model,
        concurrency: input.concurrency,
        schema: input.schema,
        tests: input.tests,
      });
      const m = await reply;
      if (m.type === 'failed') throw new Error(`evaluate() failed: ${m.error}`);
      if (m.type !== 'done') throw new Error('unexpected message');
      for (const host of m.blocked) if (!refused.includes(host)) refused.push(host);
      const stats = await server.stats();
      if (stats.chat !== calls) throw new Error(`the server saw ${stats.chat} calls, not ${calls}`);
      if (m.results !== calls || m.answered !== calls) {
        throw new Error(
          `${m.answered} of ${calls} answers parsed (${m.results} results): ${m.firstError ?? ''}`.slice(0, 400),
        );
      }
      wallMs.push(m.wallMs);
      maxInFlight = Math.max(maxInFlight, stats.maxInFlight);
    }
    const medianMs = median(wallMs);
    return {
      ok: true,
      figures: {
        version: ready.version,
        calls,
        wallMs,
        medianMs,
        idealMs,
        ratio: medianMs / idealMs,
        maxInFlight,
        loadMs: ready.loadMs,
        server: server.where,
        refused,
      },
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    if (proc.connected) proc.send({ type: 'exit' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
