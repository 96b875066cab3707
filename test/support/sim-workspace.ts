// A workspace of simulated users on disk, for the end-to-end tests and the engine benchmark.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { largerPanel, simulatedPanel, writeUserFile, type SimulatedUser } from './simulated-users';

/** @param size users in the panel: the six of simulatedPanel, or more (largerPanel). */
export function simulatedWorkspace(seed = 1, size = 6): { dir: string; ws: string; users: SimulatedUser[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-sim-'));
  const ws = join(dir, 'ws');
  const users = size > 6 ? largerPanel(seed, size) : simulatedPanel(seed);
  for (const u of users) writeUserFile(ws, u);
  return { dir, ws, users };
}
