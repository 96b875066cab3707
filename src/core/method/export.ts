// Exporting a persona model for use outside this tool: as a ready judge prompt (chat messages
// with a placeholder for the pair) or as a system prompt that tells an assistant about the user.

import type { ChatMessage } from '../llm/types';
import type { Pair } from '../data/pair';
import { judgeSystem } from './messages';
import type { PersonaModel } from './persona-file';
import { demosOf } from './methods';

export function exportJudgePrompt(model: PersonaModel, judgeInstructions: string, pairs: readonly Pair[]): ChatMessage[] {
  const demos = pairs.length ? demosOf(model, pairs) : [];
  return [
    { role: 'system', content: judgeSystem(judgeInstructions, { persona: model.persona, demos }) },
    {
      role: 'user',
      content: '<conversation>\n{{conversation}}\n</conversation>\n\n<response_a>\n{{response_a}}\n</response_a>\n\n<response_b>\n{{response_b}}\n</response_b>\n\nWhich reply would this user prefer, A or B?',
    },
  ];
}

export function exportGenerationPrompt(model: PersonaModel): string {
  return [
    'You are a helpful assistant. You are talking with a user you know something about.',
    'Shape your replies to what this user values (length, structure, tone, evidence, style), without mentioning that you were told about them.',
    '',
    '<user_persona>',
    model.persona.trim(),
    '</user_persona>',
  ].join('\n');
}
