// synthesizeme eval: judge a split with a method, both orders per pair, with statistics.

import { relative } from 'node:path';
import { isMethod, isRewardMethod, type Method, METHODS } from '../../core/method';
import {
  estimateEval,
  type EvalPrepared,
  type EvalResult,
  type EvalSplit,
  evalResultText,
  pointwiseText,
  prepareEval,
  runEval,
  smallSampleNote,
} from '../../core/eval';
import { type Embedder, estimateStages, type Llm, type RewardModel } from '../../core/llm';
import {
  BATCH_WAITING_EXIT,
  batchFrom,
  batchOptionHelp,
  batchOptionSpec,
  batchWaitingJson,
  batchWaitingText,
  refuseUnbatchable,
  runBatched,
  stageEstimateText,
} from '../batch-options';
import { flag, listOption, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { rubricContextFrom, rubricOptionHelp, rubricOptionSpec } from '../rubric-options';
import { samplesFrom, samplesOptionHelp, samplesOptionSpec } from '../samples-option';
import { openRewardFor, rewardOptionHelp, rewardOptionSpec } from '../reward-options';
import { openSimilarFor, similarOptionHelp, similarOptionSpec } from '../similar-options';
import { Progress } from '../progress';
import {
  commandLine,
  contextJson,
  contextLine,
  openForRun,
  openModel,
  rethrowCancelled,
  usageJson,
} from '../run-context';
import { costText, estimateJson, tokensText } from '../estimate-text';
import { markdownTable, pairedDifferenceLines } from '../results-table';
import { UsageError } from '../usage-error';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a method (default, demographics, memory, demos, persona, persona+demos, rubric, ...) on a split',
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
${rubricOptionHelp}
${samplesOptionHelp}
${rewardOptionHelp}
${similarOptionHelp}
${splitOptionHelp}
${modelOptionHelp}
${batchOptionHelp}

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
    ...rubricOptionSpec,
    ...samplesOptionSpec,
    ...rewardOptionSpec,
    ...similarOptionSpec,
    ...splitOptionSpec,
    ...modelOptionSpec,
    ...batchOptionSpec,
  },

  async run(args, io) {
    const { methods, split, label } = evalArgsOf(args);
    const { ws, users } = await openForRun(args, io, 'eval');
    const temperature = temperatureFrom(args, ws.settings);
    const batch = await batchFrom(args, io, ws.layout.root, 'eval');
    if (batch) refuseUnbatchable(methods, args);
    const llm = openModel(args, io, ws, batch);
    const json = flag(args, 'json');
    const dryRun = flag(args, 'dry-run');
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    const rel = (p: string) => relative(io.cwd, p) || p;
    let reward: RewardModel | undefined;
    let embedder: Embedder | undefined;
    try {
      // Opened only for a reward method; bad or missing reward options stop here, before any call.
      reward = openRewardFor(args, io, ws.settings, llm, { methods, cacheDir: ws.layout.cacheDir });
      const similar = openSimilarFor(args, io, ws.settings, llm, { cacheDir: ws.layout.cacheDir });
      embedder = similar.embedder;
      const inputs = {
        layout: ws.layout,
        prompts: ws.prompts,
        users,
        methods,
        split,
        model: llm,
        temperature,
        seed: ws.split.seed,
        ...(label !== undefined ? { label } : {}),
        rubricContext: rubricContextFrom(args, ws.settings),
        samples: samplesFrom(args, ws.settings),
        ...(reward ? { reward } : {}),
        // Anyone in the workspace with a persona may be a neighbour, not only the users evaluated.
        ...(similar.embedder ? { ...similar, pool: ws.index.users() } : {}),
        display: rel,
      };
      const prepared = await prepareEval(inputs, { dryRun, onNote: (m) => io.stderr(`note: ${m}\n`) });
      if (dryRun) return await printDryRun(prepared, json, io, batch !== undefined);
      const onProgress = (method: Method, done: number, total: number) =>
        progress.update(`eval ${method}`, done, total);
      const said = (r: EvalResult) => {
        progress.done();
        if (r.resumed) progress.message(`${r.method}: resumed ${r.resumed} pair(s) from ${relative(io.cwd, r.run)}`);
        for (const s of r.skipped) progress.message(`${r.method}: skipped ${s.user}: ${s.reason}`);
      };
      let results: EvalResult[];
      if (batch) {
        // The rounds' own results are the batch's business: only the last one is said.
        const outcome = await runBatched(batch, llm, { args, io, settings: ws.settings, progress }, () =>
          runEval(prepared, { signal: io.signal, onProgress }),
        );
        progress.done();
        if (!outcome.done) {
          if (json) io.stdout(JSON.stringify({ batch: batchWaitingJson(outcome) }) + '\n');
          io.stderr(batchWaitingText(outcome, batch, io, llm.model));
          return BATCH_WAITING_EXIT;
        }
        results = outcome.result.results;
        results.forEach(said);
      } else results = (await runEval(prepared, { signal: io.signal, onProgress, onResult: said })).results;
      printResults(results, { json, table: flag(args, 'table'), seed: ws.split.seed }, io, llm, reward, embedder);
      if (flag(args, 'no-cache')) reusedRunNotes(results, io, llm);
      return exitCodeOf(results, io);
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, commandLine('eval', args));
    } finally {
      await reward?.dispose();
      await embedder?.dispose();
      await llm.dispose();
    }
  },
};

/** --method, --split and --label, checked before the workspace is opened. */
function evalArgsOf(args: ParsedArgs): { methods: Method[]; split: EvalSplit; label?: string } {
  const methods = listOption(args, 'method');
  if (!methods.length) throw new UsageError(`eval: --method is required (${METHODS.join(', ')})`);
  for (const m of methods)
    if (!isMethod(m)) throw new UsageError(`--method: unknown method "${m}" (${METHODS.join(', ')})`);
  const split = stringOption(args, 'split') ?? 'test';
  if (split !== 'test' && split !== 'validation')
    throw new UsageError(`--split: expected test or validation, got "${split}"`);
  const label = stringOption(args, 'label');
  if (label !== undefined && !label.trim()) throw new UsageError('--label: give a non-empty name');
  return { methods: methods as Method[], split, ...(label !== undefined ? { label } : {}) };
}

async function printDryRun(prepared: EvalPrepared, json: boolean, io: CommandIO, batched: boolean): Promise<number> {
  const est = await estimateEval(prepared);
  const batchStages = batched ? await estimateStages(prepared.inputs.model, prepared.requests, 'eval') : undefined;
  const out = {
    ...estimateJson(est),
    excludes: ['retries'],
    ...contextJson(prepared.context),
    ...(batchStages ? { batchStages } : {}),
  };
  if (json) io.stdout(JSON.stringify(out) + '\n');
  else
    io.stdout(
      `Dry run: about ${est.calls} call(s) (retries not included), ${tokensText(est)}${costText(est)}.\n` +
        contextLine(prepared.context) +
        (batchStages ? stageEstimateText(batchStages) : ''),
    );
  return 0;
}

function resultJson(r: EvalResult, rel: (p: string) => string) {
  const small = smallSampleNote(r.pairs);
  return {
    method: r.method,
    model: r.model,
    provider: r.provider,
    split: r.split,
    accuracy: r.accuracy,
    ci95: r.ci95,
    consistency: r.consistency,
    samples: r.samples,
    pairs: r.pairs,
    run: rel(r.run),
    users: r.users,
    skipped: r.skipped,
    // A failed call is no answer: these pairs are not in the figures, and a re-run judges them.
    complete: r.complete,
    failed: r.failed,
    unparseable: { samples: r.unparseable, rate: r.samples ? r.unparseable / r.samples : null },
    // A rubric method's unparseable answers by kind: equal weighted sums, and answers that are no rubric.
    ...(r.ties !== undefined && !isRewardMethod(r.method) ? { ties: r.ties, unreadable: r.unreadable ?? 0 } : {}),
    // A reward method: order does not apply; the pairs scored alike (counted wrong), and the mean score margin.
    ...(isRewardMethod(r.method) ? { pointwise: true, ties: r.ties ?? 0, margin: r.margin ?? null } : {}),
    // --samples k: k, the temperature sampled at, and how far each order's samples agreed (mean share).
    ...(r.samplesPerOrder !== undefined
      ? {
          samplesPerOrder: r.samplesPerOrder,
          temperature: r.temperature,
          sampleConsistency: r.sampleConsistency ?? null,
        }
      : {}),
    ...(small ? { warning: small } : {}),
  };
}

function printResults(
  results: EvalResult[],
  as: { json: boolean; table: boolean; seed: number },
  io: CommandIO,
  llm: Llm,
  reward: RewardModel | undefined,
  embedder?: Embedder,
): void {
  const rel = (p: string) => relative(io.cwd, p);
  const usage = usageJson(llm);
  // --similar-users: the embedding calls, apart (a second run finds every vector cached).
  const embedUsage = embedder ? usageJson(embedder) : undefined;
  // A reward method's scores are the reward model's calls: counted in `calls`, and apart in `rewardUsage`.
  const rewardUsage = reward ? usageJson(reward) : undefined;
  if (as.json) {
    const calls = {
      calls: usage.calls + (rewardUsage?.calls ?? 0),
      cacheHits: usage.cacheHits + (rewardUsage?.cacheHits ?? 0),
      usage,
      ...(rewardUsage ? { rewardUsage } : {}),
      ...(embedUsage ? { embedUsage } : {}),
    };
    const body =
      results.length === 1
        ? { ...resultJson(results[0]!, rel), ...calls }
        : { results: results.map((r) => resultJson(r, rel)), ...calls };
    io.stdout(JSON.stringify(body) + '\n');
  } else if (as.table) {
    io.stdout(markdownTable(results) + '\n');
    // Several methods: each one's paired difference from the baseline, as `compare` gives it for their run files.
    const differences = pairedDifferenceLines(results, as.seed);
    if (differences.length) io.stdout('\n' + differences.map((d) => `${d}\n`).join(''));
    // The table stays a table (it is pasted into papers): what the plain format says besides goes to stderr.
    for (const r of results) {
      const small = smallSampleNote(r.pairs);
      if (small) io.stderr(`warning: ${r.method}: ${small}\n`);
      if (isRewardMethod(r.method)) io.stderr(`note: ${r.method}: ${pointwiseText(r)}\n`);
    }
    io.stderr(callsLine(usage, rewardUsage, embedUsage));
  } else {
    for (const r of results) io.stdout(evalResultText(r, rel));
    io.stdout(callsLine(usage, rewardUsage, embedUsage));
  }
}

type CallsUsage = { calls: number; cacheHits: number; requests: number };

function callsLine(usage: CallsUsage, reward?: CallsUsage, embed?: CallsUsage): string {
  const scored =
    (reward
      ? `; reward model: ${reward.calls} call(s), ${reward.cacheHits} from cache, ${reward.requests} request(s)`
      : '') + (embed ? `; embeddings: ${embed.calls} call(s), ${embed.cacheHits} from cache` : '');
  const sent = `${usage.requests} request(s) sent to the server, retries included`;
  return `${usage.calls} call(s), ${usage.cacheHits} from cache; ${sent}${scored}\n`;
}

/**
 * --no-cache skips the response cache, not the run file: a finished run is reused as it is and nothing is
 * judged again. Say so, and how to judge again (a new --label starts a new run).
 */
function reusedRunNotes(results: EvalResult[], io: CommandIO, llm: Llm): void {
  const reused = results.filter((r) => r.resumed > 0);
  if (!reused.length) return;
  const calls = llm.counters().calls;
  for (const r of reused)
    io.stderr(
      `note: --no-cache reads no cached answer, but ${r.method} reused ${r.resumed} pair(s) already judged in its run file ` +
        `${relative(io.cwd, r.run) || r.run}${calls === 0 ? ' (the finished run)' : ''}.\n`,
    );
  io.stderr(`note: ${calls} call(s) made. To judge again, give a new --label (a new run file).\n`);
}

/** An incomplete run is a failed command (its figures leave out the pairs whose calls failed); nothing evaluated is bad input. */
function exitCodeOf(results: EvalResult[], io: CommandIO): number {
  const incomplete = results.filter((r) => !r.complete);
  for (const r of incomplete) {
    const why = r.failed.reasons
      .slice(0, 3)
      .map((x) => `${x.message}${x.count > 1 ? ` (x${x.count})` : ''}`)
      .join('; ');
    io.stderr(
      `${r.method}: ${r.failed.calls} call(s) failed for ${r.failed.pairs} pair(s): ${why}. ` +
        'The run is incomplete: those pairs are not counted. Run the same command again to judge them.\n',
    );
  }
  if (incomplete.length) return 1;
  const nothing = results.every((r) => r.pairs === 0);
  if (nothing) io.stderr('Nothing was evaluated: every user was skipped.\n');
  return nothing ? 2 : 0;
}
