// The text of a persona file written by hand (no fit): the one way the test layers give a user a persona file, with
// the provenance a fit would record (`over` changes what a test needs, e.g. the provider it names).

import { serializePersona, type Provenance } from '../../src/core/method/persona-file';

export function personaYaml(userId: string, persona: string, over: Partial<Provenance> = {}): string {
  return serializePersona({
    userId,
    persona,
    demos: [],
    provenance: {
      provider: 'ollama',
      model: 'llama3.1:8b',
      seed: 0,
      temperature: 0,
      k: 1,
      stopScore: 1,
      prompts: {},
      created: '2026-01-02T03:04:05.000Z',
      ...over,
    },
  });
}
