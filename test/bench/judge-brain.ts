// The loopback "model" of the provider benchmark: it prefers the direct answer wherever the
// prompt shows it, and answers in the verdict schema. Cheap on purpose: the benchmark measures
// the client side, not a brain.
import type { BrainRequest } from '../support/loopback-llm';

export function judgeBrain(request: BrainRequest): string {
  const text = request.messages[request.messages.length - 1]?.content ?? '';
  const preference = text.indexOf('a direct answer') < text.indexOf('a longer, friendlier') ? 'A' : 'B';
  return JSON.stringify({ reasoning: 'The user asks a practical question; the direct answer serves it.', preference });
}
