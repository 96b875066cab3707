// synthesizeme bench run / bench scaling: whole-benchmark runs over a prepared workspace.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
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
import { type Llm } from '../../core/llm';
import { PathNotFoundError, type UserEntry } from '../../core/data';
import { openWorkspace, pairsBySplit, type Workspace } from '../../core/workspace';
import {
  isMethod,
  type Method,
  METHODS,
  needsPersona,
  type Prompt,
  promptHash,
  selectionCallBound,
} from '../../core/method';
import {
  type BenchJobOptions,
  benchRun,
  benchRunMarkdown,
  fittable,
  modelSlug,
  scaling,
  scalingSvg,
} from '../../core/bench';
import { allowNamedOutput, checkWrite, chooseFileToRead } from '../../core/write-guard';
import { READ_LIMITS, readOwnBytes } from '../../core/read-guard';
import { fitOptionHelp, fitOptionSpec, fitOptionsFrom } from '../fit-options';
import { percent, percentPoints } from '../../core/percent';
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
  theta: { type: 'string' },
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
  --theta FILE               fit the personas with this persona-synthesis prompt Θ instead of the workspace's
                             (e.g. one \`theta optimize\` found with a larger model: "Distill Θ"); its personas
                             go to personas/theta-<hash>/<model>/, apart from the workspace's own

synthesizeme bench scaling <workspace> --sizes 2,4,8 [--models M] [--fit-model M] [--users N] [--out FILE.svg]
  Accuracy of persona+demos against the number of context pairs a fit may use (each user's
  context subsampled deterministically; larger sizes contain the smaller ones). Writes an SVG
  line chart with 95% intervals (default .synthesizeme/bench/scaling-<model>.svg) and its JSON.`;

async function openBenchWorkspace(args: ParsedArgs, io: CommandIO, sub: string): Promise<Workspace> {
  const path = args.positionals[1];
  if (!path) throw new UsageError(`bench ${sub}: give the workspace folder`);
  try {
    const ws = await openWorkspace(resolve(io.cwd, path), {
      cwd: io.cwd,
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
function openModels(args: ParsedArgs, io: CommandIO, ws: Workspace): { models: Llm[]; fitModel?: Llm; all: Llm[] } {
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

async function promptsOf(ws: Workspace) {
  return {
    bootstrap: await ws.prompts.get('bootstrap'),
    personaSynthesis: await ws.prompts.get('persona-synthesis'),
    judge: await ws.prompts.get('judge'),
    memory: await ws.prompts.get('memory'),
  };
}

/**
 * --dry-run: an upper bound of the calls, from counts alone (nothing is called). Fitting a user
 * costs at most n_context bootstrap + (2k + 3) x n_validation selection + 1 synthesis + n_context
 * re-bootstrap calls (fit.ts prunes most selection calls); evaluating costs 2 calls per test pair
 * and method, plus one memory extraction per user.
 */
/** What `bench run` and `bench scaling` share: the workspace's prompts and seed, and progress on stderr. */
async function jobOptions(
  ws: Workspace,
  io: CommandIO,
  progress: Progress,
  job: {
    users: readonly UserEntry[];
    fitModel?: Llm | undefined;
    temperature: number;
    k: number;
    stopScore: number;
    labeledDemos: number;
  },
): Promise<BenchJobOptions> {
  // Past the dry run: the first thing a bench writes is the pinned splits of a legacy workspace.
  await pinSplits(ws, io);
  return {
    users: job.users,
    ...(job.fitModel ? { fitModel: job.fitModel } : {}),
    runsDir: ws.layout.runsDir,
    prompts: await promptsOf(ws),
    temperature: job.temperature,
    seed: ws.split.seed,
    k: job.k,
    stopScore: job.stopScore,
    labeledDemos: job.labeledDemos,
    signal: io.signal,
    onProgress: (label, done, total) => progress.update(label, done, total),
    log: (m) => progress.message(m),
  };
}

function dryRunCounts(
  users: readonly UserEntry[],
  methods: readonly string[],
  knobs: { k: number; labeledDemos: number },
  models: number,
  fitModels: number,
  sizes = 1,
) {
  let fit = 0;
  let evalCalls = 0;
  for (const u of users) {
    const s = pairsBySplit(u);
    if (fittable(u))
      fit +=
        2 * s.context.length +
        selectionCallBound(s.context.length, s.validation.length, knobs, false) +
        selectionCallBound(s.context.length, s.validation.length, knobs, true) +
        1;
    for (const m of methods) evalCalls += 2 * s.test.length + (m === 'memory' && s.context.length ? 1 : 0);
  }
  const wantFit = methods.some((m) => isMethod(m) && needsPersona(m));
  return {
    users: users.length,
    fitCallsAtMost: wantFit ? fit * fitModels * sizes : 0,
    evalCalls: evalCalls * models * sizes,
  };
}

function printDryRun(io: CommandIO, json: boolean, counts: ReturnType<typeof dryRunCounts>): number {
  if (json) io.stdout(JSON.stringify({ dryRun: true, ...counts }) + '\n');
  else
    io.stdout(
      `Dry run: ${counts.users} user(s); fitting costs at most ${counts.fitCallsAtMost} call(s) (candidate pruning usually needs far fewer), evaluating ${counts.evalCalls} call(s). Calls already in the cache or in run files cost nothing.\n`,
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
  const { k, stopScore, labeledDemos } = fitOptionsFrom(args);
  const temperature = temperatureFrom(args, ws.settings);
  const { models, fitModel, all } = openModels(args, io, ws);
  const json = flag(args, 'json');
  if (flag(args, 'dry-run')) {
    for (const l of all) await l.dispose();
    return printDryRun(
      io,
      json,
      dryRunCounts(
        users,
        methods,
        { k, labeledDemos },
        models.length,
        fitModel ? 1 : new Set(models.map((m) => m.model)).size,
      ),
    );
  }
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    const theta = await thetaFromFile(args, io);
    const job = await jobOptions(ws, io, progress, { users, fitModel, temperature, k, stopScore, labeledDemos });
    const result = await benchRun({
      ...job,
      ...(theta ? { prompts: { ...job.prompts, personaSynthesis: theta } } : {}),
      methods: methods as Method[],
      models,
      // Personas fitted with another Θ must never be taken for the workspace's own (nor reused for them).
      personaRoot: theta
        ? join(ws.layout.personaDir, `theta-${theta.hash.slice('sha256:'.length, 'sha256:'.length + 12)}`)
        : ws.layout.personaDir,
    });
    progress.done();
    const rel = (p: string) => relative(io.cwd, p) || p;
    if (json) {
      io.stdout(
        JSON.stringify({
          users: users.length,
          cells: result.cells.map((c) => ({ ...c, run: rel(c.run) })),
          comparisons: result.comparisons,
          fits: result.fits.map((f) => ({ ...f, dir: rel(f.dir) })),
          markdown: benchRunMarkdown(result),
          ...(theta ? { theta: { file: rel(theta.path!), hash: theta.hash } } : {}),
          calls: all.reduce((n, l) => n + l.counters().calls, 0),
          cacheHits: all.reduce((n, l) => n + l.counters().cacheHits, 0),
        }) + '\n',
      );
    } else {
      io.stdout(benchRunMarkdown(result));
      if (!flag(args, 'table')) {
        for (const c of result.comparisons) io.stdout(`${c.method} vs default (${c.model}): ${c.sentence}\n`);
        for (const c of result.cells)
          for (const s of c.skipped) io.stdout(`  ${c.method} (${c.model}): skipped ${s.user}: ${s.reason}\n`);
      }
    }
    // A cell with failed calls leaves pairs out: the benchmark is incomplete, and says so (exit 1).
    const incomplete = result.cells.filter((c) => !c.complete);
    if (incomplete.length) {
      io.stderr(
        `The benchmark is incomplete: ${incomplete.map((c) => `${c.method} on ${c.model}: ${c.failedCalls} failed call(s)`).join('; ')}. Run the same command again to judge the missing pairs.\n`,
      );
      return 1;
    }
    return result.cells.every((c) => c.pairs === 0) ? 2 : 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    for (const l of all) await l.dispose();
  }
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
      throw new UserError(
        `--theta: cannot read ${file} (${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a folder, not a prompt file' : err.message})`,
        2,
      );
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
  const sizes = [...new Set(sizesText.split(',').map((s) => Number(s.trim())))];
  if (sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new UsageError(`--sizes: expected positive integers like 2,4,8, got "${sizesText}"`);
  // Checked before any call: an output through a planted link is refused up front, not after the work.
  const outGiven = stringOption(args, 'out');
  if (outGiven) allowNamedOutput(resolve(io.cwd, outGiven));
  const ws = await openBenchWorkspace(args, io, 'scaling');
  const users = selectBenchUsers(ws, args);
  const { k, stopScore, labeledDemos } = fitOptionsFrom(args);
  const temperature = temperatureFrom(args, ws.settings);
  const { models, fitModel, all } = openModels(args, io, ws);
  if (models.length !== 1) throw new UsageError('bench scaling: one evaluation model at a time (--models M)');
  const model = models[0]!;
  const json = flag(args, 'json');
  if (flag(args, 'dry-run')) {
    for (const l of all) await l.dispose();
    return printDryRun(
      io,
      json,
      dryRunCounts(users.filter(fittable), ['persona+demos'], { k, labeledDemos }, 1, 1, sizes.length),
    );
  }
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  const benchDir = join(ws.layout.runsDir, '..', 'bench');
  try {
    const r = await scaling({
      ...(await jobOptions(ws, io, progress, { users, fitModel, temperature, k, stopScore, labeledDemos })),
      sizes,
      model,
      stateDir: join(benchDir, 'scaling'),
    });
    progress.done();
    const rel = (p: string) => relative(io.cwd, p) || p;
    const out = stringOption(args, 'out');
    const svgPath = out ? resolve(io.cwd, out) : join(benchDir, `scaling-${modelSlug(model.model)}.svg`);
    const jsonPath = svgPath.replace(/\.svg$/i, '') + '.json';
    if (out) allowNamedOutput(svgPath);
    await checkWrite(svgPath);
    await checkWrite(jsonPath);
    await mkdir(dirname(svgPath), { recursive: true });
    await writeFile(svgPath, scalingSvg(r));
    const data = { ...r, points: r.points.map((p) => ({ ...p, run: rel(p.run) })) };
    await writeFile(jsonPath, JSON.stringify(data, null, 2) + '\n');
    if (json) io.stdout(JSON.stringify({ ...data, svg: rel(svgPath), json: rel(jsonPath) }) + '\n');
    else {
      io.stdout(
        '| context pairs | mean used | accuracy (95% CI) | pairs | users | calls |\n| ---: | ---: | --- | ---: | ---: | ---: |\n',
      );
      for (const p of r.points)
        io.stdout(
          `| ${p.size} | ${p.meanContextUsed.toFixed(1)} | ${percent(p.accuracy, 2)} [${percentPoints(p.ci95[0], 2)}, ${percentPoints(p.ci95[1], 2)}] | ${p.pairs} | ${p.users} | ${p.calls} |\n`,
        );
      io.stdout(
        `${r.slopePointsPerPair !== null ? `Slope: ${r.slopePointsPerPair.toFixed(2)} accuracy points per context pair. ` : ''}Chart: ${rel(svgPath)}; data: ${rel(jsonPath)}\n`,
      );
    }
    return 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    for (const l of all) await l.dispose();
  }
}
