// The loopback servers hand a brain the JSON schema itself (Ollama's `format` has no name);
// the simulated brain wants to know the kind of call. A real model would infer it from the
// schema's fields too, so this adapter does exactly that.

import type { Brain, BrainRequest } from './loopback-llm';

export function schemaName(schema: Record<string, unknown> | undefined): string | undefined {
  const props = (schema?.properties ?? {}) as Record<string, unknown>;
  if ('preference' in props) return 'judgment';
  // A rubric answer holds a persona too (`rubric`): its criteria say what it is.
  if ('criteria' in props) return 'rubric';
  if ('persona' in props) return 'persona';
  if ('facts' in props) return 'memory';
  if ('personalizable' in props) return 'personalizable';
  return undefined;
}

type NamedBrain = (request: {
  model: string;
  messages: { role: string; content: string }[];
  schema?: { name: string; schema: object };
  temperature?: number;
  seed?: number;
}) => string;

export function adaptBrain(brain: NamedBrain): Brain {
  return (req: BrainRequest) => {
    const name = schemaName(req.schema);
    return brain({
      model: req.model,
      messages: req.messages,
      ...(req.schema && name ? { schema: { name, schema: req.schema } } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.seed !== undefined ? { seed: req.seed } : {}),
    });
  };
}
