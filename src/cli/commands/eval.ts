// synthesizeme eval: judge a split with a method, both orders per pair, with statistics.

import { relative } from 'node:path';
import {
  isMethod,
  judgeMessages,
  judgeSystem,
  JUDGMENT_SCHEMA,
  longPersonaNote,
  type Method,
  METHODS,
  MethodUnavailable,
  needsPersona,
  profileFor,
} from '../../core/method';
import { type EvalResult, evaluate, type EvalUser, modelDigestOf, rateText, smallSampleNote } from '../../core/eval';
import { pairsBySplit, readUserPersona } from '../../core/workspace';
import { type ChatRequest, redactUrl } from '../../core/llm';
import { flag, listOption, stringOption, type Command } from '../command';
import { modelOptionHelp, modelOptionSpec, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { Progress } from '../progress';
import { contextJson, contextLine, openForRun, openModel, rethrowCancelled, usageJson } from '../run-context';
import { accuracyCell, markdownTable } from '../results-table';
import { UsageError } from '../usage-error';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a method (default, demographics, memory, demos, persona, persona+demos) on a split',
  help: `Usage: synthesizeme eval <workspace> --method M[,M...] (--user ID | --all) [options]

Judges every pair of the split in both orders and reports accuracy over the 2N samples with a
deterministic 95% interval (pairs resampled) and the consistency rate. Every verdict is written
to a run file under .synthesizeme/runs/; running the same command again resumes it.

Options:
  --method M[,M...]          ${METHODS.join(' | ')}
  --split test|validation    which pairs to judge (default test)
  --user ID | --all          which users
  --label TEXT               a name for the run (recorded in its header; synthesizeme runs lists it)
  --json                     one JSON object (several methods: {"results": [...]})
  --table                    a Markdown results table like the paper's
${splitOptionHelp}
${modelOptionHelp}

Example:
  synthesizeme eval examples/workspace --all --method default,persona+demos --table`,
  options: {
    method: { type: 'string', multiple: true },
    split: { type: 'string' },
    user: { type: 'string' },
    all: { type: 'boolean' },
    label: { type: 'string' },
    json: { type: 'boolean' },
    table: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const methods = listOption(args, 'method');
    if (!methods.length) throw new UsageError(`eval: --method is required (${METHODS.join(', ')})`);
    for (const m of methods)
      if (!isMethod(m)) throw new UsageError(`--method: unknown method "${m}" (${METHODS.join(', ')})`);
    const split = stringOption(args, 'split') ?? 'test';
    if (split !== 'test' && split !== 'validation')
      throw new UsageError(`--split: expected test or validation, got "${split}"`);
    const label = stringOption(args, 'label');
    if (label !== undefined && !label.trim()) throw new UsageError('--label: give a non-empty name');
    const { ws, users } = await openForRun(args, io, 'eval');
    const temperature = temperatureFrom(args, ws.settings);
    const llm = openModel(args, io, ws);
    const json = flag(args, 'json');
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    const prompts = { judge: await ws.prompts.get('judge'), memory: await ws.prompts.get('memory') };
    try {
      const evalUsers: EvalUser[] = [];
      for (const u of users) {
        const s = pairsBySplit(u);
        const persona = methods.some((m) => needsPersona(m as Method))
          ? await readUserPersona(ws, u.id, io.cwd)
          : undefined;
        const long = persona && longPersonaNote(persona.model, relative(io.cwd, persona.path) || persona.path);
        if (long) io.stderr(`note: ${long}\n`);
        evalUsers.push({
          id: u.id,
          pairs: u.pairs,
          context: s.context,
          target: split === 'test' ? s.test : s.validation,
          ...(persona ? { persona: persona.model, personaHash: persona.hash } : {}),
        });
      }
      {
        const requests: ChatRequest[] = [];
        for (const u of evalUsers) {
          for (const m of methods as Method[]) {
            // The prompt each method really sends (persona+demos carries the demonstrations), so the token
            // estimate is the real one; memory's facts are unknown before the call and counted as none.
            const profile = await profileFor({
              method: m,
              userId: u.id,
              pairs: u.pairs,
              context: u.context,
              ...(u.persona ? { persona: u.persona } : {}),
              memory: async () => [],
            }).catch((err) => {
              if (err instanceof MethodUnavailable) return undefined;
              throw err;
            });
            if (!profile) continue;
            const system = judgeSystem(prompts.judge.text, profile);
            for (const p of u.target)
              for (const o of ['AB', 'BA'] as const)
                requests.push({
                  messages: judgeMessages(system, p, o),
                  schema: JUDGMENT_SCHEMA,
                  temperature,
                  seed: ws.split.seed,
                });
          }
        }
        // Ollama: one num_ctx for the whole run, from the largest judge prompt.
        const dryRun = flag(args, 'dry-run');
        const context = dryRun
          ? await llm.sizeContext(requests).catch(() => undefined)
          : await llm.sizeContext(requests);
        if (dryRun) {
          const est = await llm.estimate(requests, { defaultCompletionTokens: 150 });
          const out = {
            calls: est.calls,
            cachedCalls: est.cachedCalls,
            promptTokens: est.promptTokens,
            completionTokens: est.completionTokens,
            costUsd: est.costUsd ?? null,
            excludes: ['retries'],
            ...contextJson(context),
          };
          if (json) io.stdout(JSON.stringify(out) + '\n');
          else
            io.stdout(
              `Dry run: about ${est.calls} call(s) (retries not included), ${est.promptTokens} prompt + ${est.completionTokens} completion tokens${est.costUsd !== undefined ? `, about $${est.costUsd.toFixed(2)}` : ''}.\n${contextLine(context)}`,
            );
          return 0;
        }
      }
      // What the model is on the server (Ollama's digest), recorded in each run's header.
      const modelDigest = await modelDigestOf(llm, io.signal);
      const results: EvalResult[] = [];
      for (const method of methods as Method[]) {
        const r = await evaluate(evalUsers, {
          method,
          split,
          model: llm,
          // Credentials in a URL (http://user:secret@host) never reach a run file.
          ...(llm.config.baseUrls[0] ? { baseUrl: redactUrl(llm.config.baseUrls[0]) } : {}),
          ...(modelDigest ? { modelDigest } : {}),
          ...(label ? { label } : {}),
          prompts,
          temperature,
          seed: ws.split.seed,
          runsDir: ws.layout.runsDir,
          signal: io.signal,
          onProgress: (done, total) => progress.update(`eval ${method}`, done, total),
        });
        progress.done();
        results.push(r);
        if (r.resumed) progress.message(`${method}: resumed ${r.resumed} pair(s) from ${relative(io.cwd, r.run)}`);
        for (const s of r.skipped) progress.message(`${method}: skipped ${s.user}: ${s.reason}`);
      }
      const usage = usageJson(llm);
      const asJson = (r: EvalResult) => ({
        method: r.method,
        model: r.model,
        provider: r.provider,
        split: r.split,
        accuracy: r.accuracy,
        ci95: r.ci95,
        consistency: r.consistency,
        samples: r.samples,
        pairs: r.pairs,
        run: relative(io.cwd, r.run),
        users: r.users,
        skipped: r.skipped,
        // A failed call is no answer: these pairs are not in the figures, and a re-run judges them.
        complete: r.complete,
        failed: r.failed,
        unparseable: { samples: r.unparseable, rate: r.samples ? r.unparseable / r.samples : null },
        ...(smallSampleNote(r.pairs) ? { warning: smallSampleNote(r.pairs) } : {}),
      });
      if (json) {
        io.stdout(
          JSON.stringify(
            results.length === 1
              ? { ...asJson(results[0]!), calls: usage.calls, cacheHits: usage.cacheHits, usage }
              : { results: results.map(asJson), calls: usage.calls, cacheHits: usage.cacheHits, usage },
          ) + '\n',
        );
      } else if (flag(args, 'table')) {
        io.stdout(markdownTable(results) + '\n');
      } else {
        for (const r of results) {
          io.stdout(
            `${r.method} on ${r.split} (${r.model}): accuracy ${accuracyCell(r.accuracy, r.ci95, r.pairs)} over ${r.samples} samples of ${r.pairs} pairs, consistency ${rateText(r.consistency)}, ` +
              `unparseable answers ${r.unparseable} of ${r.samples} (${rateText(r.samples ? r.unparseable / r.samples : Number.NaN)})${r.complete ? '' : ' (INCOMPLETE)'}\n  run file: ${relative(io.cwd, r.run)}\n`,
          );
          const small = smallSampleNote(r.pairs);
          if (small) io.stdout(`  warning: ${small}\n`);
          for (const u of r.users)
            io.stdout(`  ${u.id}: ${accuracyCell(u.accuracy, u.ci95, u.pairs)} (${u.pairs} pairs)\n`);
        }
        io.stdout(
          `${usage.calls} call(s), ${usage.cacheHits} from cache; ${usage.requests} request(s) sent to the server, retries included\n`,
        );
      }
      // An incomplete run is a failed command: its figures leave out the pairs whose calls failed.
      const incomplete = results.filter((r) => !r.complete);
      for (const r of incomplete) {
        const why = r.failed.reasons
          .slice(0, 3)
          .map((x) => `${x.message}${x.count > 1 ? ` (x${x.count})` : ''}`)
          .join('; ');
        io.stderr(
          `${r.method}: ${r.failed.calls} call(s) failed for ${r.failed.pairs} pair(s): ${why}. The run is incomplete: those pairs are not counted. Run the same command again to judge them.\n`,
        );
      }
      if (incomplete.length) return 1;
      const nothing = results.every((r) => r.pairs === 0);
      if (nothing) io.stderr('Nothing was evaluated: every user was skipped.\n');
      return nothing ? 2 : 0;
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, `synthesizeme ${['eval', ...process.argv.slice(3)].join(' ')}`);
    } finally {
      await llm.dispose();
    }
  },
};
