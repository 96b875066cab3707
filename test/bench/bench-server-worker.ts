// Entry of the worker thread that runs the benchmark's loopback server (see bench-server.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { LoopbackServer } from '../support/loopback-llm';
import { startLoopbackOllama } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import { judgeBrain } from './judge-brain';

interface WorkerInput {
  kind: 'ollama' | 'openai';
  latencyMs: number;
}

export type WorkerRequest = { type: 'stats' } | { type: 'reset' } | { type: 'close' };
export type WorkerReply =
  | { type: 'ready'; url: string }
  | { type: 'stats'; chat: number; maxInFlight: number }
  | { type: 'reset' }
  | { type: 'closed' };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const { kind, latencyMs } = workerData as WorkerInput;
  const options = { latencyMs, brain: judgeBrain };
  const server: LoopbackServer =
    kind === 'ollama' ? await startLoopbackOllama(options) : await startLoopbackOpenAI(options);
  const reply = (m: WorkerReply) => port.postMessage(m);
  port.on('message', (m: WorkerRequest) => {
    if (m.type === 'stats') reply({ type: 'stats', chat: server.stats.chat, maxInFlight: server.stats.maxInFlight });
    else if (m.type === 'reset') {
      server.reset();
      reply({ type: 'reset' });
    } else if (m.type === 'close') {
      void server.close().then(() => {
        reply({ type: 'closed' });
        port.close();
      });
    }
  });
  reply({ type: 'ready', url: server.url });
}

void main();
