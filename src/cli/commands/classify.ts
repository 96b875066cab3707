// synthesizeme classify: the personalizable classifier (PersonalRewardBench step 2) alone, over a
// preference file: for each pair, would reasonable people disagree about which response is
// better? Useful at inference time to decide whether to show a user two responses at all.

import { checkNamedDataFile } from '../../core/read-guard';
import { dirname, join, relative, resolve } from 'node:path';
import { flag, type Command } from '../command';
import { readPromptOption } from './bench-prepare';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { Progress } from '../progress';
import { rethrowCancelled, usageLine } from '../run-context';
import { UsageError } from '../usage-error';
import { readPreferenceFile } from '../../core/data';
import { classifyPairs } from '../../core/bench';
import { DEFAULT_PROMPTS, PERSONALIZABLE_SCHEMA, personalizableMessages } from '../../core/method';

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
    // The file's folder is its workspace (its cache goes there): a link planted at the named path is not
    // followed out of it, and its text never reaches the server (write-guard.ts, read-guard.ts).
    await checkNamedDataFile(path);
    const parse = await readPreferenceFile(path, rel(path), io.signal);
    for (const p of parse.problems) io.stderr(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
    if (!parse.pairs.length) throw new UsageError(`classify: no valid preference pair in ${file}`);
    const seed = args.values.seed !== undefined ? Number(args.values.seed) : 0;
    if (!Number.isInteger(seed)) throw new UsageError(`--seed: expected an integer, got "${String(args.values.seed)}"`);
    const temperature = temperatureFrom(args, {});
    const llm = openLlm(args, io, {}, join(dirname(path), '.synthesizeme', 'cache'));
    const json = flag(args, 'json');
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    try {
      const instructions = await readPromptOption(args, io, 'prompt', DEFAULT_PROMPTS.personalizable);
      if (flag(args, 'dry-run')) {
        const est = await llm.estimate(
          parse.pairs.map((p) => ({
            messages: personalizableMessages(instructions, p),
            schema: PERSONALIZABLE_SCHEMA,
            temperature,
            seed,
          })),
          { defaultCompletionTokens: 60 },
        );
        const out = {
          calls: est.calls,
          cachedCalls: est.cachedCalls,
          promptTokens: est.promptTokens,
          completionTokens: est.completionTokens,
          costUsd: est.costUsd ?? null,
          excludes: ['retries'],
        };
        if (json) io.stdout(JSON.stringify(out) + '\n');
        else
          io.stdout(
            `Dry run: ${est.calls} call(s) (${est.cachedCalls} more from cache; retries not included), about ${est.promptTokens} prompt + ${est.completionTokens} completion tokens.\n`,
          );
        return 0;
      }
      let done = 0;
      const results = await classifyPairs(llm, instructions, parse.pairs, {
        temperature,
        seed,
        signal: io.signal,
        onResult: () => progress.update('classify', ++done, parse.pairs.length),
      });
      progress.done();
      const yes = results.filter((r) => r.personalizable === true).length;
      if (json) {
        io.stdout(
          JSON.stringify({
            pairs: results.length,
            personalizable: yes,
            results: results.map((r) => ({
              pairId: r.pairId,
              userId: r.userId,
              personalizable: r.personalizable,
              reason: r.reason,
              ...(r.error ? { error: r.error } : {}),
            })),
          }) + '\n',
        );
      } else {
        for (const r of results)
          io.stdout(
            `${r.pairId}: ${r.personalizable === null ? 'no label' : r.personalizable ? 'personalizable' : 'not personalizable'}: ${r.error ?? r.reason}\n`,
          );
        io.stdout(`${yes} of ${results.length} pair(s) personalizable; ${usageLine(llm)}.\n`);
      }
      return 0;
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, `synthesizeme classify ${file}`);
    } finally {
      await llm.dispose();
    }
  },
};
