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
