// synthesizeme bench run / bench scaling: whole-benchmark runs over a prepared workspace.

import { relative, resolve } from 'node:path';
import {
  flag,
  intOption,
  listOption,
  stringOption,
  type CommandIO,
  type OptionSpec,
  type ParsedArgs,
} from '../command';
import { openLlm, temperatureFrom } from '../model-options';
import { Progress } from '../progress';
import { pinSplits, rethrowCancelled } from '../run-context';
import { UsageError } from '../usage-error';
import { type Embedder, type Llm, type RewardModel } from '../../core/llm';
import { PathNotFoundError, type UserEntry } from '../../core/data';
import { openWorkspace, type Workspace } from '../../core/workspace';
import { isMethod, type Method, METHODS, type Prompt, promptHash } from '../../core/method';
import {
  BATCH_WAITING_EXIT,
  batchFrom,
  batchOptionSpec,
  batchWaitingJson,
  batchWaitingText,
  type CliBatch,
  refuseUnbatchable,
  runBatched,
} from '../batch-options';
import {
  type BenchEstimate,
  type BenchHooks,
  type BenchJobInputs,
  type BenchOutcome,
  estimateBench,
  estimateScaling,
  fittable,
  prepareBench,
  prepareScaling,
  runBench,
  runScaling,
  type ScalingOutcome,
} from '../../core/bench';
import { allowNamedOutput, chooseFileToRead } from '../../core/write-guard';
import { READ_LIMITS, readOwnBytes } from '../../core/read-guard';
import { fitOptionHelp, fitOptionSpec, fitOptionsFrom } from '../fit-options';
import { rubricContextFrom, rubricOptionHelp, rubricOptionSpec } from '../rubric-options';
import { openRewardFor, rewardOptionHelp, rewardOptionSpec } from '../reward-options';
import { samplesFrom, samplesOptionHelp, samplesOptionSpec } from '../samples-option';
import { openSimilarFor, similarOptionHelp, similarOptionSpec } from '../similar-options';
import { UserError } from '../../core/user-error';

export const benchRunOptions: OptionSpec = {
  methods: { type: 'string', multiple: true },
  models: { type: 'string', multiple: true },
  'fit-model': { type: 'string' },
  users: { type: 'string' },
  all: { type: 'boolean' },
  table: { type: 'boolean' },
  sizes: { type: 'string' },
  ...fitOptionSpec,
  ...rubricOptionSpec,
  ...rewardOptionSpec,
  ...samplesOptionSpec,
  ...similarOptionSpec,
  theta: { type: 'string' },
  ...batchOptionSpec,
};

export const benchRunHelp = `synthesizeme bench run <workspace> --methods M,M,... [--models M1,M2] [--users N | --all] [--fit-model M]
  Fits every selected user with each model (personas/<model>/; an existing persona fitted with
  the same model is reused), evaluates each method on the test pairs in both orders, and prints
  one table (methods x models: accuracy ± 95% interval, consistency, calls, tokens, cost) and
  the paired comparison of each method against default. --fit-model A --models B: transfer
  (personas fitted with A, evaluated with B). Resumable (cache and run files).
  --methods M,...            ${METHODS.join(', ')} (default: default,persona+demos)
  --models M1,M2             evaluation models (default: --model)
  --users N | --all          the first N users (by id) that can be fitted, or all (default all)
  --table                    print only the Markdown tables
${fitOptionHelp()}
${rubricOptionHelp}
${rewardOptionHelp}
${samplesOptionHelp}
${similarOptionHelp}
                             bench run: each persona method gets a second row, "METHOD (similar users: M)",
                             compared with default and persona+demos like the others (Holm over all)
  --theta FILE               fit the personas with this persona-synthesis prompt Θ instead of the workspace's
                             (e.g. one \`theta optimize\` found with a larger model: "Distill Θ"); its personas
                             go to personas/theta-<hash>/<model>/, apart from the workspace's own
  --batch files|openai       the fits and evaluations as batch files, one stage per file, one model (see
  --batch-dir DIR            synthesizeme fit --help: exit 3 while a stage waits; --batch-wait, --poll-seconds)

synthesizeme bench scaling <workspace> --sizes 2,4,8 [--models M] [--fit-model M] [--users N] [--out FILE.svg]
  Accuracy of persona+demos against the number of context pairs a fit may use (each user's
  context subsampled deterministically; larger sizes contain the smaller ones). Writes an SVG
  line chart with 95% intervals (default .synthesizeme/bench/scaling-<model>.svg) and its JSON.`;

async function openBenchWorkspace(args: ParsedArgs, io: CommandIO, sub: string): Promise<Workspace> {
  const path = args.positionals[1];
  if (!path) throw new UsageError(`bench ${sub}: give the workspace folder`);
  try {
    const ws = await openWorkspace(resolve(io.cwd, path), {
      signal: io.signal,
      trustWorkspace: flag(args, 'trust-workspace'),
      named: true,
      ...(stringOption(args, 'seed') !== undefined ? { split: { seed: intOption(args, 'seed', 0) } } : {}),
    });
    for (const line of ws.splits.notes) io.stderr(`note: ${line}\n`);
    return ws;
  } catch (err) {
    if (err instanceof PathNotFoundError) throw new UsageError(`bench ${sub}: no such folder: ${path}`);
    throw err;
  }
}

function selectBenchUsers(ws: Workspace, args: ParsedArgs): UserEntry[] {
  const all = ws.index.users();
  if (flag(args, 'all') || stringOption(args, 'users') === undefined) return all;
  const n = intOption(args, 'users', 1, 1);
  return all.filter(fittable).slice(0, n);
}

/** One Llm per model name (the evaluation models and the fitting model may share one). */
function openModels(
  args: ParsedArgs,
  io: CommandIO,
  ws: Workspace,
  batch?: CliBatch,
): { models: Llm[]; fitModel?: Llm; all: Llm[] } {
  const names = listOption(args, 'models');
  const byName = new Map<string, Llm>();
  const open = (name?: string) => {
    const key = name ?? '';
    let l = byName.get(key);
    if (!l) {
      l = openLlm(
        name ? { ...args, values: { ...args.values, model: name } } : args,
        io,
        ws.settings,
        ws.layout.cacheDir,
        batch,
      );
      byName.set(key, l);
    }
    return l;
  };
  const models = names.length ? names.map(open) : [open(undefined)];
  const fitName = stringOption(args, 'fit-model');
  const fitModel = fitName ? open(fitName) : undefined;
  return { models, ...(fitModel ? { fitModel } : {}), all: [...byName.values()] };
}

/** What `bench run` and `bench scaling` share: the workspace, its users, the fit options and the models. */
function jobInputs(args: ParsedArgs, ws: Workspace, users: UserEntry[], fitModel: Llm | undefined): BenchJobInputs {
  const { k, stopScore, labeledDemos } = fitOptionsFrom(args);
  return {
    layout: ws.layout,
    prompts: ws.prompts,
    users,
    ...(fitModel ? { fitModel } : {}),
    seed: ws.split.seed,
    temperature: temperatureFrom(args, ws.settings),
    k,
    stopScore,
    labeledDemos,
  };
}

function progressHooks(io: CommandIO, progress: Progress): BenchHooks {
  return {
    signal: io.signal,
    onProgress: (label, done, total) => progress.update(label, done, total),
    onNote: (m) => progress.message(m),
  };
}

function printDryRun(io: CommandIO, json: boolean, counts: BenchEstimate): number {
  const embed = counts.embedCallsAtMost !== undefined ? `, embedding at most ${counts.embedCallsAtMost} call(s)` : '';
  if (json) io.stdout(JSON.stringify({ dryRun: true, ...counts }) + '\n');
  else
    io.stdout(
      `Dry run: ${counts.users} user(s); fitting costs at most ${counts.fitCallsAtMost} call(s) ` +
        `(candidate pruning usually needs far fewer), evaluating ${counts.evalCalls} call(s)${embed}. ` +
        'Calls already in the cache or in run files cost nothing.\n',
    );
  return 0;
}

export async function runBenchRun(args: ParsedArgs, io: CommandIO): Promise<number> {
  // The bench subcommands share one option table: an option of another subcommand is said, never ignored.
  if (stringOption(args, 'report') !== undefined)
    throw new UsageError(
      'bench run: --report applies to bench prepare (bench run prints its table; --json for the figures)',
    );
  if (stringOption(args, 'out') !== undefined)
    throw new UsageError(
      'bench run: --out applies to bench prepare and bench scaling (bench run writes its runs in the workspace; --json for the figures)',
    );
  const methods = listOption(args, 'methods');
  if (!methods.length) methods.push('default', 'persona+demos');
  for (const m of methods)
    if (!isMethod(m)) throw new UsageError(`--methods: unknown method "${m}" (${METHODS.join(', ')})`);
  const ws = await openBenchWorkspace(args, io, 'run');
  const users = selectBenchUsers(ws, args);
  if (!users.length) throw new UsageError('bench run: the workspace has no users');
  const batch = await batchFrom(args, io, ws.layout.root, 'bench');
  if (batch) refuseUnbatchable(methods as Method[], args);
  const { models, fitModel, all } = openModels(args, io, ws, batch);
  // A batch file holds one model's requests (OpenAI's Batch API and vllm run-batch serve one model per file).
  if (batch && new Set(all.map((l) => l.model)).size > 1)
    throw new UsageError(
      'bench run --batch: one model at a time (a batch file serves one model); drop --models/--fit-model',
    );
  const json = flag(args, 'json');
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  let reward: RewardModel | undefined;
  let embedder: Embedder | undefined;
  try {
    // One reward model for every evaluation model (on the first one's server unless --reward-base-url says).
    reward = openRewardFor(args, io, ws.settings, models[0]!, { methods, cacheDir: ws.layout.cacheDir });
    // One embedder too: the neighbours are chosen alike for every evaluation model.
    const similar = openSimilarFor(args, io, ws.settings, models[0]!, { cacheDir: ws.layout.cacheDir });
    embedder = similar.embedder;
    const theta = flag(args, 'dry-run') ? undefined : await thetaFromFile(args, io);
    const plan = prepareBench({
      ...jobInputs(args, ws, users, fitModel),
      ...(batch ? { batched: true } : {}),
      methods,
      models,
      ...(theta ? { theta } : {}),
      rubricContext: rubricContextFrom(args, ws.settings),
      ...(reward ? { reward } : {}),
      samples: samplesFrom(args, ws.settings),
      ...similar,
    });
    if (flag(args, 'dry-run')) return printDryRun(io, json, estimateBench(plan));
    // Past the dry run: the first thing a bench writes is the pinned splits of a legacy workspace.
    await pinSplits(ws, io);
    let outcome: Awaited<ReturnType<typeof runBench>>;
    if (batch) {
      const rounds = await runBatched(
        batch,
        models[0]!,
        { args, io, settings: ws.settings, progress, others: all },
        () =>
          runBench(plan, {
            signal: io.signal,
            onProgress: (label, done, total) => progress.update(label, done, total),
          }),
      );
      progress.done();
      if (!rounds.done) {
        if (json) io.stdout(JSON.stringify({ batch: batchWaitingJson(rounds) }) + '\n');
        io.stderr(batchWaitingText(rounds, batch, io, models[0]!.model));
        return BATCH_WAITING_EXIT;
      }
      outcome = rounds.result;
    } else outcome = await runBench(plan, progressHooks(io, progress));
    progress.done();
    printBenchOutcome(io, args, outcome, { theta, users: users.length });
    // A cell with failed calls leaves pairs out: the benchmark is incomplete, and says so (exit 1).
    if (outcome.incomplete) {
      io.stderr(`${outcome.incomplete}\n`);
      return 1;
    }
    return outcome.empty ? 2 : 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    await reward?.dispose();
    await embedder?.dispose();
    for (const l of all) await l.dispose();
  }
}

function printBenchOutcome(
  io: CommandIO,
  args: ParsedArgs,
  outcome: BenchOutcome,
  { theta, users }: { theta: Prompt | undefined; users: number },
): void {
  const rel = (p: string) => relative(io.cwd, p) || p;
  const { result } = outcome;
  if (flag(args, 'json')) {
    io.stdout(
      JSON.stringify({
        users,
        cells: result.cells.map((c) => ({ ...c, run: rel(c.run) })),
        comparisons: result.comparisons,
        fits: result.fits.map((f) => ({ ...f, dir: rel(f.dir) })),
        markdown: outcome.markdown,
        ...(theta ? { theta: { file: rel(theta.path!), hash: theta.hash } } : {}),
        calls: outcome.calls,
        cacheHits: outcome.cacheHits,
      }) + '\n',
    );
    return;
  }
  io.stdout(outcome.markdown);
  if (!flag(args, 'table')) for (const line of outcome.details) io.stdout(`${line}\n`);
}

/** --theta FILE: a persona-synthesis prompt to fit with, read as the prompt store reads one. */
async function thetaFromFile(args: ParsedArgs, io: CommandIO): Promise<Prompt | undefined> {
  const file = stringOption(args, 'theta');
  if (file === undefined) return undefined;
  const path = resolve(io.cwd, file);
  // Named on the command line, but a path inside the workspace (a Θ candidate under .synthesizeme/theta/)
  // may be a planted link: read under the read guard (links out, FIFOs, devices and size refused).
  chooseFileToRead(path);
  const bytes = await readOwnBytes(path, { what: 'prompt file', maxBytes: READ_LIMITS.text }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err instanceof UserError) throw new UserError(`--theta: ${err.message}`, 2);
      const why =
        err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a folder, not a prompt file' : err.message;
      throw new UserError(`--theta: cannot read ${file} (${why})`, 2);
    },
  );
  if (bytes.includes(0)) throw new UserError(`--theta: ${file} is not text (it holds binary data)`, 2);
  const text = bytes.toString('utf8');
  if (!text.trim()) throw new UserError(`--theta: ${file} is empty`, 2);
  return { name: 'persona-synthesis', text, hash: promptHash(text), path };
}

export async function runBenchScaling(args: ParsedArgs, io: CommandIO): Promise<number> {
  const sizesText = stringOption(args, 'sizes');
  if (!sizesText) throw new UsageError('bench scaling: --sizes N,N,... is required (e.g. --sizes 2,4,8)');
  if (stringOption(args, 'theta') !== undefined) throw new UsageError('bench scaling: --theta applies to bench run');
  if (stringOption(args, 'similar-users') !== undefined)
    throw new UsageError('bench scaling: --similar-users applies to bench run and eval');
  const sizes = [...new Set(sizesText.split(',').map((s) => Number(s.trim())))];
  if (sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new UsageError(`--sizes: expected positive integers like 2,4,8, got "${sizesText}"`);
  // Checked before any call: an output through a planted link is refused up front, not after the work.
  const outGiven = stringOption(args, 'out');
  if (outGiven) allowNamedOutput(resolve(io.cwd, outGiven));
  const ws = await openBenchWorkspace(args, io, 'scaling');
  const users = selectBenchUsers(ws, args);
  const { models, fitModel, all } = openModels(args, io, ws);
  if (models.length !== 1) throw new UsageError('bench scaling: one evaluation model at a time (--models M)');
  const json = flag(args, 'json');
  const rel = (p: string) => relative(io.cwd, p) || p;
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    const plan = await prepareScaling({
      ...jobInputs(args, ws, users, fitModel),
      sizes,
      model: models[0]!,
      ...(outGiven ? { svgFile: resolve(io.cwd, outGiven) } : {}),
      display: rel,
    });
    if (flag(args, 'dry-run')) return printDryRun(io, json, estimateScaling(plan));
    await pinSplits(ws, io);
    const r = await runScaling(plan, progressHooks(io, progress));
    progress.done();
    if (json) io.stdout(JSON.stringify({ ...r.data, svg: rel(r.svgFile), json: rel(r.jsonFile) }) + '\n');
    else printScalingTable(io, r, rel);
    return 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    for (const l of all) await l.dispose();
  }
}

function printScalingTable(io: CommandIO, r: ScalingOutcome, rel: (p: string) => string): void {
  io.stdout(
    '| context pairs | mean used | accuracy (95% CI) | pairs | users | calls |\n| ---: | ---: | --- | ---: | ---: | ---: |\n',
  );
  const pct = (x: number) => (100 * x).toFixed(2);
  for (const p of r.result.points)
    io.stdout(
      `| ${p.size} | ${p.meanContextUsed.toFixed(1)} | ${pct(p.accuracy)}% [${pct(p.ci95[0])}, ${pct(p.ci95[1])}] ` +
        `| ${p.pairs} | ${p.users} | ${p.calls} |\n`,
    );
  const slope = r.result.slopePointsPerPair;
  const slopeText = slope !== null ? `Slope: ${slope.toFixed(2)} accuracy points per context pair. ` : '';
  io.stdout(`${slopeText}Chart: ${rel(r.svgFile)}; data: ${rel(r.jsonFile)}\n`);
}
