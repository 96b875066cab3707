// A recording proxy for llama-server: it sits between the product's OpenAI-compatible provider and the server,
// forwards bytes unchanged and reads `timings.cache_n` / `timings.prompt_n` (and `usage.prompt_tokens`) from
// every chat completion answer, JSON or SSE, and the messages actually sent from every request. The `real`
// benchmark and the real-model layer's multi-slot test read the prefix-cache share of a workload from it.

import { createServer, request, type Server } from 'node:http';
import { estimateTokens } from '../../src/core/llm/estimate';
import type { ChatMessage } from '../../src/core/llm/types';
import { freePort } from '../../tools/embedded-model/llama-server';

export interface RecordedCall {
  /** The system message sent: tells whose call it was. */
  system: string;
  estimate: number;
  /** Prompt tokens the server computed. */
  promptN: number;
  /** Prompt tokens the server took from its prompt (prefix) cache. */
  cacheN: number;
  promptTokens?: number;
  predictedN: number;
}

export interface RecordingProxy {
  url: string;
  /** One entry per answered chat completion, in the order the answers ended. */
  calls: RecordedCall[];
  close(): Promise<void>;
}

/** Forwards every request unchanged to `target` and records the timings llama-server puts in each answer. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => {
      const sent = Buffer.concat(body);
      const up = request(
        { host: hostname, port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const got: Buffer[] = [];
          answer.on('data', (d: Buffer) => (got.push(d), res.write(d)));
          // A server dying mid-answer reaches the client as a cut connection, exactly as without the proxy.
          answer.on('aborted', () => res.destroy());
          answer.on('error', () => res.destroy());
          answer.on('end', () => {
            if (req.url?.endsWith('/chat/completions')) {
              const call = recorded(sent.toString('utf8'), Buffer.concat(got).toString('utf8'));
              if (call) calls.push(call);
            }
            res.end();
          });
        },
      );
      // Unreachable server: cut the client's connection too (a 502 would make the product retry a dead server).
      up.on('error', () => res.destroy());
      up.end(sent);
    });
  });
  const port = await freePort();
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((res) => (server.closeAllConnections(), server.close(() => res()))),
  };
}

function recorded(sent: string, answer: string): RecordedCall | undefined {
  // SSE carries timings in the last chunk (and again in the usage chunk): the last occurrence is the call's.
  const timings = [...answer.matchAll(/"timings"\s*:\s*(\{[^{}]*\})/g)].pop()?.[1];
  const usage = [...answer.matchAll(/"prompt_tokens"\s*:\s*(\d+)/g)].pop()?.[1];
  if (!timings) return undefined;
  const t = JSON.parse(timings) as { cache_n?: number; prompt_n?: number; predicted_n?: number };
  const messages = (JSON.parse(sent) as { messages: ChatMessage[] }).messages;
  return {
    system: messages[0]?.content ?? '',
    estimate: estimateTokens(messages),
    promptN: t.prompt_n ?? 0,
    cacheN: t.cache_n ?? 0,
    predictedN: t.predicted_n ?? 0,
    ...(usage ? { promptTokens: Number(usage) } : {}),
  };
}

export const sumOf = (calls: readonly RecordedCall[], f: (c: RecordedCall) => number) =>
  calls.reduce((n, c) => n + f(c), 0);

/** Share of prompt tokens served from the cache; `warmOnly` leaves out each user's first call, which cannot hit. */
export function cacheShare(calls: readonly RecordedCall[], warmOnly = false): number {
  const c = warmOnly ? calls.filter((x, i) => calls.findIndex((y) => y.system === x.system) !== i) : calls;
  return (
    sumOf(c, (x) => x.cacheN) /
    Math.max(
      1,
      sumOf(c, (x) => x.cacheN + x.promptN),
    )
  );
}
