// Show a user's persona: its text, its demonstrations and where it came from. Reads a file, calls no model,
// so it asks for no confirmation.

import type * as vscode from 'vscode';
import { type PersonaModel } from '../../core/method';
import { percent } from '../../core/percent';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import { readPersonaOf } from '../commands/run-inputs';
import { stringField, textResult, userOf } from './tool-input';

function personaText(model: PersonaModel, path: string, pairs: number): string {
  const p = model.provenance;
  const v = p.validation;
  const fitted = v
    ? `; at the fit, ${percent(v.accuracy)} on validation (${v.correct} of ${v.evaluated} orders judged right)`
    : '';
  const lines = [
    `Persona of user ${model.userId} (${path}; ${pairs} preference pairs in the workspace):`,
    model.persona.trim(),
    '',
    `Fitted by ${p.provider} ${p.model} on ${p.created}${p.edited ? ', edited by hand since' : ''}${fitted}.`,
    `Demonstrations (${model.demos.length}):`,
    ...model.demos.map((d) => `- ${d.pairId} (order ${d.order}, prefers ${d.preference}): ${d.reasoning.trim()}`),
  ];
  return lines.join('\n');
}

export function personaTool(ctx: Ctx): vscode.LanguageModelTool<unknown> {
  return {
    prepareInvocation(options) {
      return { invocationMessage: `Reading ${stringField(options.input, 'userId', true)}'s persona` };
    },
    async invoke(options) {
      const { folder, user } = await userOf(ctx, options.input, "Show a user's persona");
      const persona = await readPersonaOf(folder, user.id);
      if (!persona) throw new UserError(`user "${user.id}" has no persona yet: run Fit User first`);
      return textResult(personaText(persona.model, folder.relative(persona.path), user.pairs.length));
    },
  };
}
