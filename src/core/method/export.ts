// Exporting a persona model for use outside this tool: as a ready judge prompt (chat messages
// with a placeholder for the pair) or as a system prompt that tells an assistant about the user,
// with the user's demonstrations in both.

import type { ChatMessage } from '../llm/types';
import type { Pair } from '../data/pair';
import { judgeSystem } from './messages';
import type { PersonaModel } from './persona-file';
import { demosOf } from './methods';
import { escapeMarkup, isLabelled, renderConversation, tagged, type Demo } from './render';

export function exportJudgePrompt(
  model: PersonaModel,
  judgeInstructions: string,
  pairs: readonly Pair[],
): ChatMessage[] {
  const demos = pairs.length ? demosOf(model, pairs) : [];
  return [
    { role: 'system', content: judgeSystem(judgeInstructions, { persona: model.persona, demos }) },
    {
      role: 'user',
      content:
        '<conversation>\n{{conversation}}\n</conversation>\n\n' +
        '<response_a>\n{{response_a}}\n</response_a>\n\n' +
        '<response_b>\n{{response_b}}\n</response_b>\n\n' +
        'Which reply would this user prefer, A or B?',
    },
  ];
}

/**
 * A system prompt that tells an assistant about the user: the persona and, as the reference's
 * generation prompt does, the demonstrations (each past choice with the reply the user preferred, the
 * one they did not and, for a verified one, why). `demos` empty gives the persona alone.
 */
export function exportGenerationPrompt(model: PersonaModel, demos: readonly { pair: Pair; demo: Demo }[] = []): string {
  const out = [
    'You are a helpful assistant. You are talking with a user you know something about.',
    'Shape your replies to what this user values (length, structure, tone, evidence, style), ' +
      'without mentioning that you were told about them.',
    '',
    '<user_persona>',
    // Data inside the prompt's own tags is escaped, as in the judge's prompt (render.ts): a persona or a
    // pair that holds `</user_persona>` or `<choice>` must not close or forge them.
    escapeMarkup(model.persona.trim()),
    '</user_persona>',
  ];
  if (demos.length) {
    out.push(
      '',
      'Past choices of this user: each time they saw two replies to the same conversation and preferred one. ' +
        'Learn what they value from them; do not repeat these conversations.',
      '',
      '<past_choices>',
    );
    demos.forEach(({ pair, demo }, i) => {
      out.push(
        `<choice number="${i + 1}">`,
        tagged('conversation', renderConversation(pair.context)),
        tagged('preferred_reply', escapeMarkup(pair.chosen.content)),
        tagged('other_reply', escapeMarkup(pair.rejected.content)),
      );
      if (!isLabelled(demo)) out.push(tagged('why', escapeMarkup(demo.reasoning)));
      out.push('</choice>');
    });
    out.push('</past_choices>');
  }
  return out.join('\n');
}
