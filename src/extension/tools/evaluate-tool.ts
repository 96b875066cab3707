// Evaluate a user: a method on the user's test (or validation) pairs, Evaluate's own job (evaluateUsers), with
// the figures the CLI prints: accuracy with its interval, consistency, each user, the run file.

import type * as vscode from 'vscode';
import { evalResultText } from '../../core/eval';
import { isMethod, type Method, METHODS } from '../../core/method';
import { UserError } from '../../core/user-error';
import type { Ctx } from '../ctx';
import { evaluateUsers } from '../commands/evaluate';
import { confirmation, stringField, textResult, userOf } from './tool-input';

function methodOf(input: unknown): Method {
  const m = stringField(input, 'method') ?? 'persona+demos';
  if (!isMethod(m)) throw new UserError(`unknown method "${m}" (one of: ${METHODS.join(', ')})`);
  return m;
}

function splitOf(input: unknown): 'test' | 'validation' {
  const s = stringField(input, 'split') ?? 'test';
  if (s !== 'test' && s !== 'validation') throw new UserError(`"split" is test or validation, not "${s}"`);
  return s;
}

export function evaluateTool(ctx: Ctx): vscode.LanguageModelTool<unknown> {
  return {
    prepareInvocation(options) {
      const userId = stringField(options.input, 'userId', true);
      const method = methodOf(options.input);
      const split = splitOf(options.input);
      return confirmation(
        `Evaluate ${userId}`,
        `Evaluate **${method}** on ${userId}'s ${split} pairs: the judge model is called for each pair in both ` +
          'orders (answers already cached or in a finished run are reused), and the verdicts go to a run file.',
        `Evaluating ${method} on ${userId}'s ${split} pairs`,
      );
    },
    async invoke(options, token) {
      const method = methodOf(options.input);
      const split = splitOf(options.input);
      const { folder, user } = await userOf(ctx, options.input, `Evaluate ${method}`);
      const r = await evaluateUsers(ctx, folder, [user], method, split, undefined, token);
      const lines = [evalResultText(r, (p) => folder.relative(p)).trimEnd()];
      for (const s of r.skipped) lines.push(`skipped ${s.user}: ${s.reason}`);
      if (!r.complete)
        lines.push(
          `INCOMPLETE: ${r.failed.calls} call(s) failed for ${r.failed.pairs} pair(s) ` +
            `(${r.failed.reasons[0]?.message ?? 'no reason given'}); the figures leave those pairs out, ` +
            'and running the tool again judges them.',
        );
      return textResult(lines.join('\n'));
    },
  };
}
