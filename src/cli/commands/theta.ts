// synthesizeme theta optimize: search for a better persona-synthesis prompt Θ across the workspace's
// users, within a budget of calls, and adopt it only when it does better on held-out users.

import { relative } from 'node:path';
import { flag, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { Progress } from '../progress';
import { contextJson, contextLine, openForRun, openModel, rethrowCancelled } from '../run-context';
import { UsageError } from '../usage-error';
import { CountingModel, type Llm } from '../../core/llm';
import {
  accuracyOn,
  addWorkedExamples,
  estimateTheta,
  LIGHT_BUDGET,
  MEDIUM_BUDGET,
  MERGE_EVERY,
  MIN_HELD_OUT_FOR_ADOPTION,
  parseBudget,
  prepareTheta,
  runTheta,
  type ThetaPrepared,
  type ThetaSearchResult,
} from '../../core/theta';
import { DEFAULT_FIT_OPTIONS, planFitRequests } from '../../core/method';
import { pairsBySplit } from '../../core/workspace';
import { fitOptionHelp, fitOptionSpec, fitOptionsFrom } from '../fit-options';
import { percent } from '../../core/percent';
import { UserError } from '../../core/user-error';

const HELP = `Usage: synthesizeme theta optimize <workspace> [--budget light|medium|N] [options]
       synthesizeme theta add-example <workspace> (--user ID | --all) [--min-validation X] [options]

Searches for a better persona-synthesis prompt (Θ, prompts/persona-synthesis.prompt.md) across the
workspace's users. Users are split into reflection, selection and held-out users. Each step takes a
parent from the per-user Pareto front of the candidates, runs it on a minibatch of reflection users
(persona re-synthesized from each user's first stage, pairs judged in both orders), lets the
reflection model rewrite it from the failures, and keeps the child only if it does strictly better
on that minibatch; kept children are scored on the selection users. Candidates that copy the users'
data, name their topics, run long, state an output format or stage a role-play are rejected unseen.
The best candidate is adopted only when the paired, user-clustered 95% interval of its difference
from the current Θ on the held-out users excludes 0; the old Θ stays in the prompt's history.
Everything is recorded in .synthesizeme/theta/<run>/ (every candidate, its parent, its scores per
user, and report.md). Running the same command again resumes (the cache answers what was done).

Options:
  --budget light|medium|N    the most LLM calls the command makes, everything included, cache hits
                             counted like any call (light = ${LIGHT_BUDGET}, medium = ${MEDIUM_BUDGET}; default light);
                             also the most requests sent to the server, retries and timed-out ones
                             included: a retry past it is not sent, and the run stops to be resumed
  --reflect-model NAME       the model that rewrites Θ, usually a larger one (default: --model)
  --reflect-base-url URL     its server, when it is another one (same provider)
${fitOptionHelp("each user's first stage")}
  --no-merge                 no merge steps (every ${MERGE_EVERY}th step merges two front candidates otherwise)
  --allow-few-users          run even when the users are too few for any candidate ever to be adopted
                             (fewer than ${MIN_HELD_OUT_FOR_ADOPTION} held-out users) or to be selected on more than one
                             user; without it such a run stops before any call and says why (--dry-run shows it too)
  --json                     one JSON object: {"accepted", "calls", "baseline", "best", "heldOut", "lineage", ...}
${splitOptionHelp}
${modelOptionHelp}

add-example writes worked examples into Θ (persona-synthesis demonstrations, as in the reference's
shipped Θ) from verified fits: a user's fit is verified when its persona file's validation accuracy
reaches --min-validation (default the stop score, 0.8). The example's input is that user's first
stage, replayed with the fit's settings (from the cache when the prompts have not changed), and its
output the persona file's persona. They go at the end of prompts/persona-synthesis.prompt.md, one
<worked_example> block per user, to read, edit or delete; the old Θ is kept in history. From then
on, Θ's re-validation and search leave those users out: their data is in Θ.

Example:
  synthesizeme theta optimize examples/workspace --budget 400 --model llama3.1:8b --reflect-model llama3.3:70b
  synthesizeme theta add-example examples/workspace --user ada --min-validation 0.7`;

export const thetaCommand: Command = {
  name: 'theta',
  summary: 'optimize the persona-synthesis prompt Θ across users, adopted only when held-out users confirm it',
  help: HELP,
  options: {
    budget: { type: 'string' },
    'reflect-model': { type: 'string' },
    'reflect-base-url': { type: 'string', multiple: true },
    ...fitOptionSpec,
    'no-merge': { type: 'boolean' },
    'allow-few-users': { type: 'boolean' },
    user: { type: 'string' },
    all: { type: 'boolean' },
    'min-validation': { type: 'string' },
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const sub = args.positionals[0];
    if (sub === 'add-example') return thetaAddExample(args, io);
    if (sub !== 'optimize')
      throw new UsageError(
        sub
          ? `theta: unknown subcommand "${sub}" (optimize, add-example)`
          : 'theta: say optimize or add-example (see synthesizeme theta --help)',
      );
    if (
      stringOption(args, 'user') !== undefined ||
      flag(args, 'all') ||
      stringOption(args, 'min-validation') !== undefined
    )
      throw new UsageError(
        'theta optimize: --user, --all and --min-validation go with add-example (the search uses every user)',
      );
    return thetaOptimize(args, io);
  },
};

function reflectLlm(
  args: ParsedArgs,
  io: CommandIO,
  main: Llm,
  settings: Parameters<typeof openLlm>[2],
  cacheDir: string,
): Llm | undefined {
  const model = stringOption(args, 'reflect-model');
  const urls = args.values['reflect-base-url'];
  if (!model && urls === undefined) return undefined;
  const values = { ...args.values, model: model ?? main.model, ...(urls !== undefined ? { 'base-url': urls } : {}) };
  return openLlm({ ...args, values }, io, settings, cacheDir);
}

async function thetaOptimize(args: ParsedArgs, io: CommandIO): Promise<number> {
  const budget = parseBudget(stringOption(args, 'budget') ?? 'light');
  const { k, stopScore, labeledDemos } = fitOptionsFrom(args);
  const { ws, users } = await openForRun(
    { ...args, positionals: args.positionals.slice(1), values: { ...args.values, all: true } },
    io,
    'theta optimize',
  );
  const json = flag(args, 'json');
  const dryRun = flag(args, 'dry-run');
  const rel = (p: string) => relative(io.cwd, p) || p;
  const llm = openModel(args, io, ws);
  let reflect: Llm | undefined;
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    reflect = reflectLlm(args, io, llm, ws.settings, ws.layout.cacheDir);
    const prepared = await prepareTheta(
      {
        layout: ws.layout,
        prompts: ws.prompts,
        users,
        seed: ws.split.seed,
        temperature: temperatureFrom(args, ws.settings),
        model: llm,
        ...(reflect ? { reflectModel: reflect } : {}),
        budget,
        k,
        stopScore,
        labeledDemos,
        merge: !flag(args, 'no-merge'),
      },
      {
        dryRun,
        // The CLI asks no one: a run that cannot end in an adoption goes on only when the command line says so.
        goOnWithTooFewUsers: (notes) => {
          if (flag(args, 'allow-few-users')) return true;
          throw new UserError(
            `theta optimize: ${notes.join('; ')}. Nothing was sent; to run anyway, add --allow-few-users`,
            2,
          );
        },
      },
    );
    for (const n of prepared.plan.notes) io.stderr(`note: theta: ${n}\n`);
    if (dryRun) return await dryRunReport(io, json, prepared);
    const { plan } = prepared;
    const outcome = await runTheta(prepared, {
      signal: io.signal,
      display: rel,
      onStart: ({ dir }) =>
        progress.message(
          `theta: ${plan.users.length} user(s) (reflection ${plan.roles.reflection.length}, ` +
            `selection ${plan.roles.selection.length}, held-out ${plan.roles.heldOut.length}), ` +
            `up to ${plan.pairsPerUser} pairs each, budget ${budget} calls; lineage in ${rel(dir)}`,
        ),
      onProgress: (p) =>
        progress.update(`theta ${p.phase}${p.phase === 'search' ? ` step ${p.step}` : ''}, calls`, p.used, p.budget),
      onNote: (m) => progress.message(`theta: ${m}`),
    });
    progress.done();
    const info: OutputInfo = {
      budget,
      dir: outcome.dir,
      reportPath: outcome.reportPath,
      bestFile: outcome.bestFile,
      rel,
      adopted: outcome.adopted,
      notWritten: outcome.notWritten,
    };
    if (json) io.stdout(JSON.stringify(resultJson(outcome.result, info)) + '\n');
    else io.stdout(humanSummary(outcome.result, info));
    return 0;
  } catch (err) {
    progress.done();
    // A run that stops still says what it sent: the count the server saw (the models count where a request leaves).
    if (!dryRun) io.stderr(`theta: ${sentLine([llm, ...(reflect ? [reflect] : [])], budget)}\n`);
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    await llm.dispose();
    await reflect?.dispose();
  }
}

function sentLine(models: readonly Llm[], budget: number): string {
  const sent = models.reduce((n, m) => n + m.counters().attempts, 0);
  const cached = models.reduce((n, m) => n + m.counters().cacheHits, 0);
  return (
    `${sent} request(s) sent to the server of a budget of ${budget} (retries and timed-out ones included); ` +
    `${cached} answered by the cache, sending nothing`
  );
}

async function thetaAddExample(args: ParsedArgs, io: CommandIO): Promise<number> {
  const raw = stringOption(args, 'min-validation');
  const minValidation = raw === undefined ? DEFAULT_FIT_OPTIONS.stopScore : Number(raw);
  if (!(minValidation >= 0 && minValidation <= 1))
    throw new UsageError(`--min-validation: expected a number in [0, 1], got "${raw}"`);
  const { ws, users } = await openForRun({ ...args, positionals: args.positionals.slice(1) }, io, 'theta add-example');
  const json = flag(args, 'json');
  const rel = (p: string) => relative(io.cwd, p) || p;
  const llm = openModel(args, io, ws);
  try {
    // Ollama: the fit's own num_ctx (it is part of the cache key), sized the way fit sizes it, so the replay is cached.
    const prompts = {
      bootstrap: await ws.prompts.get('bootstrap'),
      personaSynthesis: await ws.prompts.get('persona-synthesis'),
      judge: await ws.prompts.get('judge'),
    };
    await llm.sizeContext(
      planFitRequests(users.map(pairsBySplit), prompts, {
        temperature: temperatureFrom(args, ws.settings),
        seed: ws.split.seed,
        ...fitOptionsFrom(args),
      }),
    );
    const counted = new CountingModel(llm);
    const r = await addWorkedExamples({
      layout: ws.layout,
      prompts: ws.prompts,
      users,
      model: counted,
      seed: ws.split.seed,
      minValidation,
      signal: io.signal,
      display: rel,
    });
    const usage = counted.usage;
    if (json)
      io.stdout(
        JSON.stringify({
          ...r,
          ...(r.written
            ? {
                written: {
                  path: rel(r.written.path),
                  ...(r.written.previous ? { previous: rel(r.written.previous) } : {}),
                },
              }
            : {}),
          calls: usage.calls,
          cacheHits: usage.cacheHits,
        }) + '\n',
      );
    else {
      for (const a of r.added)
        io.stdout(
          `${a.user}: worked example ${a.replaced ? 'replaced' : 'added'} (validation ${percent(a.validation)})\n`,
        );
      for (const f of r.refused) io.stderr(`${f.user}: not added: ${f.reason}\n`);
      if (r.written)
        io.stdout(
          `${rel(r.written.path)}: ${r.examples} worked example(s); ${usage.calls} call(s), ${usage.cacheHits} from the cache` +
            `${r.written.previous ? '; the previous Θ is kept in history' : ''}\n`,
        );
    }
    return r.added.length ? 0 : 1;
  } catch (err) {
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    await llm.dispose();
  }
}

interface OutputInfo {
  budget: number;
  dir: string;
  reportPath: string;
  bestFile: string;
  rel: (p: string) => string;
  adopted: { path: string; previous?: string; version: string } | undefined;
  notWritten: string | undefined;
}

function resultJson(r: ThetaSearchResult, o: OutputInfo) {
  const H = r.plan.roles.heldOut;
  const c = r.heldOut?.comparison;
  const heldOutOf = (which: 'A' | 'B') =>
    c ? { accuracy: which === 'A' ? c.accuracyA : c.accuracyB, ci95: which === 'A' ? c.ci95A : c.ci95B } : null;
  const sel = (x: typeof r.baseline) => accuracyOn(x, r.plan.roles.selection);
  return {
    accepted: r.accepted,
    adopted: o.adopted !== undefined,
    calls: r.calls.used,
    // Every HTTP request sent (retries and timed-out ones included): what the server received.
    serverCalls: r.calls.requests,
    answeredByServer: r.calls.server,
    cacheHits: r.calls.cached,
    budget: o.budget,
    baseline: { candidate: r.baseline.id, hash: r.baseline.hash, selection: sel(r.baseline), heldOut: heldOutOf('A') },
    best: {
      candidate: r.best.id,
      hash: r.best.hash,
      parents: r.best.parents,
      origin: r.best.origin,
      selection: sel(r.best),
      heldOut: r.best === r.baseline ? null : heldOutOf('B'),
      file: o.rel(o.bestFile),
    },
    heldOut: c
      ? {
          difference: c.difference,
          ci95: c.ci95,
          p: c.pairedTest.p,
          users: H.length,
          pairs: c.pairs,
          perUser: c.perUser.map((u) => ({
            user: u.user,
            pairs: u.pairs,
            baseline: u.accuracyA,
            best: u.accuracyB,
            difference: u.difference,
          })),
        }
      : null,
    reason: r.reason,
    ...(r.stopped ? { stopped: r.stopped } : {}),
    steps: r.steps,
    candidates: {
      total: r.candidates.length,
      pool: r.candidates.filter((x) => x.status === 'pool').length,
      rejected: r.candidates.filter((x) => x.status === 'rejected').length,
      discarded: r.candidates.filter((x) => x.status === 'discarded').length,
    },
    users: r.plan.roles,
    unused: r.plan.unused,
    pairsPerUser: r.plan.pairsPerUser,
    plan: r.plan.cost,
    lineage: o.rel(o.dir),
    report: o.rel(o.reportPath),
    ...(o.adopted
      ? { prompt: o.rel(o.adopted.path), ...(o.adopted.previous ? { previous: o.rel(o.adopted.previous) } : {}) }
      : {}),
    ...(o.notWritten ? { notWritten: o.notWritten } : {}),
  };
}

function humanSummary(r: ThetaSearchResult, o: OutputInfo): string {
  const lines = [
    `Θ search: ${r.reason}.`,
    `  ${r.calls.used} of ${o.budget} calls (${r.calls.cached} answered by the cache, sending nothing; ` +
      `${r.calls.requests} request(s) sent to the server, retries and timed-out ones included), ` +
      `${r.steps} step(s), ${r.candidates.length} candidate(s) ` +
      `(${r.candidates.filter((x) => x.status === 'rejected').length} rejected by a guard)`,
  ];
  if (o.adopted)
    lines.push(
      `  written to ${o.rel(o.adopted.path)}${o.adopted.previous ? ` (the previous text is kept in ${o.rel(o.adopted.previous)})` : ''}`,
    );
  if (o.notWritten) lines.push(`  ${o.notWritten}`);
  if (r.stopped) lines.push(`  stopped early: ${r.stopped}`);
  lines.push(`  lineage: ${o.rel(o.dir)}  report: ${o.rel(o.reportPath)}`);
  return lines.join('\n') + '\n';
}

async function dryRunReport(io: CommandIO, json: boolean, p: ThetaPrepared): Promise<number> {
  const { plan } = p;
  const e = await estimateTheta(p);
  const out = {
    ...e,
    users: plan.roles,
    unused: plan.unused,
    notes: plan.notes,
    plan: plan.cost,
    ...contextJson(p.context),
    ...(p.reflectContext ? { reflectionContext: contextJson(p.reflectContext).context } : {}),
  };
  if (json) io.stdout(JSON.stringify(out) + '\n');
  else {
    io.stdout(
      `Dry run: likely ${e.likelyCalls}, at most ${e.budget} call(s) (the budget), ` +
        `about ${e.promptTokens} prompt + ${e.completionTokens} completion tokens.\n` +
        `  users: reflection ${plan.roles.reflection.join(', ')}; selection ${plan.roles.selection.join(', ')}; ` +
        `held-out ${plan.roles.heldOut.join(', ')}` +
        `${plan.unused.length ? `; not used: ${plan.unused.map((u) => `${u.user} (${u.reason})`).join(', ')}` : ''}\n` +
        `  up to ${plan.pairsPerUser} pairs per user; first stages at most ${plan.cost.firstStageBound} call(s) ` +
        `(${e.cachedFirstStageCalls} bootstrap call(s) already cached), ` +
        `baselines ${plan.cost.baselines}, held-out check ${plan.cost.finalCheck} (set aside), ` +
        `search steps at most ${plan.cost.step} each: room for at least ${plan.cost.steps}.\n` +
        contextLine(p.context),
    );
  }
  return 0;
}
