// synthesizeme revalidate: judge a split with a prompt or persona as it is now and with its previous
// version, and compare them pair by pair. The engine is src/core/eval/revalidate.ts.

import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { flag, stringOption, type Command, type CommandIO, type ParsedArgs } from '../command';
import { modelOptionHelp, modelOptionSpec, temperatureFrom } from '../model-options';
import { splitOptionHelp, splitOptionSpec } from '../split-options';
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
import { costText, estimateJson as runEstimateJson, tokensText } from '../estimate-text';
import {
  estimateRevalidation,
  isRevalidatePrompt,
  modelDigestOf,
  prepareRevalidation,
  REVALIDATE_PROMPTS,
  revalidateResultText,
  type RevalidateResult,
  type RevalidateTarget,
  type RevalidationEstimate,
  type RevalidationPlan,
  runRevalidation,
} from '../../core/eval';
import { DEFAULT_PROMPTS, loadPersona } from '../../core/method';
import { redactUrl } from '../../core/llm';
import { UsageError } from '../usage-error';
import { allowChosenRead, enclosingWorkspace } from '../../core/write-guard';
import { fitOptionHelp, fitOptionOverrides, fitOptionSpec } from '../fit-options';

export const revalidateCommand: Command = {
  name: 'revalidate',
  summary: 'compare a prompt or persona as it is now with its previous version, pair by pair',
  help: `Usage: synthesizeme revalidate [<workspace>] <prompt-name | persona-file> [--user ID | --all] [options]

Judges the split with the text as it is now and with its previous version, and reports the
paired difference (current - previous) with its 95% interval and p-value (the intervals resample
users, then pairs, when there are several users), the outcome per user, and every pair that
flipped. The workspace is the current folder when it is not given.

  judge               persona+demos for users with a persona file, the default judge for the others
  memory              the memory method
  persona-synthesis   Θ: each user's persona is written again from their first stage (the fit's,
                      from the cache) with each version of Θ, then persona+demos with the first
                      stage's demonstrations; no persona file is written
  <file>.persona.yaml persona+demos for the file's user (no --user or --all needed)

The previous version comes from history (.synthesizeme/history/): a prompt's newest kept version
that differs (the shipped default counts as the first), a persona's newest version whose persona
or demonstrations differ (the fitted one at the first edit). Nothing is compared with itself:
without another version a prompt is not judged (the command says so and exits 0), and a persona
is judged alone (its accuracy and interval, no comparison). The text it judges is kept as a
version, so the next edit is compared with it; the persona file itself is never rewritten. The estimate comes first (--dry-run
stops there); the cache makes a repeated re-validation free. Calls that failed make it exit 1.

Options:
  --user ID | --all          which users (prompts)
  --split validation|test    which pairs to judge (default validation)
  --label TEXT               a name for the runs it writes (synthesizeme runs lists it)
${fitOptionHelp('Θ only, when not in the persona file')}
  --json                     one JSON object: {"target", "pairs", "users", "difference", "ci95",
                             "p", "flipped": [...], "previous": "<version id>", ...}
${splitOptionHelp}
${modelOptionHelp}

Examples:
  synthesizeme revalidate examples/workspace judge --all
  synthesizeme revalidate personas/ada.persona.yaml --json`,
  options: {
    user: { type: 'string' },
    all: { type: 'boolean' },
    split: { type: 'string' },
    label: { type: 'string' },
    ...fitOptionSpec,
    json: { type: 'boolean' },
    ...splitOptionSpec,
    ...modelOptionSpec,
  },

  async run(args, io) {
    const { wsArg, targetArg } = workspaceAndTarget(args, io.cwd);
    const split = stringOption(args, 'split') ?? 'validation';
    if (split !== 'test' && split !== 'validation')
      throw new UsageError(`--split: expected validation or test, got "${split}"`);
    const label = stringOption(args, 'label');
    if (label !== undefined && !label.trim()) throw new UsageError('--label: give a non-empty name');
    const fit = fitOptionOverrides(args);
    const target = targetOf(targetArg, io.cwd);
    const runArgs = await personaRunArgs({ ...args, positionals: [wsArg] }, target, io.cwd);
    const { ws, users } = await openForRun(runArgs, io, 'revalidate');
    const temperature = temperatureFrom(args, ws.settings);
    const rel = (p: string) => relative(io.cwd, p) || p;
    const plan = await prepareRevalidation({ ws, target, users, split, temperature, fit, display: rel });
    const json = flag(args, 'json');
    const llm = openModel(args, io, ws);
    const progress = new Progress(io.stderr, io.isTTY, json && !io.isTTY);
    try {
      const dryRun = flag(args, 'dry-run');
      const estimated = await estimateRevalidation(plan, llm, { dryRun, signal: io.signal });
      if (dryRun) return dryRunReport(io, json, plan, estimated);
      // The estimate before the run, also with --json (on stderr): what the run will cost is said before it is spent.
      if (!plan.nothingToCompare)
        io.stderr(`revalidate ${plan.target} ${versusText(plan)}: ${estimateText(estimated)}\n`);
      const modelDigest = plan.nothingToCompare ? undefined : await modelDigestOf(llm, io.signal);
      const result = await runRevalidation(plan, {
        model: llm,
        ...(modelDigest ? { modelDigest } : {}),
        ...(llm.config.baseUrls[0] ? { baseUrl: redactUrl(llm.config.baseUrls[0]) } : {}),
        ...(label ? { label } : {}),
        signal: io.signal,
        onProgress: (what, done, total) => progress.update(what, done, total),
        onNote: (m) => progress.message(m),
      });
      progress.done();
      for (const s of result.skipped) progress.message(`skipped ${s.user}: ${s.reason}`);
      return report(io, json, result, { estimate: estimateJson(estimated), usage: usageJson(llm), rel });
    } catch (err) {
      progress.done();
      return rethrowCancelled(err, io, commandLine('revalidate', args));
    } finally {
      await llm.dispose();
    }
  },
};

/** The workspace and the target from the positionals (a persona file named alone brings its workspace). */
function workspaceAndTarget(args: ParsedArgs, cwd: string): { wsArg: string; targetArg: string } {
  if (args.positionals.length < 1 || args.positionals.length > 2)
    throw new UsageError(
      'revalidate: give a prompt name (judge, memory, persona-synthesis) or a persona file, after the workspace ' +
        'if it is not the current folder (see synthesizeme revalidate --help)',
    );
  if (args.positionals.length === 2) {
    const [wsArg, targetArg] = args.positionals as [string, string];
    return { wsArg, targetArg };
  }
  // A persona file named alone belongs to the workspace it lies in, not to the current folder (which gained
  // a .synthesizeme of its own and found no earlier version): the nearest folder holding the layout's folders.
  const lone = args.positionals[0]!;
  const home = lone.endsWith('.persona.yaml') ? enclosingWorkspace(resolve(cwd, lone)) : undefined;
  return { wsArg: home ? relative(cwd, home) || '.' : '.', targetArg: lone };
}

/** For a persona file, the user is the file's: --user may only repeat it, --all does not go with it. */
async function personaRunArgs(args: ParsedArgs, target: RevalidateTarget, cwd: string): Promise<ParsedArgs> {
  if (target.kind !== 'persona') return args;
  if (flag(args, 'all'))
    throw new UsageError("revalidate: --all does not go with a persona file (its user is the file's user_id)");
  const userId = (await loadPersona(target.path, relative(cwd, target.path) || target.path)).userId;
  const given = stringOption(args, 'user');
  if (given !== undefined && given !== userId)
    throw new UsageError(
      `revalidate: --user ${given}, but ${relative(cwd, target.path)} is the persona of "${userId}"`,
    );
  return { ...args, values: { ...args.values, user: userId } };
}

/** What the current version is judged against: its previous version, or nothing (a persona judged alone). */
function versusText(plan: RevalidationPlan): string {
  return plan.previous ? `against ${plan.previous.id}` : 'alone (no earlier version to compare with)';
}

function estimateText({ estimate: est, exact }: RevalidationEstimate): string {
  return (
    `about ${est.calls} call(s)${exact ? '' : ' at most'}, retries not included (${est.cachedCalls} more from cache), ` +
    `${tokensText(est)}${costText(est)}`
  );
}

function estimateJson({ estimate: est, exact }: RevalidationEstimate) {
  return { ...runEstimateJson(est), upperBound: !exact, excludes: ['retries'] };
}

function dryRunReport(io: CommandIO, json: boolean, plan: RevalidationPlan, estimated: RevalidationEstimate): number {
  if (json)
    io.stdout(
      JSON.stringify({
        target: plan.target,
        previous: plan.previous?.id ?? null,
        ...(plan.nothingToCompare || plan.alone ? { message: plan.nothingToCompare ?? plan.alone } : {}),
        ...estimateJson(estimated),
        ...contextJson(estimated.context),
      }) + '\n',
    );
  else
    io.stdout(
      plan.nothingToCompare
        ? `${plan.nothingToCompare}.\n`
        : `Dry run: re-validating ${plan.target} ${versusText(plan)} costs ${estimateText(estimated)}.\n` +
            contextLine(estimated.context),
    );
  return 0;
}

/** The result on stdout; exit 1 with the reasons on stderr when calls failed. */
function report(
  io: CommandIO,
  json: boolean,
  result: RevalidateResult,
  o: { estimate: ReturnType<typeof estimateJson>; usage: ReturnType<typeof usageJson>; rel: (p: string) => string },
): number {
  const { usage } = o;
  if (json)
    io.stdout(
      JSON.stringify({
        ...resultJson(result, o.rel),
        estimate: o.estimate,
        calls: usage.calls,
        cacheHits: usage.cacheHits,
        usage,
      }) + '\n',
    );
  else
    io.stdout(
      revalidateResultText(result, o.rel) +
        `${usage.calls} call(s), ${usage.cacheHits} from cache; ${usage.requests} request(s) sent to the server, retries included\n`,
    );
  if (result.complete) return 0;
  const why = result.failed.reasons.slice(0, 3).map((x) => `${x.message}${x.count > 1 ? ` (x${x.count})` : ''}`);
  for (const u of result.incomplete) why.push(`${u.user}: ${u.reason}`);
  const users = result.incomplete.length ? `, and ${result.incomplete.length} user(s) could not be re-synthesized` : '';
  io.stderr(
    `The re-validation is incomplete: ${result.failed.calls} judge call(s) failed for ${result.failed.pairs} pair(s)${users} ` +
      `(${why.join('; ')}). Those pairs and users are not compared. Run the same command again to judge them ` +
      `(the answers so far are cached).\n`,
  );
  return 1;
}

/** A prompt name (or a prompt file), else a persona file. */
function targetOf(arg: string, cwd: string): RevalidateTarget {
  const name = /(?:^|[\\/])([a-z-]+)\.prompt\.md$/.exec(arg)?.[1] ?? arg;
  if (isRevalidatePrompt(name)) return { kind: 'prompt', name };
  if (name in DEFAULT_PROMPTS) {
    const whyNot =
      name === 'bootstrap'
        ? 'it shapes the whole fit: fit again and compare the runs'
        : name === 'rubric'
          ? "it is the rubric methods' judge: eval --method rubric again (an edited prompt is a new run) and compare the runs"
          : 'it is used by the benchmark filter, not by a judge';
    throw new UsageError(
      `revalidate: the ${name} prompt cannot be re-validated here (${whyNot}); prompts: ${REVALIDATE_PROMPTS.join(', ')}`,
    );
  }
  const path = resolve(cwd, arg);
  if (!arg.endsWith('.persona.yaml') && !existsSync(path))
    throw new UsageError(
      `revalidate: "${arg}" is neither a prompt (${REVALIDATE_PROMPTS.join(', ')}) nor a persona file`,
    );
  // Named on the command line: read wherever it is (inside the workspace, a link out of it is still refused).
  allowChosenRead(path);
  return { kind: 'persona', path };
}

/** The JSON of a re-validation: the issue's fields first, then what helps read them. */
export function resultJson(r: RevalidateResult, rel: (p: string) => string) {
  const c = r.comparison;
  return {
    target: r.target,
    pairs: r.pairs,
    users: r.users,
    difference: r.difference,
    ci95: r.ci95,
    p: r.p,
    flipped: r.flipped,
    previous: r.previous?.id ?? null,
    ...(r.message ? { message: r.message } : {}),
    sentence: c?.sentence ?? null,
    split: r.split,
    methods: r.methods,
    accuracy: accuracyJson(r),
    outcomes: c ? c.users : null,
    perUser: c ? c.perUser : [],
    resampling: c?.resampling ?? null,
    pairedTest: c?.pairedTest ?? null,
    power: r.power ?? null,
    previousPath: r.previous?.path ? rel(r.previous.path) : null,
    runs: { previous: r.runs.previous.map(rel), current: r.runs.current.map(rel) },
    ...(r.recorded ? { recorded: rel(r.recorded) } : {}),
    complete: r.complete,
    failed: r.failed,
    incomplete: r.incomplete,
    skipped: r.skipped,
  };
}

/** Both sides' accuracy over the pairs compared; a persona judged alone has the current side's only. */
function accuracyJson(r: RevalidateResult) {
  const c = r.comparison;
  if (c) return { previous: c.accuracyA, current: c.accuracyB, ci95Previous: c.ci95A, ci95Current: c.ci95B };
  const now = r.figures.current;
  return now ? { previous: null, current: now.accuracy, ci95Previous: null, ci95Current: now.ci95 } : null;
}
