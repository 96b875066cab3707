// What the reward-model tests share: the models' names, a chat brain that fits a known persona, and the CLI's eval
// against a loopback vLLM server.

import { defaultBrain, type BrainRequest } from '../support/loopback-llm';
import type { LoopbackServer, VllmState } from '../support/loopback-openai';
import { cli } from './revalidate-fixture';

export const CHAT = 'judge-8b';
export const RM = 'Skywork/Skywork-Reward-V2-Llama-3.1-8B';
export const PERSONA = 'Wants replies short and to the point.';
/** The fixture's test pairs: 2 users with 30 pairs each, 10 of each in the test split. */
export const TEST_PAIRS = 20;

/** The chat model: a fixed persona, schema-shaped answers otherwise (fitting only needs answers). */
export function fitBrain(req: BrainRequest): string {
  const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
  if ('persona' in props && !('criteria' in props))
    return JSON.stringify({ reasoning: 'common ground', persona: PERSONA });
  return defaultBrain(req);
}

export type Server = LoopbackServer & { vllm: VllmState };
export type Result = {
  method: string;
  model: string;
  accuracy: number;
  consistency: number | null;
  pairs: number;
  samples: number;
  pointwise?: boolean;
  ties?: number;
  margin?: { mean: number; ci95: [number, number] } | null;
  complete: boolean;
  run: string;
};

/** `synthesizeme eval ws ...` against the server, the chat model on it; the exit code and the CLI's output. */
export async function evalCli(dir: string, server: Server, ...args: string[]) {
  const c = cli(dir);
  const code = await c.run(
    'eval',
    'ws',
    '--all',
    '--provider',
    'openai',
    '--base-url',
    server.url,
    '--model',
    CHAT,
    ...args,
  );
  return { code, c };
}
