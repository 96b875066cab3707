// Every bench works in a temporary folder of its own. The write guard refuses any folder not registered once
// something has registered one (the engine bench opens a workspace, which registers it): a bench that ran
// alone would pass, and the same bench after another would be refused its own files. So each folder is
// registered for writes (and the reads that obey the same rule) as it is made.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowWritesUnder } from '../../src/core/write-guard';

export function benchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  allowWritesUnder(dir);
  return dir;
}
