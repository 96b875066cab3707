// The batch-file half of `npm run bench -- scale` (issue 25, item 4): how fast batch files of a whole run are written
// and read back, in the OpenAI batch JSONL format (`vllm run-batch` reads and writes the same). The input lines are
// made by the engine's own batch code (customIdOf, batchBody: src/core/bench/batch.ts); the output file stands in for
// what a run-batch gives back and is not timed. The ideal is a plain JSON.stringify / JSON.parse loop over the same
// lines in memory: no hashing of ids, no file, no lookup of the answers' places.

import { createReadStream, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BATCH_ENDPOINT, batchBody, customIdOf } from '../../src/core/llm/batch-api';
import type { ChatRequest } from '../../src/core/llm/types';
import { benchDir } from './bench-dir';

const MODEL = 'llama3.1:8b';
/** Lines are written in chunks of about this many characters. */
const CHUNK = 1 << 20;
/** The ideal loops work on this many lines at a time, so that 300,000 lines never sit in memory at once. */
const IDEAL_BLOCK = 10_000;

function requestOf(i: number): ChatRequest {
  return {
    messages: [
      { role: 'system', content: `You judge for user-${i % 720}. Persona: prefers short, direct answers.` },
      { role: 'user', content: `Pair ${i}. Response A: a direct answer. Response B: a longer, friendlier one. Which?` },
    ],
    temperature: 0,
    seed: 1,
    choice: ['A', 'B'],
  };
}

function inputLine(id: string, r: ChatRequest): Record<string, unknown> {
  return { custom_id: id, method: 'POST', url: BATCH_ENDPOINT, body: batchBody(MODEL, r) };
}

function outputLine(id: string, i: number): Record<string, unknown> {
  const ok = i % 1000 !== 0; // one line in a thousand is a per-line error, as a real output file may have
  return {
    id: `batch_req_${i}`,
    custom_id: id,
    response: ok
      ? {
          status_code: 200,
          request_id: `req_${i}`,
          body: {
            id: `chatcmpl-${i}`,
            object: 'chat.completion',
            model: MODEL,
            choices: [{ index: 0, message: { role: 'assistant', content: 'A' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 60, completion_tokens: 1, total_tokens: 61 },
          },
        }
      : null,
    error: ok ? null : { code: 'server_error', message: 'the line failed' },
  };
}

async function writeLines(path: string, lines: number, make: (i: number) => string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    let chunk = '';
    for (let i = 0; i < lines; i++) {
      chunk += make(i) + '\n';
      if (chunk.length >= CHUNK) {
        await fh.write(chunk);
        chunk = '';
      }
    }
    await fh.write(chunk);
  } finally {
    await fh.close();
  }
}

/** Reads an output file back: each line's answer to its request's place; an error line is a failed call. */
async function readOutput(path: string, places: Map<string, number>): Promise<{ answered: number; failed: number }> {
  let answered = 0;
  let failed = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const v = JSON.parse(line) as {
      custom_id?: string;
      response?: { status_code?: number; body?: { choices?: { message?: { content?: string } }[] } } | null;
    };
    const place = v.custom_id === undefined ? undefined : places.get(v.custom_id);
    const content = v.response?.status_code === 200 ? v.response.body?.choices?.[0]?.message?.content : undefined;
    if (place !== undefined && typeof content === 'string') answered++;
    else failed++;
  }
  return { answered, failed };
}

/** The plain loops: stringify every line, then parse every line, in blocks; only the loops are timed. */
function idealMs(lines: number): { writeMs: number; readMs: number } {
  let writeMs = 0;
  let readMs = 0;
  for (let start = 0; start < lines; start += IDEAL_BLOCK) {
    const objects = [];
    for (let i = start; i < Math.min(lines, start + IDEAL_BLOCK); i++)
      objects.push({ input: inputLine(`req-${i}`, requestOf(i)), output: outputLine(`req-${i}`, i) });
    let t = performance.now();
    for (const o of objects) JSON.stringify(o.input);
    writeMs += performance.now() - t;
    const texts = objects.map((o) => JSON.stringify(o.output));
    t = performance.now();
    for (const text of texts) JSON.parse(text);
    readMs += performance.now() - t;
  }
  return { writeMs, readMs };
}

export interface BatchFilesFigure {
  lines: number;
  writeMs: number;
  readMs: number;
  idealWriteMs: number;
  idealReadMs: number;
  inputBytes: number;
  answered: number;
  failed: number;
}

export async function benchBatchFiles(lines: number): Promise<BatchFilesFigure> {
  const dir = benchDir('sm-bench-scale-batch-');
  try {
    const input = join(dir, 'fit.bootstrap.input.jsonl');
    const output = join(dir, 'fit.bootstrap.output.jsonl');
    const ids: string[] = [];
    let t = performance.now();
    await writeLines(input, lines, (i) => {
      const r = requestOf(i);
      const id = customIdOf(MODEL, r);
      ids.push(id);
      return JSON.stringify(inputLine(id, r));
    });
    const writeMs = performance.now() - t;
    // What run-batch gives back, lines in another order than asked (any order is allowed): not timed.
    await writeLines(output, lines, (i) => JSON.stringify(outputLine(ids[lines - 1 - i]!, i)));
    t = performance.now();
    const places = new Map<string, number>();
    ids.forEach((id, i) => places.set(id, i));
    const read = await readOutput(output, places);
    const readMs = performance.now() - t;
    const ideal = idealMs(lines);
    const size = statSync(input).size;
    return {
      lines,
      writeMs,
      readMs,
      idealWriteMs: ideal.writeMs,
      idealReadMs: ideal.readMs,
      inputBytes: size,
      ...read,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
