// The hash every editable text is known by (prompts, personas, their versions): `sha256:` and the first
// 16 hex digits. Recorded in provenance and run headers, so a run knows which text made it.

import { createHash } from 'node:crypto';

export function textHash(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex').slice(0, 16);
}
