// Runs the built CLI as a user would, with no model settings from this machine's environment: the real-model
// tests and the real-models bench drive the product through it.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(
  __dirname.includes('/out/') ? __dirname.slice(0, __dirname.indexOf('/out/')) : process.cwd(),
);
const CLI = join(ROOT, 'dist', 'cli.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The CLI's documented --json shapes. */
  json: any;
}

export function cli(args: string[], opts: { onSpawn?: (pid: number) => void } = {}): Promise<CliRun> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(OPENAI_|OLLAMA_)/.test(k)) delete env[k];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    opts.onSpawn?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      res({ code: code ?? 1, stdout, stderr, json });
    });
  });
}
