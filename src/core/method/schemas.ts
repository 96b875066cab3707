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

const RUBRIC_PROPERTIES = {
  criteria: {
    type: 'array',
    items: {
      type: 'object',
      properties: { name: { type: 'string' }, weight: { type: 'number', minimum: 0 } },
      required: ['name', 'weight'],
      additionalProperties: false,
    },
  },
  scores: {
    type: 'object',
    properties: {
      A: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 10 } },
      B: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 10 } },
    },
    required: ['A', 'B'],
    additionalProperties: false,
  },
};

/**
 * The `rubric` method's answer: a persona written on the fly, weighted criteria, a 1-10 score per criterion for each
 * reply. Up to about 300 tokens of persona and 200 of criteria and scores on an 8B model: room for twice that.
 */
export const RUBRIC_SCHEMA: ResponseSchema = {
  name: 'rubric',
  capKind: 'rubric',
  outputCap: 1024,
  schema: {
    type: 'object',
    properties: { persona: { type: 'string' }, ...RUBRIC_PROPERTIES },
    required: ['persona', 'criteria', 'scores'],
    additionalProperties: false,
  },
};

/** `rubric+persona`: the persona file's persona is given, so the answer holds the criteria and scores only. */
export const RUBRIC_GIVEN_PERSONA_SCHEMA: ResponseSchema = {
  ...RUBRIC_SCHEMA,
  schema: {
    type: 'object',
    properties: RUBRIC_PROPERTIES,
    required: ['criteria', 'scores'],
    additionalProperties: false,
  },
};
