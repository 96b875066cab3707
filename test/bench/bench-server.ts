// The provider benchmark's loopback server, in a worker thread when it can be. A real model
// server is another machine: its CPU must not count against the client's overhead. On a
// two-core machine a server in the benchmark's own event loop would take about half of the
// time the benchmark means to measure. The worker's code is bundled from source at run time
// (with the project's esbuild), since `npm run bench` runs one prebuilt bundle; without the
// sources or esbuild, the server falls back to running in-process, and the figures say so.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoopbackServer } from '../support/loopback-llm';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { WorkerReply, WorkerRequest } from './bench-server-worker';
import { judgeBrain } from './judge-brain';

export interface BenchServer {
  url: string;
  where: 'worker thread' | 'in-process';
  stats(): Promise<{ chat: number; maxInFlight: number }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const WORKER_SOURCE = join('test', 'bench', 'bench-server-worker.ts');

function findRoot(): string | undefined {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, WORKER_SOURCE))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

let workerCode: Promise<string | undefined> | undefined;

async function buildWorker(): Promise<string | undefined> {
  const root = findRoot();
  if (!root) return undefined;
  try {
    // Loaded at run time from the project, so that the benchmark bundle does not contain esbuild.
    const esbuild = createRequire(join(root, 'package.json'))('esbuild') as typeof import('esbuild');
    const out = await esbuild.build({
      entryPoints: [join(root, WORKER_SOURCE)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0]?.text;
  } catch {
    return undefined;
  }
}

export async function startBenchServer(kind: 'ollama' | 'openai', latencyMs: number): Promise<BenchServer> {
  workerCode ??= buildWorker();
  const code = await workerCode;
  if (code) return startInWorker(code, kind, latencyMs);
  const options = { latencyMs, brain: judgeBrain };
  const server: LoopbackServer =
    kind === 'ollama' ? await startLoopbackOllama(options) : await startLoopbackOpenAI(options);
  return {
    url: server.url,
    where: 'in-process',
    stats: async () => ({ chat: server.stats.chat, maxInFlight: server.stats.maxInFlight }),
    reset: async () => server.reset(),
    close: () => server.close(),
  };
}

async function startInWorker(code: string, kind: 'ollama' | 'openai', latencyMs: number): Promise<BenchServer> {
  const worker = new Worker(code, { eval: true, workerData: { kind, latencyMs } });
  const next = <T extends WorkerReply['type']>(type: T): Promise<Extract<WorkerReply, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        if (m.type !== type) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(m as Extract<WorkerReply, { type: T }>);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  const send = (m: WorkerRequest) => worker.postMessage(m);
  const { url } = await next('ready');
  return {
    url,
    where: 'worker thread',
    async stats() {
      const reply = next('stats');
      send({ type: 'stats' });
      const { chat, maxInFlight } = await reply;
      return { chat, maxInFlight };
    },
    async reset() {
      const reply = next('reset');
      send({ type: 'reset' });
      await reply;
    },
    async close() {
      const reply = next('closed');
      send({ type: 'close' });
      await reply;
      await worker.terminate();
    },
  };
}
