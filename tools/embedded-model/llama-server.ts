// The embedded real model: set it up (setup.sh, Python venv outside the clone) and run llama.cpp's own HTTP
// server on a free loopback port (serve.py). Used by the real-model test layer, the `real` benchmark and the
// main job. Nothing here is part of the product: the product reaches this server over HTTP through its
// OpenAI-compatible provider, exactly as it reaches any other server.

import { spawn, type ChildProcess } from 'node:child_process';
import { killGroup, spawnTied } from './tied-child';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The base model, Gemma 3 270M (pretrained, no instruction tuning, no chat template): the name the server lists
 * in /v1/models and runs and persona files record. It shows plumbing only (shapes, files, caching, errors).
 */
export const EMBEDDED_MODEL_NAME = 'gemma-3-270m-q4_k_m';

/** The instruction-tuned embedded models setup.sh can install (its model_row), by setup name. */
export const INSTRUCT_MODELS = {
  'qwen2.5-coder-0.5b': { alias: 'qwen2.5-coder-0.5b-instruct-q4_k_m', label: 'Qwen2.5-Coder 0.5B Instruct, Q4_K_M' },
  'qwen2.5-coder-1.5b': { alias: 'qwen2.5-coder-1.5b-instruct-q4_k_m', label: 'Qwen2.5-Coder 1.5B Instruct, Q4_K_M' },
} as const;
export type InstructModel = keyof typeof INSTRUCT_MODELS;

/**
 * The instruction-tuned model the main job and the semantic layer use, chosen by measurement
 * (`npm run bench -- real-models`; setup.sh's INSTRUCT installs it by default).
 */
export const INSTRUCT_MODEL: InstructModel = 'qwen2.5-coder-0.5b';
export const INSTRUCT_MODEL_NAME = INSTRUCT_MODELS[INSTRUCT_MODEL].alias;

const HERE = resolve(__dirname, '..', '..', 'tools', 'embedded-model');
/** Works from the bundle in dist/ (esbuild keeps __dirname of the output file) and from the sources. */
function toolsDir(): string {
  for (const dir of [
    HERE,
    resolve(__dirname, '..', 'tools', 'embedded-model'),
    resolve(process.cwd(), 'tools', 'embedded-model'),
    __dirname,
  ]) {
    if (existsSync(join(dir, 'serve.py')) && existsSync(join(dir, 'setup.sh'))) return dir;
  }
  throw new Error('tools/embedded-model/serve.py not found: run from the project folder');
}

export function embeddedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SYNTHESIZEME_EMBEDDED_DIR || join(homedir(), '.cache', 'synthesizeme', 'embedded-model');
}

export interface EmbeddedModel {
  python: string;
  /** The file the server loads (Gemma 3 270M unless chosen otherwise with withModel()). */
  modelFile: string;
  /** The name the server lists and runs record (startLlamaServer's alias; default EMBEDDED_MODEL_NAME). */
  alias?: string;
  /** Every model file setup.sh installed, by setup name (gemma, qwen2.5-coder-0.5b, ...). */
  files?: Record<string, string>;
}

/** The same installation, serving another of its models. */
export function withModel(model: EmbeddedModel, name: 'gemma' | InstructModel): EmbeddedModel {
  const file = model.files?.[name];
  if (!file)
    throw new Error(
      `the embedded model ${name} is not installed (installed: ${Object.keys(model.files ?? {}).join(', ')})`,
    );
  return { ...model, modelFile: file, alias: name === 'gemma' ? EMBEDDED_MODEL_NAME : INSTRUCT_MODELS[name].alias };
}

/**
 * Runs setup.sh (idempotent: seconds when everything is there). Its progress lines go to `onLine`; a failure
 * rejects with the script's last lines.
 */
export async function ensureEmbeddedModel(
  opts: { dir?: string; onLine?: (line: string) => void; models?: readonly ('gemma' | InstructModel)[] } = {},
): Promise<EmbeddedModel> {
  const dir = opts.dir ?? embeddedDir();
  const env = {
    ...process.env,
    SYNTHESIZEME_EMBEDDED_DIR: dir,
    ...(opts.models ? { SYNTHESIZEME_EMBEDDED_MODELS: opts.models.join(' ') } : {}),
  };
  const child = spawn('bash', [join(toolsDir(), 'setup.sh')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const tail: string[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.trim()) continue;
      tail.push(l);
      if (tail.length > 30) tail.shift();
      opts.onLine?.(l);
    }
  });
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? 1)));
  if (code !== 0) throw new Error(`setting up the embedded model failed (exit ${code}):\n${tail.join('\n')}`);
  // One line `NAME PATH` per model file.
  const files: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const m = /^(\S+) (.+)$/.exec(line.trim());
    if (m && existsSync(m[2]!)) files[m[1]!] = m[2]!;
  }
  const first = files['gemma'] ? 'gemma' : Object.keys(files)[0];
  if (!first) throw new Error(`the embedded model's set-up printed no model file (got "${stdout.trim()}")`);
  return withModel(
    { python: join(dir, 'venv', 'bin', 'python'), modelFile: '', alias: '', files },
    first as 'gemma' | InstructModel,
  );
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface LlamaServerOptions extends EmbeddedModel {
  /** Context size of the server (llama-server --ctx-size). */
  ctx?: number;
  /** Slots (llama-server --parallel); without kvUnified, llama-server splits ctx among them (ctx / parallel each). */
  parallel?: number;
  /**
   * llama-server --kv-unified: the slots share one KV pool of `ctx` cells and each may use all of it, instead of
   * ctx / parallel each (llama-server's own default only when the slot count is automatic).
   */
  kvUnified?: boolean;
  threads?: number;
  /**
   * llama-server --embeddings --pooling mean: /v1/embeddings answers too (similar users). Chat completions are served
   * as without it (serve.py says how that was measured).
   */
  embeddings?: boolean;
  /** Where the server's log is written (kept after it stops). */
  logDir: string;
  /** How long to wait for /health (loading the model). Default 120 s. */
  startTimeoutMs?: number;
}

export interface LlamaServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The OpenAI-compatible base URL (url + /v1). */
  baseUrl: string;
  port: number;
  pid: number;
  ctx: number;
  logPath: string;
  /** The log's last lines, for a failing test's report. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startLlamaServer(opts: LlamaServerOptions): Promise<LlamaServer> {
  mkdirSync(opts.logDir, { recursive: true });
  const ctx = opts.ctx ?? 8192;
  const port = await freePort();
  const logPath = join(opts.logDir, `llama-server-${port}.log`);
  const fd = openSync(logPath, 'a');
  const args = [
    join(toolsDir(), 'serve.py'),
    '--model',
    opts.modelFile,
    '--port',
    String(port),
    '--ctx',
    String(ctx),
    '--parallel',
    String(opts.parallel ?? 1),
    '--alias',
    opts.alias || EMBEDDED_MODEL_NAME,
  ];
  if (opts.threads) args.push('--threads', String(opts.threads));
  if (opts.kvUnified) args.push('--kv-unified');
  if (opts.embeddings) args.push('--embeddings');
  // Tied to this process: stopped with it, whatever stops it (tied-child.ts).
  const child: ChildProcess = spawnTied(opts.python, args, { stdout: fd, stderr: fd });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const logTail = (n = 40) => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  };
  let exited: number | null = null;
  const exitedP = new Promise<void>((res) =>
    child.on('exit', (code, signal) => ((exited = code ?? (signal ? 128 : 1)), res())),
  );
  const stop = async () => {
    if (exited !== null) return;
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    await exitedP;
    clearTimeout(t);
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  for (;;) {
    if (exited !== null)
      throw new Error(`llama-server exited (${exited}) while starting; its log (${logPath}):\n${logTail()}`);
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `llama-server did not become healthy within ${(opts.startTimeoutMs ?? 120_000) / 1000} s; its log (${logPath}):\n${logTail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, baseUrl: `${url}/v1`, port, pid: child.pid!, ctx, logPath, logTail, stop };
}

/** llama-server's /slots: which slots are busy now. */
export async function busySlots(url: string): Promise<number> {
  const r = await fetch(`${url}/slots`);
  const slots = (await r.json()) as { is_processing?: boolean }[];
  return slots.filter((s) => s.is_processing).length;
}
