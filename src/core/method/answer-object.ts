// The JSON object of a model's answer, whichever way it came: structured output already parsed
// by the LLM layer, or text that still holds JSON (a server without schemas, a chatty model).
// Every reader of answers (judge, persona synthesis, memory, classifier) starts here.

import type { ChatResult } from '../llm/types';
import { parseTolerantJson } from '../llm/tolerant-json';
import { isRecord as isObject } from '../is-record';

export function answerObject(result: Pick<ChatResult, 'json' | 'text'>): Record<string, unknown> | undefined {
  if (isObject(result.json)) return result.json;
  const parsed = parseTolerantJson(result.text ?? '');
  return isObject(parsed) ? parsed : undefined;
}
