// synthesizeme theta optimize: search for a better persona-synthesis prompt Θ across the workspace's
// users, within a budget of calls, and adopt it only when it does better on held-out users.

import { dirname, join, relative } from 'node:path';
import { flag, intOption, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, openLlm, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
import { Progress } from '../progress';
import { contextJson, contextLine, openForRun, openModel, rethrowCancelled } from '../run-context';
import { UsageError } from '../usage-error';
import type { Llm } from '../../core/llm/client';
import type { ChatRequest } from '../../core/llm/types';
import { estimateTokens } from '../../core/llm/estimate';
import { DEFAULT_FIT_OPTIONS, type FitPrompts } from '../../core/method/fit';
import { planFitRequests } from '../../core/method/fit-plan';
import { judgeMessages, judgeSystem, personaSynthesisMessages } from '../../core/method/messages';
import { JUDGMENT_SCHEMA, PERSONA_SCHEMA } from '../../core/method/schemas';
import { pairsBySplit } from '../../core/workspace/open-workspace';
import { textHash } from '../../core/text-hash';
import { LIGHT_BUDGET, MEDIUM_BUDGET, parseBudget } from '../../core/method/theta/budget';
import { MINIBATCH, planSearch, SEED_REWRITES, type ThetaPlan } from '../../core/method/theta/plan';
import { scoringPairs, type ThetaUserData } from '../../core/method/theta/user-splits';
import { searchTheta, MERGE_EVERY, type ThetaSearchResult } from '../../core/method/theta/search';
import { LineageWriter, thetaRunDir, thetaRunId, candidateFile } from '../../core/method/theta/lineage';
import { thetaReport } from '../../core/method/theta/report';
import { adoptTheta } from '../../core/method/theta/acceptance';
import { FEEDBACK_CHARS, REFLECTION_PROMPT_HASH, REFLECTION_SCHEMA, reflectionMessages } from '../../core/method/theta/reflection-prompt';
import { MAX_THETA_CHARS } from '../../core/method/theta/guards';
import { accuracyOn } from '../../core/method/theta/pool';

const HELP = `Usage: synthesizeme theta optimize <workspace> [--budget light|medium|N] [options]

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
                             counted like any call (light = ${LIGHT_BUDGET}, medium = ${MEDIUM_BUDGET}; default light)
  --reflect-model NAME       the model that rewrites Θ, usually a larger one (default: --model)
  --reflect-base-url URL     its server, when it is another one (same provider)
  --k N                      random candidate demo sets of each user's first stage (default 10)
  --stop-score X             the first stage's stop score (default 0.8)
  --no-merge                 no merge steps (every ${MERGE_EVERY}th step merges two front candidates otherwise)
  --json                     one JSON object: {"accepted", "calls", "baseline", "best", "heldOut", "lineage", ...}
${splitOptionHelp}
${modelOptionHelp}

Example:
  synthesizeme theta optimize examples/workspace --budget 400 --model llama3.1:8b --reflect-model llama3.3:70b`;

export const thetaCommand: Command = {
  name: 'theta',
  summary: 'optimize the persona-synthesis prompt Θ across users, adopted only when held-out users confirm it',
  help: HELP,
  options: {
    budget: { type: 'string' },
    'reflect-model': { type: 'string' },
    'reflect-base-url': { type: 'string', multiple: true },
    k: { type: 'string' },
    'stop-score': { type: 'string' },
    'no-merge': { type: 'boolean' },
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const sub = args.positionals[0];
    if (sub !== 'optimize') throw new UsageError(sub ? `theta: unknown subcommand "${sub}" (optimize)` : 'theta: say optimize (see synthesizeme theta --help)');
    return thetaOptimize(args, io);
  },
};

const TYPICAL_PERSONA = 'x'.repeat(1200);
const TYPICAL_REASONING = 'x'.repeat(600);

/** The largest requests of each kind, so Ollama's context is sized once, the same way on every run (it is part of the cache key). */
function sizingRequests(users: readonly ThetaUserData[], plan: ThetaPlan, prompts: FitPrompts, temperature: number, seed: number, k: number): { main: ChatRequest[]; reflection: ChatRequest } {
  const used = new Set(plan.users.map((u) => u.id));
  const mine = users.filter((u) => used.has(u.id));
  const main = planFitRequests(mine, prompts, { temperature, seed, k });
  const persona = judgeSystem(prompts.judge.text, { persona: TYPICAL_PERSONA });
  for (const u of mine) for (const p of scoringPairs(u, plan.pairsPerUser)) main.push({ messages: judgeMessages(persona, p, 'AB'), schema: JUDGMENT_SCHEMA, temperature, seed });
  for (const u of mine) {
    const demos = u.context.map((pair) => ({ pair, demo: { pairId: pair.pairId, order: 'AB' as const, preference: 'A' as const, reasoning: TYPICAL_REASONING } }));
    main.push({ messages: personaSynthesisMessages('x'.repeat(MAX_THETA_CHARS), demos), schema: PERSONA_SCHEMA, temperature, seed });
  }
  // Feedback at its largest.
  const feedback = Array.from({ length: MINIBATCH }, () => 'x'.repeat(Math.floor(FEEDBACK_CHARS / MINIBATCH)));
  const reflection: ChatRequest = { messages: reflectionMessages('x'.repeat(MAX_THETA_CHARS), feedback, 'x'.repeat(200)), schema: REFLECTION_SCHEMA, temperature, seed };
  return { main, reflection };
}

function reflectLlm(args: ParsedArgs, io: CommandIO, main: Llm, settings: Parameters<typeof openLlm>[2], cacheDir: string): Llm | undefined {
  const model = stringOption(args, 'reflect-model');
  const urls = args.values['reflect-base-url'];
  if (!model && urls === undefined) return undefined;
  const values = { ...args.values, model: model ?? main.model, ...(urls !== undefined ? { 'base-url': urls } : {}) };
  return openLlm({ ...args, values }, io, settings, cacheDir);
}

async function thetaOptimize(args: ParsedArgs, io: CommandIO): Promise<number> {
  const budget = parseBudget(stringOption(args, 'budget') ?? 'light');
  const k = intOption(args, 'k', DEFAULT_FIT_OPTIONS.k, 0);
  const stopRaw = stringOption(args, 'stop-score');
  const stopScore = stopRaw === undefined ? DEFAULT_FIT_OPTIONS.stopScore : Number(stopRaw);
  if (!(stopScore > 0 && stopScore <= 1)) throw new UsageError(`--stop-score: expected a number in (0, 1], got "${stopRaw}"`);
  const { ws, users: entries } = await openForRun({ ...args, positionals: args.positionals.slice(1), values: { ...args.values, all: true } }, io, 'theta optimize');
  const temperature = temperatureFrom(args, ws.settings);
  const seed = ws.split.seed;
  const json = flag(args, 'json');
  const dryRun = flag(args, 'dry-run');
  const rel = (p: string) => relative(io.cwd, p) || p;
  const prompts: FitPrompts = { bootstrap: await ws.prompts.get('bootstrap'), personaSynthesis: await ws.prompts.get('persona-synthesis'), judge: await ws.prompts.get('judge') };
  const users: ThetaUserData[] = entries.map((u) => ({ id: u.id, ...pairsBySplit(u) }));
  const plan = planSearch(users, { budget, k, seed });
  const merge = !flag(args, 'no-merge');

  const llm = openModel(args, io, ws);
  let reflect: Llm | undefined;
  const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
  try {
    reflect = reflectLlm(args, io, llm, ws.settings, ws.layout.cacheDir);
    const sizing = sizingRequests(users, plan, prompts, temperature, seed, k);
    const size = (l: Llm, rs: ChatRequest[]) => (dryRun ? l.sizeContext(rs).catch(() => undefined) : l.sizeContext(rs));
    const context = await size(llm, reflect ? sizing.main : [...sizing.main, sizing.reflection]);
    const reflectContext = reflect ? await size(reflect, [sizing.reflection]) : undefined;
    if (dryRun) return await dryRunReport(io, json, llm, plan, users, prompts, { budget, temperature, seed, k }, context, reflectContext);

    const usedIds = new Set(plan.users.map((u) => u.id));
    const identity = {
      model: `${llm.provider}:${llm.model}`,
      reflectModel: reflect ? `${reflect.provider}:${reflect.model}` : `${llm.provider}:${llm.model}`,
      budget,
      seed,
      k,
      stopScore,
      temperature,
      merge,
      prompts: { bootstrap: prompts.bootstrap.hash, 'persona-synthesis': prompts.personaSynthesis.hash, judge: prompts.judge.hash, reflection: REFLECTION_PROMPT_HASH },
      roles: plan.roles,
      pairsPerUser: plan.pairsPerUser,
      data: textHash(JSON.stringify(users.filter((u) => usedIds.has(u.id)).map((u) => [u.id, ...[...u.context, ...u.validation, ...u.test].map((p) => [p.pairId, p.context, p.chosen.content, p.rejected.content])]))),
    };
    const runId = thetaRunId(identity);
    const dir = thetaRunDir(dirname(ws.layout.runsDir), runId);
    const lineage = new LineageWriter(dir);
    progress.message(
      `theta: ${plan.users.length} user(s) (reflection ${plan.roles.reflection.length}, selection ${plan.roles.selection.length}, held-out ${plan.roles.heldOut.length}), up to ${plan.pairsPerUser} pairs each, budget ${budget} calls; lineage in ${rel(dir)}`,
    );
    const result = await searchTheta({
      model: llm,
      ...(reflect ? { reflectModel: reflect } : {}),
      users,
      plan,
      prompts,
      temperature,
      seed,
      k,
      stopScore,
      budget,
      merge,
      lineage,
      runInfo: { run: runId, ...identity, users: plan.users, unused: plan.unused, plan: plan.cost },
      signal: io.signal,
      onProgress: (p) => progress.update(`theta ${p.phase}${p.phase === 'search' ? ` step ${p.step}` : ''}, calls`, p.used, p.budget),
      onNote: (m) => progress.message(`theta: ${m}`),
    });
    progress.done();

    let adopted: { path: string; previous?: string; version: string } | undefined;
    let notWritten: string | undefined;
    if (result.accepted) {
      adopted = await adoptTheta(ws.layout.promptDir, ws.layout.historyDir, prompts.personaSynthesis.hash, result.best.text);
      if (!adopted) notWritten = `The persona-synthesis prompt changed while the search ran, so the accepted Θ was not written; it is in ${rel(join(dir, 'candidates', candidateFile(result.best.id)))}.`;
    }
    const reportPath = join(dir, 'report.md');
    await lineage.report(
      thetaReport(result, {
        runId,
        model: identity.model,
        reflectModel: identity.reflectModel,
        budget,
        seed,
        ...(adopted ? { adoptedTo: rel(adopted.path) } : {}),
        ...(notWritten ? { notWritten } : {}),
      }),
    );
    if (json) io.stdout(JSON.stringify(resultJson(result, { budget, dir, reportPath, rel, adopted, notWritten })) + '\n');
    else io.stdout(humanSummary(result, { budget, dir, reportPath, rel, adopted, notWritten }));
    return 0;
  } catch (err) {
    progress.done();
    return rethrowCancelled(err, io, `synthesizeme ${process.argv.slice(2).join(' ')}`);
  } finally {
    await llm.dispose();
    await reflect?.dispose();
  }
}

interface OutputInfo {
  budget: number;
  dir: string;
  reportPath: string;
  rel: (p: string) => string;
  adopted: { path: string; previous?: string; version: string } | undefined;
  notWritten: string | undefined;
}

function resultJson(r: ThetaSearchResult, o: OutputInfo) {
  const H = r.plan.roles.heldOut;
  const c = r.heldOut?.comparison;
  const heldOutOf = (which: 'A' | 'B') => (c ? { accuracy: which === 'A' ? c.accuracyA : c.accuracyB, ci95: which === 'A' ? c.ci95A : c.ci95B } : null);
  const sel = (x: typeof r.baseline) => accuracyOn(x, r.plan.roles.selection);
  return {
    accepted: r.accepted,
    adopted: o.adopted !== undefined,
    calls: r.calls.used,
    serverCalls: r.calls.server,
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
      file: o.rel(join(o.dir, 'candidates', candidateFile(r.best.id))),
    },
    heldOut: c
      ? {
          difference: c.difference,
          ci95: c.ci95,
          p: c.pairedTest.p,
          users: H.length,
          pairs: c.pairs,
          perUser: c.perUser.map((u) => ({ user: u.user, pairs: u.pairs, baseline: u.accuracyA, best: u.accuracyB, difference: u.difference })),
        }
      : null,
    reason: r.reason,
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
    ...(o.adopted ? { prompt: o.rel(o.adopted.path), ...(o.adopted.previous ? { previous: o.rel(o.adopted.previous) } : {}) } : {}),
    ...(o.notWritten ? { notWritten: o.notWritten } : {}),
  };
}

function humanSummary(r: ThetaSearchResult, o: OutputInfo): string {
  const lines = [
    `Θ search: ${r.reason}.`,
    `  ${r.calls.used} of ${o.budget} calls (${r.calls.server} to the server, ${r.calls.cached} from cache), ${r.steps} step(s), ${r.candidates.length} candidate(s) (${r.candidates.filter((x) => x.status === 'rejected').length} rejected by a guard)`,
  ];
  if (o.adopted) lines.push(`  written to ${o.rel(o.adopted.path)}${o.adopted.previous ? ` (the previous text is kept in ${o.rel(o.adopted.previous)})` : ''}`);
  if (o.notWritten) lines.push(`  ${o.notWritten}`);
  lines.push(`  lineage: ${o.rel(o.dir)}  report: ${o.rel(o.reportPath)}`);
  return lines.join('\n') + '\n';
}

async function dryRunReport(
  io: CommandIO,
  json: boolean,
  llm: Llm,
  plan: ThetaPlan,
  users: readonly ThetaUserData[],
  prompts: FitPrompts,
  o: { budget: number; temperature: number; seed: number; k: number },
  context: Awaited<ReturnType<Llm['sizeContext']>>,
  reflectContext: Awaited<ReturnType<Llm['sizeContext']>>,
): Promise<number> {
  const used = new Set(plan.users.map((u) => u.id));
  const mine = users.filter((u) => used.has(u.id));
  // The first stages' bootstrap requests are known exactly (and may be cached); the rest is typical.
  const firstStage = planFitRequests(mine, prompts, o).filter((r) => r.schema?.name !== PERSONA_SCHEMA.name);
  const fsEstimate = await llm.estimate(firstStage.slice(0, Math.min(firstStage.length, plan.cost.firstStageBound)), { defaultCompletionTokens: 250 });
  const persona = judgeSystem(prompts.judge.text, { persona: TYPICAL_PERSONA });
  const episode: ChatRequest[] = [];
  for (const u of mine) for (const p of scoringPairs(u, plan.pairsPerUser)) episode.push({ messages: judgeMessages(persona, p, 'AB'), schema: JUDGMENT_SCHEMA, temperature: o.temperature });
  const perCall = episode.length ? episode.reduce((s, r) => s + estimateTokens(r.messages), 0) / episode.length : 0;
  const rest = Math.max(0, o.budget - plan.cost.firstStageBound);
  const promptTokens = fsEstimate.promptTokens + Math.round(rest * perCall);
  const completionTokens = fsEstimate.completionTokens + rest * 150;
  const out = {
    budget: o.budget,
    calls: o.budget,
    users: plan.roles,
    unused: plan.unused,
    pairsPerUser: plan.pairsPerUser,
    minibatch: plan.minibatch,
    seedRewrites: SEED_REWRITES,
    plan: plan.cost,
    cachedFirstStageCalls: fsEstimate.cachedCalls,
    promptTokens,
    completionTokens,
    ...contextJson(context),
    ...(reflectContext ? { reflectionContext: contextJson(reflectContext).context } : {}),
  };
  if (json) io.stdout(JSON.stringify(out) + '\n');
  else {
    io.stdout(
      `Dry run: at most ${o.budget} call(s) (the budget), about ${promptTokens} prompt + ${completionTokens} completion tokens.\n` +
        `  users: reflection ${plan.roles.reflection.join(', ')}; selection ${plan.roles.selection.join(', ')}; held-out ${plan.roles.heldOut.join(', ')}` +
        `${plan.unused.length ? `; not used: ${plan.unused.map((u) => `${u.user} (${u.reason})`).join(', ')}` : ''}\n` +
        `  up to ${plan.pairsPerUser} pairs per user; first stages at most ${plan.cost.firstStageBound} call(s) (${fsEstimate.cachedCalls} bootstrap call(s) already cached), ` +
        `baselines ${plan.cost.baselines}, held-out check ${plan.cost.finalCheck} (set aside), search steps at most ${plan.cost.step} each: room for at least ${plan.cost.steps}.\n` +
        contextLine(context),
    );
  }
  return 0;
}
