// synthesizeme fit: fit a persona model per user and write personas/<user>.persona.yaml.

import { relative } from 'node:path';
import { flag, type Command, type CommandIO } from '../command';
import { modelOptionHelp, modelOptionSpec, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { Progress } from '../progress';
import { UsageError } from '../usage-error';
import {
  commandLine,
  contextJson,
  contextLine,
  openForRun,
  openModel,
  rethrowCancelled,
  usageJson,
  usageLine,
} from '../run-context';
import { fitOptionHelp, fitOptionSpec, fitOptionsFrom } from '../fit-options';
import {
  BATCH_WAITING_EXIT,
  batchFrom,
  batchOptionHelp,
  batchOptionSpec,
  batchWaitingJson,
  batchWaitingText,
  type CliBatch,
  runBatched,
  stageEstimateText,
} from '../batch-options';
import { costText, estimateJson, tokensText } from '../estimate-text';
import { type BatchOutcome, estimateStages, type Llm } from '../../core/llm';
import { accuracyHeadline } from '../../core/eval';
import { copiesNote } from '../../core/method';
import {
  estimateFit,
  type FitJobResult,
  type FitPlan,
  type FittedUser,
  likelyFitJobCalls,
  type FitStatus,
  fitStatusText,
  NothingToFitError,
  planFit,
  runFit,
} from '../../core/workspace';

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
${batchOptionHelp}

Example:
  synthesizeme fit examples/workspace --user ada --model llama3.1:8b`,
  options: {
    user: { type: 'string' },
    all: { type: 'boolean' },
    ...fitOptionSpec,
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
    ...batchOptionSpec,
  },

  async run(args, io) {
    const { ws, users } = await openForRun(args, io, 'fit');
    const where = args.positionals[0]!;
    const knobs = fitOptionsFrom(args);
    const temperature = temperatureFrom(args, ws.settings);
    const batch = await batchFrom(args, io, ws.layout.root, 'fit');
    const llm = openModel(args, io, ws, batch);
    const json = flag(args, 'json');
    const dryRun = flag(args, 'dry-run');
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    const inputs = {
      layout: ws.layout,
      prompts: ws.prompts,
      users,
      model: llm,
      temperature,
      seed: ws.split.seed,
      ...(batch ? { batched: true } : {}),
    };
    try {
      const plan = await planFit({ ...inputs, knobs, where }, { dryRun }).catch((err: unknown) => {
        // The engine says there is nothing to fit; the command line says where to look.
        if (err instanceof NothingToFitError)
          throw new UsageError(`${err.message} (see synthesizeme inspect ${where})`);
        throw err;
      });
      if (dryRun) return await printDryRun(plan, json, io, batch !== undefined);
      const rel = (p: string) => relative(io.cwd, p) || p;
      const hooks = {
        signal: io.signal,
        onStatus: statusPrinter(progress, plan),
        onNote: (user: string, m: string) => progress.message(`${user}: ${m}`),
        onFitted: (f: FittedUser) => progress.message(fittedLine(f, rel)),
      };
      if (batch) {
        // A fit stopped at a call written to the batch file waits, it did not fail: failures are said after the round.
        const outcome = await runBatched(batch, llm, { args, io, settings: ws.settings, progress }, () =>
          runFit(plan, hooks),
        );
        progress.done();
        if (outcome.done) return printResult(outcome.result, json, io, rel, llm);
        return printWaiting(outcome, batch, json, io, llm);
      }
      const result = await runFit(plan, {
        ...hooks,
        onFailed: (f) => progress.message(`${f.user}: failed: ${f.reason}`),
      });
      progress.done();
      return printResult(result, json, io, rel, llm);
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, commandLine('fit', args));
    } finally {
      await llm.dispose();
    }
  },
};

/** The fit's status as it goes; a log gets a line for each new phase (one user) or each user finished. */
function statusPrinter(progress: Progress, plan: FitPlan): (s: FitStatus) => void {
  const oneUser = plan.ready.length === 1;
  let said = '';
  return (s) => {
    const mark = oneUser ? String(s.last?.step ?? 0) : String(s.users.finished);
    progress.status('fit', fitStatusText(s, { oneUser }), mark !== said);
    said = mark;
  };
}

/** A batch fit waiting for a stage: the stage, and the users whose fit failed for another reason. */
function printWaiting(
  outcome: Extract<BatchOutcome<FitJobResult>, { done: false }>,
  batch: CliBatch,
  json: boolean,
  io: CommandIO,
  llm: Llm,
): number {
  const waiting = batch.files.pendingUsers();
  const failed = outcome.result.failed.filter((f) => !waiting.has(f.user));
  if (json)
    io.stdout(
      JSON.stringify({
        batch: batchWaitingJson(outcome),
        fitted: outcome.result.fitted.map((f) => f.user),
        waiting: [...waiting],
        failed: failed.map(({ user, reason }) => ({ user, reason })),
      }) + '\n',
    );
  io.stderr(batchWaitingText(outcome, batch, io, llm.model));
  if (failed.length)
    io.stderr(`Not fitted: ${failed.length} user(s):\n${failed.map((f) => `  ${f.user}: ${f.reason}\n`).join('')}`);
  return BATCH_WAITING_EXIT;
}

async function printDryRun(plan: FitPlan, json: boolean, io: CommandIO, batched: boolean): Promise<number> {
  const est = await estimateFit(plan);
  const batchStages = batched ? await estimateStages(plan.inputs.model, plan.requests, 'fit') : undefined;
  const stages = batchStages ? stageEstimateText(batchStages) : '';
  const likely = Math.min(est.calls, likelyFitJobCalls(plan));
  const out = {
    users: plan.ready.length,
    likelyCalls: likely,
    skipped: plan.skipped.map(({ user, reason }) => ({ user, reason })),
    upperBound: estimateJson(est),
    excludes: ['retries'],
    ...contextJson(plan.context),
    ...(batchStages ? { batchStages } : {}),
  };
  if (json) io.stdout(JSON.stringify(out) + '\n');
  else
    io.stdout(
      `Dry run: fitting ${plan.ready.length} user(s) costs likely ${likely}, at most ${est.calls} call(s) ` +
        `(${est.cachedCalls} more from cache; retries not included), ` +
        `about ${tokensText(est)}${costText(est)} at most. ` +
        `Likely: the first candidate of each selection scored on every validation pair, each later one dropped ` +
        `after its first few (candidate pruning).\n${contextLine(plan.context)}${stages}`,
    );
  return 0;
}

function fittedLine(f: FittedUser, rel: (p: string) => string): string {
  const { persona, result: r } = f;
  const { correct, evaluated } = r.selection;
  // A few validation pairs head with their interval ("3 pairs, too few to tell: ..."), never a bare 100.0%.
  const headline = evaluated ? accuracyHeadline(correct / evaluated, undefined, evaluated) : 'n/a';
  const validation = `validation ${correct}/${evaluated}: ${headline}`;
  const copies = copiesNote(persona.provenance.copies);
  return (
    `${f.user}: persona written to ${rel(f.path)} (${persona.demos.length} demos, ${validation}, ` +
    `${persona.provenance.calls} calls)${copies ? `\n  warning: ${copies}` : ''}`
  );
}

function printResult(result: FitJobResult, json: boolean, io: CommandIO, rel: (p: string) => string, llm: Llm): number {
  const { failed, users } = result;
  if (json) {
    const fitted = result.fitted.map((f) => ({
      user: f.user,
      persona: rel(f.path),
      demos: f.persona.demos.length,
      verified: [f.result.verifiedFirstPass, f.result.verifiedWithPersona],
      validation: f.persona.provenance.validation,
      calls: f.persona.provenance.calls,
      cacheHits: f.persona.provenance.cacheHits,
      ...(f.persona.provenance.copies ? { copies: f.persona.provenance.copies } : {}),
    }));
    const notFitted = failed.map(({ user, reason }) => ({ user, reason }));
    io.stdout(JSON.stringify({ users: fitted, failed: notFitted, ...usageJson(llm) }) + '\n');
  } else io.stdout(`Fitted ${result.fitted.length} of ${users} user(s); ${usageLine(llm)}.\n`);
  // One user not fitted fails the command: a script (or CI) must not take a partial fit for a whole one.
  if (failed.length)
    io.stderr(
      `Not fitted: ${failed.length} of ${users} user(s):\n${failed.map((f) => `  ${f.user}: ${f.reason}\n`).join('')}`,
    );
  return failed.length ? 1 : 0;
}
