// The two candidate responses of a collection step: each source is a model and a system prompt (two
// models, two system prompts, or the user's persona-steered generation prompt against a default).
// A failed generation is an error, and nothing is appended; two identical responses are generated
// once more with another seed, and if they are still the same the step is skipped with a note.

import type { ChatModel } from '../llm/types';
import { pastCap } from '../llm/cut-answer';
import type { Turn } from '../data/pair';
import { isFatal } from '../method/judge';
import { UserError } from '../user-error';

export interface ResponseSource {
  /** How the source is recorded in the pair's meta and shown: "llama3.1:8b" or "llama3.1:8b + persona". */
  label: string;
  model: ChatModel;
  system: string;
}

export const DEFAULT_SYSTEM = 'You are a helpful assistant.';

/**
 * The most tokens a candidate response may take. A response that reaches it was cut (or the model ran
 * away: Gemma 3 270M wrote 7,888 tokens to one prompt before this cap existed), and a cut response is
 * no fair candidate: it is a failed generation, and nothing is appended.
 */
export const GENERATION_CAP = 1024;

export interface GenerateOptions {
  temperature: number;
  seed: number;
  signal?: AbortSignal;
  /** How far the pair's generation has come: as the answers stream, and as each one ends. */
  onProgress?: (g: GenerationProgress) => void;
  /** Tests: the clock the speed is measured by. */
  clock?: () => number;
}

/** How far the generation of a pair's two responses has come. */
export interface GenerationProgress {
  /** Tokens written so far by both sources: from the streamed text (about 4 characters a token), then the server's count. */
  tokens: number;
  /** Tokens a second since the generation began; absent in its first second. */
  tokensPerSecond?: number;
  /** Responses finished, of 2. */
  finished: number;
  elapsedMs: number;
}

/** "generating the responses: 1 of 2 done, 310 tokens, 24.5 tokens/s". */
export function generationText(g: GenerationProgress): string {
  const speed = g.tokensPerSecond !== undefined ? `, ${g.tokensPerSecond.toFixed(1)} tokens/s` : '';
  return `generating the responses: ${g.finished} of 2 done, ${g.tokens} tokens${speed}`;
}

/** Most progress events a second while the answers stream (each response's end is always said). */
const PROGRESS_EVERY_MS = 200;

/** Counts one attempt's two generations as they stream and end, and says so to `onProgress`. */
class GenerationMeter {
  private readonly chars = [0, 0];
  private readonly counted: (number | undefined)[] = [undefined, undefined];
  private finished = 0;
  private readonly started: number;
  private said = -Infinity;

  constructor(
    private readonly onProgress: (g: GenerationProgress) => void,
    private readonly now: () => number,
  ) {
    this.started = now();
  }

  piece(i: 0 | 1, text: string): void {
    this.chars[i]! += text.length;
    this.emit(false);
  }

  done(i: 0 | 1, completionTokens: number): void {
    this.counted[i] = completionTokens;
    this.finished++;
    this.emit(true);
  }

  private emit(always: boolean): void {
    const t = this.now();
    if (!always && t - this.said < PROGRESS_EVERY_MS) return;
    this.said = t;
    const tokens = [0, 1].reduce((a, i) => a + (this.counted[i] ?? Math.ceil(this.chars[i]! / 4)), 0);
    const elapsedMs = t - this.started;
    const speed = elapsedMs >= 1000 ? { tokensPerSecond: (1000 * tokens) / elapsedMs } : {};
    this.onProgress({ tokens, finished: this.finished, elapsedMs, ...speed });
  }
}

export type Candidates = { ok: true; responses: [string, string] } | { ok: false; note: string };

const same = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

async function generate(
  source: ResponseSource,
  context: readonly Turn[],
  opts: GenerateOptions,
  seed: number,
  meter?: { piece: (text: string) => void; done: (completionTokens: number) => void },
): Promise<string> {
  try {
    const r = await source.model.chat(
      {
        messages: [
          { role: 'system', content: source.system },
          ...context.map((t) => ({
            role: t.role === 'assistant' ? ('assistant' as const) : ('user' as const),
            content: t.content,
          })),
        ],
        temperature: opts.temperature,
        seed,
        maxTokens: GENERATION_CAP,
        purpose: 'collect generation',
        ...(meter ? { onText: meter.piece } : {}),
      },
      opts.signal,
    );
    meter?.done(r.usage.completionTokens);
    if (!r.text.trim()) throw new UserError(`${source.label} returned an empty response`);
    if (r.usage.completionTokens >= GENERATION_CAP)
      throw new UserError(
        `${source.label}'s response was cut at ${GENERATION_CAP} tokens (too long, or the model ran away): not a fair candidate`,
      );
    // Not stopped at the cap, whatever the server's usage says (it miscounts, or ignores the cap): a failed generation.
    if (pastCap(r.text, GENERATION_CAP)) {
      throw new UserError(
        `${source.label}'s response is ${r.text.length.toLocaleString('en-US')} characters, far past what its cap ` +
          `of ${GENERATION_CAP} tokens can hold (the server counted ${r.usage.completionTokens}): not a fair candidate`,
      );
    }
    return r.text.trim();
  } catch (err) {
    if (isFatal(err) || opts.signal?.aborted || err instanceof UserError) throw err;
    throw new UserError(`generating with ${source.label} failed: ${(err as Error).message}`);
  }
}

export async function generateCandidates(
  a: ResponseSource,
  b: ResponseSource,
  context: readonly Turn[],
  opts: GenerateOptions,
): Promise<Candidates> {
  if (!context.length || context[context.length - 1]!.role !== 'user')
    throw new UserError('a prompt to answer must end with a user turn');
  for (let attempt = 0; attempt < 2; attempt++) {
    // Another seed on the second attempt: the same seed gives a deterministic server the same answer.
    const seed = opts.seed + attempt * 7919;
    const meter = opts.onProgress ? new GenerationMeter(opts.onProgress, opts.clock ?? Date.now) : undefined;
    const side = (i: 0 | 1) =>
      meter ? { piece: (t: string) => meter.piece(i, t), done: (n: number) => meter.done(i, n) } : undefined;
    const [ra, rb] = await Promise.all([
      generate(a, context, opts, seed, side(0)),
      generate(b, context, opts, seed + 1, side(1)),
    ]);
    if (!same(ra, rb)) return { ok: true, responses: [ra, rb] };
  }
  return {
    ok: false,
    note: `${a.label} and ${b.label} gave the same response twice: skipped (nothing to choose between)`,
  };
}
