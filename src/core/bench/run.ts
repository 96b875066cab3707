// Whole-benchmark runs: for each evaluation model, fit every selected user (or reuse the
// personas already fitted with the fitting model), evaluate each method on the test pairs, and
// compare each method with `default` on the same pairs. Transfer mode fits with one model and
// evaluates with others. Resumable: personas are reused, verdicts come from run files and the cache.

import { join } from 'node:path';
import type { Llm } from '../llm/client';
import type { UsageSnapshot } from '../llm/usage';
import type { UserEntry } from '../data/workspace-index';
import { evaluate, type EvalUser } from '../eval/evaluate';
import { compareVerdicts } from '../eval/compare';
import { holmAdjust } from '../eval/multiple-comparisons';
import { describeDifference } from '../eval/statistics';
import { verdictKey } from '../eval/run-file';
import type { PairVerdict } from '../method/judge';
import { isRewardMethod, needsPersona, type Method } from '../method/methods';
import type { RewardModel } from '../llm/reward-client';
import type { Embedder } from '../llm/embeddings';
import { attachSimilarUsers } from '../eval/similar-eval';
import { fitSettingsOf, type FitPrompts, type FitSettings } from '../method/fit';
import type { Prompt } from '../method/prompt-store';
import { pairsBySplit } from '../workspace/open-workspace';
import { fitAndStore, modelSlug, type StoredPersona } from './fit-store';
import { redactUrl } from '../llm/errors';
import { percent, percentPlusMinus, percentPoints } from '../percent';

/** What every benchmark job (run, scaling) needs to fit and evaluate users. */
export interface BenchJobOptions extends FitSettings {
  users: readonly UserEntry[];
  /** Transfer mode: fit every persona with this model instead of the evaluating one. */
  fitModel?: Llm;
  runsDir: string;
  /** `rubric` only with a rubric method. */
  prompts: FitPrompts & { memory: Prompt; rubric?: Prompt };
  signal?: AbortSignal;
  onProgress?: (label: string, done: number, total: number) => void;
  log?: (message: string) => void;
}

export interface BenchRunOptions extends BenchJobOptions {
  methods: readonly Method[];
  /** Models to evaluate with. */
  models: readonly Llm[];
  personaRoot: string;
  /** The rubric methods: context pairs per judge prompt. */
  rubricContext?: number;
  /** The reward-model methods: the served reward model that scores (its calls are its own, not the model's). */
  reward?: RewardModel;
  /** `--samples k`: each order judged k times and aggregated (evaluate.ts). */
  samples?: number;
  /**
   * `--similar-users m`: each method that reads a persona gets a second row, its prompts also reading the m nearest
   * users' personas (similar-eval.ts), compared with the baselines like any other row.
   */
  similarUsers?: number;
  /** The model that embeds users for `similarUsers` (its calls are its own). */
  embedder?: Embedder;
}

export interface UsageDelta {
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
}

export interface BenchCell extends UsageDelta {
  method: Method;
  model: string;
  fitModel: string | null;
  accuracy: number;
  ci95: [number, number];
  consistency: number;
  pairs: number;
  samples: number;
  users: number;
  skipped: { user: string; reason: string }[];
  run: string;
  /** False when calls failed: the cell leaves those pairs out until the benchmark is run again. */
  complete: boolean;
  failedCalls: number;
  unparseable: number;
  /** The rubric methods: of `unparseable`, the ties and the unreadable answers. */
  ties?: number;
  unreadable?: number;
  /** `--samples k`: the mean agreement of an order's samples (samples.ts). */
  sampleConsistency?: number;
  /** The reward-model methods: the reward model that scored (the evaluation model judged nothing). */
  scorer?: string;
  /** `--similar-users m`: the row of `method` whose prompts also read the m nearest users (rowName says so). */
  similarUsers?: number;
}

/** A row's name: the method, or its similar-users variant (`persona+demos (similar users: 2)`). */
export function rowName(r: { method: Method; similarUsers?: number | undefined }): string {
  return r.similarUsers ? `${r.method} (similar users: ${r.similarUsers})` : r.method;
}

export interface BenchComparison {
  model: string;
  method: Method;
  /** The similar-users row of `method` (rowName). */
  similarUsers?: number;
  baseline: 'default' | 'persona+demos';
  difference: number;
  ci95: [number, number];
  /** The pair-level exact test's p, uncorrected. */
  p: number;
  /** p after Holm's correction over all the comparisons of the run (the family the table shows). */
  pHolm: number;
  pairs: number;
  /** Judged with pHolm (and says so): a run with several methods must not read as several independent wins. */
  sentence: string;
}

export interface BenchFit extends UsageDelta {
  fitModel: string;
  dir: string;
  fitted: number;
  reused: number;
  failed: { user: string; reason: string }[];
}

export interface BenchRunResult {
  cells: BenchCell[];
  comparisons: BenchComparison[];
  fits: BenchFit[];
}

export function usageDelta(before: UsageSnapshot, after: UsageSnapshot): UsageDelta {
  const cost = after.costUsd !== undefined ? after.costUsd - (before.costUsd ?? 0) : null;
  return {
    calls: after.calls - before.calls,
    cacheHits: after.cacheHits - before.cacheHits,
    promptTokens: after.promptTokens - before.promptTokens,
    completionTokens: after.completionTokens - before.completionTokens,
    costUsd: cost,
  };
}

/** Users that can be fitted: some context to learn from and some validation to select on. */
export function fittable(user: UserEntry): boolean {
  const s = pairsBySplit(user);
  return s.context.length > 0 && s.validation.length > 0;
}

export async function personasFor(
  fitModel: Llm,
  users: readonly UserEntry[],
  opts: Omit<BenchRunOptions, 'models' | 'fitModel' | 'methods' | 'users' | 'runsDir'>,
): Promise<{ personas: Map<string, StoredPersona>; fit: BenchFit }> {
  const dir = join(opts.personaRoot, modelSlug(fitModel.model));
  const tasks = users.filter(fittable).map((u) => {
    const s = pairsBySplit(u);
    return { userId: u.id, context: s.context, validation: s.validation };
  });
  const before = fitModel.counters();
  let done = 0;
  opts.onProgress?.(`fit ${fitModel.model}`, 0, tasks.length);
  const { personas, failed } = await fitAndStore(tasks, {
    dir,
    model: fitModel,
    prompts: opts.prompts,
    ...fitSettingsOf(opts),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onUser: (user, outcome) => {
      if (outcome instanceof Error) opts.log?.(`${user}: not fitted with ${fitModel.model}: ${outcome.message}`);
      opts.onProgress?.(`fit ${fitModel.model}`, ++done, tasks.length);
    },
  });
  const notFittable = users
    .filter((u) => !fittable(u))
    .map((u) => ({ user: u.id, reason: 'no context or no validation pairs' }));
  const values = [...personas.values()];
  return {
    personas,
    fit: {
      fitModel: fitModel.model,
      dir,
      fitted: values.filter((p) => p.fitted).length,
      reused: values.filter((p) => !p.fitted).length,
      failed: [...notFittable, ...failed],
      ...usageDelta(before, fitModel.counters()),
    },
  };
}

/** The users as evaluate() takes them: their test pairs, and the persona fitted with this model when there is one. */
function evalUsersOf(users: BenchRunOptions['users'], personas: Map<string, StoredPersona> | undefined): EvalUser[] {
  return users.map((u) => {
    const s = pairsBySplit(u);
    const p = personas?.get(u.id);
    return {
      id: u.id,
      pairs: u.pairs,
      context: s.context,
      target: s.test,
      ...(p ? { persona: p.model, personaHash: p.hash, personaPath: p.path } : {}),
    };
  });
}

/** One row's verdicts, by pair, for the comparisons. */
type RowVerdicts = Map<string, { method: Method; similarUsers?: number; verdicts: Map<string, PairVerdict> }>;

/** The rows of one evaluation model: each method, then (with `similarUsers`) each persona method with neighbours. */
function rowsOf(opts: BenchRunOptions): { method: Method; similarUsers?: number }[] {
  const rows: { method: Method; similarUsers?: number }[] = opts.methods.map((method) => ({ method }));
  const m = opts.embedder ? (opts.similarUsers ?? 0) : 0;
  if (m > 0) for (const method of opts.methods.filter(needsPersona)) rows.push({ method, similarUsers: m });
  return rows;
}

/** The users with their nearest users attached (the same personas the plain rows read), for the similar-users rows. */
async function withNeighbours(users: readonly EvalUser[], opts: BenchRunOptions): Promise<EvalUser[]> {
  const copies = users.map((u) => ({ ...u }));
  await attachSimilarUsers(copies, users, {
    m: opts.similarUsers!,
    embedder: opts.embedder!,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return copies;
}

export async function benchRun(opts: BenchRunOptions): Promise<BenchRunResult> {
  const cells: BenchCell[] = [];
  const comparisons: BenchComparison[] = [];
  const fits: BenchFit[] = [];
  const fitted = new Map<string, Map<string, StoredPersona>>();
  const wantPersona = opts.methods.some(needsPersona);

  for (const model of opts.models) {
    const fitModel = opts.fitModel ?? model;
    let personas = fitted.get(fitModel.model);
    if (wantPersona && !personas) {
      const r = await personasFor(fitModel, opts.users, opts);
      personas = r.personas;
      fitted.set(fitModel.model, personas);
      fits.push(r.fit);
    }
    const evalUsers = evalUsersOf(opts.users, personas);
    const rows = rowsOf(opts);
    const neighboured = rows.some((r) => r.similarUsers) ? await withNeighbours(evalUsers, opts) : evalUsers;
    const verdicts: RowVerdicts = new Map();
    for (const row of rows) {
      const { cell, byPair } = await benchCell(row.similarUsers ? neighboured : evalUsers, row, model, fitModel, opts);
      verdicts.set(rowName(row), { ...row, verdicts: byPair });
      cells.push(cell);
    }
    comparisons.push(...baselineComparisons(model.model, verdicts, opts.seed));
  }
  // Holm over every comparison of the run, all models together: the table is read as one set of
  // claims ("X beats default"), so that is the family whose error rate is controlled. The
  // intervals stay at 95% each; the sentence names the corrected p, so an interval that excludes
  // 0 with a Holm p above 0.05 reads "borderline", not "significant".
  const adjusted = holmAdjust(comparisons.map((c) => c.p));
  comparisons.forEach((c, i) => {
    c.pHolm = adjusted[i]!;
    c.sentence = describeDifference(c.difference, c.ci95[0], c.ci95[1], c.pHolm, 0.95, { pLabel: 'Holm p' });
  });
  return { cells, comparisons, fits };
}

/** One row on one evaluation model: its run (evaluate.ts), its cell, and its verdicts by pair. */
async function benchCell(
  users: EvalUser[],
  row: { method: Method; similarUsers?: number },
  model: Llm,
  fitModel: Llm,
  opts: BenchRunOptions,
): Promise<{ cell: BenchCell; byPair: Map<string, PairVerdict> }> {
  const { method } = row;
  // A reward method's calls are the reward model's: its cell counts those.
  const counted = isRewardMethod(method) && opts.reward ? opts.reward : model;
  const before = counted.counters();
  const r = await evaluate(users, {
    method,
    split: 'test',
    model,
    ...(model.config.baseUrls[0] ? { baseUrl: redactUrl(model.config.baseUrls[0]) } : {}),
    prompts: {
      judge: opts.prompts.judge,
      memory: opts.prompts.memory,
      ...(opts.prompts.rubric ? { rubric: opts.prompts.rubric } : {}),
    },
    ...(opts.rubricContext !== undefined ? { rubricContext: opts.rubricContext } : {}),
    ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
    ...(opts.reward ? { reward: opts.reward } : {}),
    // The header's m and embedding model make the row's run another run than the plain row's.
    ...(row.similarUsers ? { similarUsers: { m: row.similarUsers, embedModel: opts.embedder!.model } } : {}),
    temperature: opts.temperature,
    seed: opts.seed,
    runsDir: opts.runsDir,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (done, total) => opts.onProgress?.(`eval ${rowName(row)} (${model.model})`, done, total),
  });
  const cell: BenchCell = {
    method,
    ...(row.similarUsers ? { similarUsers: row.similarUsers } : {}),
    model: model.model,
    fitModel: needsPersona(method) ? fitModel.model : null,
    // The table stays methods x evaluation models; a reward method's cell says which reward model scored.
    ...(isRewardMethod(method) && opts.reward ? { scorer: opts.reward.model } : {}),
    accuracy: r.accuracy,
    ci95: r.ci95,
    consistency: r.consistency,
    pairs: r.pairs,
    samples: r.samples,
    users: r.users.length,
    skipped: r.skipped,
    run: r.run,
    complete: r.complete,
    failedCalls: r.failed.calls,
    unparseable: r.unparseable,
    ...(r.ties !== undefined ? { ties: r.ties, unreadable: r.unreadable ?? 0 } : {}),
    ...(r.sampleConsistency !== undefined ? { sampleConsistency: r.sampleConsistency } : {}),
    ...usageDelta(before, counted.counters()),
  };
  return { cell, byPair: new Map(r.verdicts.map((v) => [verdictKey(v.userId, v.pairId), v])) };
}

export function accuracyText(accuracy: number, ci: [number, number]): string {
  return percentPlusMinus(accuracy, ci);
}

const money = (c: number | null) => (c === null ? 'n/a' : `$${c.toFixed(4)}`);
const modelLabel = (c: BenchCell) => {
  const label = c.fitModel && c.fitModel !== c.model ? `${c.model} (personas from ${c.fitModel})` : c.model;
  return c.scorer ? `${label} (scored by ${c.scorer})` : label;
};

/** One Markdown table row: `| a | b | c |`. */
const tableRow = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

/**
 * Every method against the baselines it is read against: no personalization (`default`) and SynthesizeMe
 * (`persona+demos`), so that a method beyond the paper (rubric, reward-model, ...) is measured against the method it
 * claims to beat. Holm then corrects over the whole family, these comparisons included.
 */
function baselineComparisons(model: string, rows: RowVerdicts, seed: number): BenchComparison[] {
  const out: BenchComparison[] = [];
  for (const baseline of ['default', 'persona+demos'] as const) {
    // The plain rows are the baselines (a similar-users row is never one).
    const base = rows.get(baseline)?.verdicts;
    if (!base) continue;
    for (const [name, row] of rows) {
      // default against SynthesizeMe is the same comparison as SynthesizeMe against default: once.
      if (name === baseline || (baseline === 'persona+demos' && name === 'default')) continue;
      const c = compareVerdicts(base, row.verdicts, seed);
      if (c.pairs === 0) continue;
      out.push({
        model,
        method: row.method,
        ...(row.similarUsers ? { similarUsers: row.similarUsers } : {}),
        baseline,
        difference: c.difference,
        ci95: c.ci95,
        p: c.pairedTest.p,
        pHolm: c.pairedTest.p,
        pairs: c.pairs,
        sentence: c.sentence,
      });
    }
  }
  return out;
}

const CELL_HEADER = tableRow([
  'method',
  'model',
  'accuracy (95% CI)',
  'consistency',
  'unparseable',
  'failed calls',
  'pairs',
  'users',
  'calls',
  'cache hits',
  'tokens (prompt + completion)',
  'cost',
]);

function cellRow(c: BenchCell): string {
  const consistency = Number.isFinite(c.consistency) ? percent(c.consistency, 2) : 'n/a';
  const tokens = `${c.promptTokens} + ${c.completionTokens}`;
  const kinds = c.ties !== undefined ? ` (${c.ties} tie(s), ${c.unreadable ?? 0} unreadable)` : '';
  const counts = [`${c.unparseable}${kinds}`, c.failedCalls, c.pairs, c.users, c.calls, c.cacheHits];
  return tableRow([
    rowName(c),
    modelLabel(c),
    accuracyText(c.accuracy, c.ci95),
    consistency,
    ...counts,
    tokens,
    money(c.costUsd),
  ]);
}

function comparisonRow(c: BenchComparison): string {
  const interval = `[${percentPoints(c.ci95[0], 2)}, ${percentPoints(c.ci95[1], 2)}]`;
  const difference = `${percentPoints(c.difference, 2)} points ${interval}`;
  return tableRow([rowName(c), c.baseline, c.model, difference, c.p.toFixed(4), c.pHolm.toFixed(4), c.pairs]);
}

function fitLine(f: BenchFit): string {
  return (
    `Fitting with ${f.fitModel}: ${f.fitted} fitted, ${f.reused} reused, ${f.failed.length} not fitted; ` +
    `${f.calls} call(s), ${f.cacheHits} from cache, ${f.promptTokens} + ${f.completionTokens} tokens, ${money(f.costUsd)}.`
  );
}

/** The results table (methods x models), the paired comparisons, and the fitting cost. */
export function benchRunMarkdown(r: BenchRunResult): string {
  const models = [...new Set(r.cells.map((c) => c.model))];
  const methods = [...new Set(r.cells.map(rowName))];
  const lines: string[] = [];
  lines.push(`| method | ${models.join(' | ')} |`, `| --- | ${models.map(() => '---').join(' | ')} |`);
  for (const m of methods)
    lines.push(
      `| ${m} | ${models
        .map((mo) => {
          const c = r.cells.find((x) => rowName(x) === m && x.model === mo);
          return c ? `${accuracyText(c.accuracy, c.ci95)}${c.complete ? '' : ' (incomplete)'}` : '';
        })
        .join(' | ')} |`,
    );
  lines.push('');
  lines.push(CELL_HEADER);
  lines.push('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.cells) lines.push(cellRow(c));
  const incomplete = r.cells.filter((c) => !c.complete);
  if (incomplete.length) {
    const missing = incomplete.map((c) => `${c.method} on ${c.model} (${c.failedCalls} failed call(s))`).join(', ');
    lines.push('', `INCOMPLETE: ${missing}: those pairs are left out; run the benchmark again to judge them.`);
  }
  if (r.comparisons.length) {
    lines.push(
      '',
      '| method | vs | model | difference (95% CI) | p | p (Holm) | pairs |',
      '| --- | --- | --- | --- | ---: | ---: | ---: |',
    );
    for (const c of r.comparisons) lines.push(comparisonRow(c));
    const n = r.comparisons.length;
    lines.push(
      '',
      `p-values Holm-corrected for ${n} comparison${n === 1 ? '' : 's'} (exact sign-flip test over pairs).`,
    );
  }
  if (r.fits.length) {
    lines.push('');
    for (const f of r.fits) lines.push(fitLine(f));
  }
  return lines.join('\n') + '\n';
}
