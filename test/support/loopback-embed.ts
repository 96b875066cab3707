// The loopback servers' embeddings endpoints (issue 24, `--similar-users`): Ollama's `POST /api/embed`
// ({model, input: string | string[]} -> {model, embeddings: [[...]], prompt_eval_count}) and the OpenAI-compatible
// `POST /v1/embeddings` ({model, input} -> {object: 'list', data: [{object: 'embedding', index, embedding}], usage}).
// A vector is a hashed bag of words (deterministic; texts that share words are near). `embeddings: false` leaves the
// route out (the server's plain 404), `embeddings: 501` answers as llama.cpp's server started without `--embeddings`
// does (and Ollama passes it on for a model that cannot embed).
import type { ServerResponse } from 'node:http';
import { hash, type LoopbackOptions } from './loopback-llm';

const DIMENSIONS = 64;
const NO_EMBEDDINGS = 'This server does not support embeddings. Start it with `--embeddings`';

/** The vector of a text: each lower-cased word adds 1 to its hashed dimension. */
export function bagOfWords(text: string): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) v[hash(w) % DIMENSIONS]! += 1;
  return v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** Answers an embeddings request; false when the path is none (or the server serves none: its 404). */
export function embedRoute(
  protocol: 'ollama' | 'openai',
  options: LoopbackOptions,
  request: { path: string; method: string; body: Record<string, unknown> | undefined },
  res: ServerResponse,
): boolean {
  const path = protocol === 'ollama' ? '/api/embed' : '/v1/embeddings';
  if (request.path !== path || request.method !== 'POST' || options.embeddings === false) return false;
  if (options.embeddings === 501) {
    const error =
      protocol === 'ollama' ? NO_EMBEDDINGS : { code: 501, message: NO_EMBEDDINGS, type: 'not_supported_error' };
    send(res, 501, { error });
    return true;
  }
  const model = String(request.body?.['model'] ?? '');
  const given = request.body?.['input'];
  const input = (Array.isArray(given) ? given : [given]).map(String);
  const vectors = input.map(bagOfWords);
  const tokens = input.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
  if (protocol === 'ollama') send(res, 200, { model, embeddings: vectors, prompt_eval_count: tokens });
  else
    send(res, 200, {
      object: 'list',
      model,
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  return true;
}
