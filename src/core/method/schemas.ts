// JSON schemas for structured output, one per kind of call. The schema name tells a server
// (and a log reader) what a call is for; the output cap bounds the answer's length.
//
// Output caps (tokens), generous for a real model's answer and small enough that a model stuck in a loop
// stops within seconds: a judge's brief reasoning and a letter take 50-250 tokens on Llama 3.1 8B; a
// bootstrap's hypotheses up to about 400; a persona about 300-700; a memory list about 300.

import type { ResponseSchema } from '../llm/types';

export const JUDGMENT_SCHEMA: ResponseSchema = {
  name: 'judgment',
  capKind: 'judge',
  outputCap: 512,
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
    required: ['reasoning', 'preference'],
    additionalProperties: false,
  },
};

/** The bootstrap's answer: the same shape, with room for hypotheses about the user before the pick. */
export const BOOTSTRAP_SCHEMA: ResponseSchema = { ...JUDGMENT_SCHEMA, outputCap: 768, capKind: 'bootstrap' };

export const PERSONA_SCHEMA: ResponseSchema = {
  name: 'persona',
  capKind: 'persona',
  outputCap: 1024,
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, persona: { type: 'string' } },
    required: ['reasoning', 'persona'],
    additionalProperties: false,
  },
};

export const MEMORY_SCHEMA: ResponseSchema = {
  name: 'memory',
  capKind: 'memory',
  outputCap: 768,
  schema: {
    type: 'object',
    properties: { facts: { type: 'array', items: { type: 'string' } } },
    required: ['facts'],
    additionalProperties: false,
  },
};

export const PERSONALIZABLE_SCHEMA: ResponseSchema = {
  name: 'personalizable',
  capKind: 'personalizable',
  outputCap: 256,
  schema: {
    type: 'object',
    properties: { reason: { type: 'string' }, personalizable: { type: 'boolean' } },
    required: ['reason', 'personalizable'],
    additionalProperties: false,
  },
};
