// synthesizeme fit: fit a persona model per user and write personas/<user>.persona.yaml.

import { relative } from 'node:path';
import { flag, stringOption, type Command } from '../command';
import { modelOptionHelp, modelOptionSpec, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { Progress } from '../progress';
import { UsageError } from '../usage-error';
import {
  contextJson,
  contextLine,
  openForRun,
  openModel,
  rethrowCancelled,
  usageJson,
  usageLine,
} from '../run-context';
import { fitOptionHelp, fitOptionSpec, fitOptionsFrom } from '../fit-options';
import { isFatal, planFitRequests } from '../../core/method';
import { checkFitTargets, fitAndSave, pairsBySplit } from '../../core/workspace';

export const fitCommand: Command = {
  name: 'fit',
  summary: 'fit a persona model (persona + demonstrations) for one user or all users',
  help: `Usage: synthesizeme fit <workspace> (--user ID | --all) [options]

Runs SynthesizeMe on each user's context pairs, selects on the validation pairs, and writes
personas/<user>.persona.yaml (the previous version is kept in .synthesizeme/history/).
The prompts are the files in <workspace>/prompts/ (written with defaults on first use).

Options:
  --user ID | --all          which users
${fitOptionHelp()}
  --json                     print one JSON object with per-user results and usage
${splitOptionHelp}
${modelOptionHelp}

Example:
  synthesizeme fit examples/workspace --user ada --model llama3.1:8b`,
  options: {
    user: { type: 'string' },
    all: { type: 'boolean' },
    ...fitOptionSpec,
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const { ws, users } = await openForRun(args, io, 'fit');
    // Nothing to fit is bad input (exit 2), as eval says it: "fit: 0/0" with exit 0 read as a success.
    if (!users.length)
      throw new UsageError(
        `fit: no users in ${args.positionals[0]}: no preference file there holds a pair (see synthesizeme inspect ${args.positionals[0]})`,
      );
    const { k, stopScore, labeledDemos } = fitOptionsFrom(args);
    const temperature = temperatureFrom(args, ws.settings);
    const seed = ws.split.seed;
    const llm = openModel(args, io, ws);
    const json = flag(args, 'json');
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    const prompts = {
      bootstrap: await ws.prompts.get('bootstrap'),
      personaSynthesis: await ws.prompts.get('persona-synthesis'),
      judge: await ws.prompts.get('judge'),
    };
    const rel = (p: string) => relative(io.cwd, p) || p;
    try {
      const ready = users.filter((u) => !u.split.tooSmall || pairsBySplit(u).context.length > 0);
      const tooSmall = users
        .filter((u) => !ready.includes(u))
        .map((u) => ({ user: u.id, reason: `only ${u.pairs.length} pairs: too small to split` }));
      // Where each persona and its versions go is checked before any call: a persona folder or a history
      // folder linked out of the workspace was refused only at the end, after every call of the fit.
      if (!flag(args, 'dry-run'))
        await checkFitTargets(
          ws.layout,
          ready.map((u) => u.id),
        );

      const requests = planFitRequests(ready.map(pairsBySplit), prompts, { temperature, seed, k, labeledDemos });
      // Ollama: one num_ctx for the whole run, from the largest prompt the fit can send.
      const context = flag(args, 'dry-run')
        ? await llm.sizeContext(requests).catch(() => undefined)
        : await llm.sizeContext(requests);
      if (flag(args, 'dry-run')) {
        const est = await llm.estimate(requests, { defaultCompletionTokens: 200 });
        const out = {
          users: ready.length,
          skipped: tooSmall,
          upperBound: {
            calls: est.calls,
            cachedCalls: est.cachedCalls,
            promptTokens: est.promptTokens,
            completionTokens: est.completionTokens,
            costUsd: est.costUsd ?? null,
          },
          excludes: ['retries'],
          ...contextJson(context),
        };
        if (json) io.stdout(JSON.stringify(out) + '\n');
        else
          io.stdout(
            `Dry run: fitting ${ready.length} user(s) costs at most ${est.calls} call(s) (${est.cachedCalls} more from cache; retries not included), about ${est.promptTokens} prompt + ${est.completionTokens} completion tokens${est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ''}. Candidate pruning usually needs far fewer.\n${contextLine(context)}`,
          );
        return 0;
      }

      const results: unknown[] = [];
      const failed: { user: string; reason: string }[] = [...tooSmall];
      let finished = 0;
      progress.update('fit', 0, ready.length);
      // A few users at a time keeps every server busy; the scheduler bounds the calls.
      const queue = [...ready];
      const worker = async () => {
        for (let u = queue.shift(); u; u = queue.shift()) {
          try {
            const {
              result: r,
              persona: model,
              path,
            } = await fitAndSave(llm, ws.layout, u, prompts, {
              temperature,
              seed,
              k,
              stopScore,
              labeledDemos,
              signal: io.signal,
              onNote: (m) => progress.message(`${u.id}: ${m}`),
            });
            results.push({
              user: u.id,
              persona: rel(path),
              demos: model.demos.length,
              verified: [r.verifiedFirstPass, r.verifiedWithPersona],
              validation: model.provenance.validation,
              calls: model.provenance.calls,
              cacheHits: model.provenance.cacheHits,
            });
            progress.message(
              `${u.id}: persona written to ${rel(path)} (${model.demos.length} demos, validation ${r.selection.correct}/${r.selection.evaluated}, ${model.provenance.calls} calls)`,
            );
          } catch (err) {
            // A server that is down, a bad key or a missing model ends the run; anything else ends one user.
            if (io.signal.aborted || isFatal(err)) throw err;
            failed.push({ user: u.id, reason: (err as Error).message });
            progress.message(`${u.id}: failed: ${(err as Error).message}`);
          }
          progress.update('fit', ++finished, ready.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(4, ready.length) }, worker));
      progress.done();
      if (json) io.stdout(JSON.stringify({ users: results, failed, ...usageJson(llm) }) + '\n');
      else io.stdout(`Fitted ${results.length} of ${users.length} user(s); ${usageLine(llm)}.\n`);
      // One user not fitted fails the command: a script (or CI) must not take a partial fit for a whole one.
      if (failed.length)
        io.stderr(
          `Not fitted: ${failed.length} of ${users.length} user(s):\n${failed.map((f) => `  ${f.user}: ${f.reason}\n`).join('')}`,
        );
      return failed.length ? 1 : 0;
    } catch (err) {
      progress.done();
      return rethrowCancelled(
        err,
        io,
        `synthesizeme fit ${args.positionals[0]} ${stringOption(args, 'user') ? `--user ${stringOption(args, 'user')}` : '--all'}`,
      );
    } finally {
      await llm.dispose();
    }
  },
};
