// A workspace of simulated users on disk, for the end-to-end tests and the engine benchmark.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatedPanel, writeUserFile, type SimulatedUser } from './simulated-users';

export function simulatedWorkspace(seed = 1): { dir: string; ws: string; users: SimulatedUser[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-sim-'));
  const ws = join(dir, 'ws');
  const users = simulatedPanel(seed);
  for (const u of users) writeUserFile(ws, u);
  return { dir, ws, users };
}

/** A persona a person would write who knows the user's hidden traits. */
export const PLAIN_TRAIT_STATEMENTS: Record<string, string> = {
  concise: 'Prefers concise answers of a few sentences; dislikes long, padded replies.',
  steps: 'Prefers step-by-step answers as numbered lists.',
  sources: 'Wants sources and citations for claims.',
  'no-emoji': 'Dislikes emoji.',
  formal: 'Prefers a formal tone: no slang, contractions or exclamation marks.',
  code: 'Wants a code example in a fenced code block.',
};
