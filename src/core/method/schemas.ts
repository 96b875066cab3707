// JSON schemas for structured output, one per kind of call. The schema name tells a server
// (and a log reader) what a call is for.

import type { ResponseSchema } from '../llm/types';

export const JUDGMENT_SCHEMA: ResponseSchema = {
  name: 'judgment',
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, preference: { type: 'string', enum: ['A', 'B'] } },
    required: ['reasoning', 'preference'],
    additionalProperties: false,
  },
};

export const PERSONA_SCHEMA: ResponseSchema = {
  name: 'persona',
  schema: {
    type: 'object',
    properties: { reasoning: { type: 'string' }, persona: { type: 'string' } },
    required: ['reasoning', 'persona'],
    additionalProperties: false,
  },
};

export const MEMORY_SCHEMA: ResponseSchema = {
  name: 'memory',
  schema: {
    type: 'object',
    properties: { facts: { type: 'array', items: { type: 'string' } } },
    required: ['facts'],
    additionalProperties: false,
  },
};

export const PERSONALIZABLE_SCHEMA: ResponseSchema = {
  name: 'personalizable',
  schema: {
    type: 'object',
    properties: { reason: { type: 'string' }, personalizable: { type: 'boolean' } },
    required: ['reason', 'personalizable'],
    additionalProperties: false,
  },
};
