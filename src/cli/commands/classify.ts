// synthesizeme classify: the personalizable classifier (PersonalRewardBench step 2) alone, over a
// preference file: for each pair, would reasonable people disagree about which response is
// better? Useful at inference time to decide whether to show a user two responses at all.

import { dirname, join, relative, resolve } from 'node:path';
import { flag, type Command, type CommandIO } from '../command';
import { readPromptOption } from './bench-prepare';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { Progress } from '../progress';
import { commandLine, rethrowCancelled, usageLine } from '../run-context';
import { estimateJson, tokensText } from '../estimate-text';
import { UsageError } from '../usage-error';
import { type Llm, type RunEstimate } from '../../core/llm';
import { type Problem } from '../../core/data';
import { type ClassifyOutcome, estimateClassify, labelText, prepareClassify, runClassify } from '../../core/bench';
import { DEFAULT_PROMPTS } from '../../core/method';

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'label each pair of a preference file personalizable or not, with a reason',
  help: `Usage: synthesizeme classify <file> [--json] [model options]

Asks the model, for each pair, whether reasonable people could disagree about which response is
better (PersonalRewardBench's personalizable filter). Prints each pair's label and reason.
  --json          {"pairs": N, "personalizable": N, "results": [{"pairId", "personalizable", "reason"}]}
  --prompt FILE   the classifier's instructions (default: the built-in personalizable prompt,
                  the same text a workspace writes to prompts/personalizable.prompt.md)
${modelOptionHelp}

Example:
  synthesizeme classify examples/workspace/ada.prefs.jsonl --model llama3.1:8b`,
  options: { json: { type: 'boolean' }, seed: { type: 'string' }, prompt: { type: 'string' }, ...modelOptionSpec },

  async run(args, io) {
    const file = args.positionals[0];
    if (!file) throw new UsageError('classify: give a preference file (see synthesizeme classify --help)');
    const path = resolve(io.cwd, file);
    const rel = (p: string) => relative(io.cwd, p) || p;
    const seed = args.values.seed !== undefined ? Number(args.values.seed) : 0;
    if (!Number.isInteger(seed)) throw new UsageError(`--seed: expected an integer, got "${String(args.values.seed)}"`);
    const json = flag(args, 'json');
    const llm = openLlm(args, io, {}, join(dirname(path), '.synthesizeme', 'cache'));
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    try {
      const plan = await prepareClassify(
        {
          source: { path, display: rel(path) },
          model: llm,
          instructions: await readPromptOption(args, io, 'prompt', DEFAULT_PROMPTS.personalizable),
          temperature: temperatureFrom(args, {}),
          seed,
          command: 'classify',
        },
        { signal: io.signal, onProblems: (problems) => printProblems(io, problems) },
      );
      if (flag(args, 'dry-run')) return printDryRun(io, json, await estimateClassify(plan));
      const outcome = await runClassify(plan, {
        signal: io.signal,
        onProgress: (done, total) => progress.update('classify', done, total),
      });
      progress.done();
      printOutcome(io, json, outcome, llm);
      return 0;
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, commandLine('classify', args));
    } finally {
      await llm.dispose();
    }
  },
};

function printProblems(io: CommandIO, problems: readonly Problem[]): void {
  for (const p of problems) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
}

function printDryRun(io: CommandIO, json: boolean, est: RunEstimate): number {
  if (json) io.stdout(JSON.stringify({ ...estimateJson(est), excludes: ['retries'] }) + '\n');
  else
    io.stdout(
      `Dry run: ${est.calls} call(s) (${est.cachedCalls} more from cache; retries not included), ` +
        `about ${tokensText(est)}.\n`,
    );
  return 0;
}

function printOutcome(io: CommandIO, json: boolean, outcome: ClassifyOutcome, llm: Llm): void {
  const { results } = outcome;
  if (json) {
    io.stdout(
      JSON.stringify({
        pairs: outcome.pairs,
        personalizable: outcome.personalizable,
        results: results.map((r) => ({
          pairId: r.pairId,
          userId: r.userId,
          personalizable: r.personalizable,
          reason: r.reason,
          ...(r.error ? { error: r.error } : {}),
        })),
      }) + '\n',
    );
    return;
  }
  for (const r of results) io.stdout(`${r.pairId}: ${labelText(r)}: ${r.error ?? r.reason}\n`);
  io.stdout(`${outcome.personalizable} of ${outcome.pairs} pair(s) personalizable; ${usageLine(llm)}.\n`);
}
