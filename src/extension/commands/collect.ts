// "SynthesizeMe: Collect Preferences": choose a user (or a new one), where the prompts come from and
// what the two responses are, then answer pair after pair in the Collect panel (1, 2, t, s and an
// optional reason). The engine's session (core/collect: planCollect, runCollect) decides everything else
// exactly as for the CLI: the file appended to, the second model's settings, the temperature, the seed,
// ask next with the previous persona version, hidden retests, the log. Closing the panel ends the session;
// at the end the counts, the person's consistency and, once enough pairs were collected since the
// persona's fit, a re-fit are offered.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { CommandIds } from '../command-ids';
import type { CollectCountsView, CollectToHost } from '../protocol';
import type { HostedPanel } from '../views/webview-host';
import { readPersonaOf, runInputs, type RunInputs, type UserPersona } from './run-inputs';
import { UserError } from '../../core/user-error';
import { readOwnText, READ_LIMITS } from '../../core/read-guard';
import { allowChosenRead } from '../../core/write-guard';
import {
  type Answer,
  type Asker,
  type CollectCounts,
  type CollectOutcome,
  type CollectPlan,
  type CollectPlanInputs,
  type CollectSources,
  type CollectStatus,
  type CollectSummary,
  collectLogPath,
  DEFAULT_SYSTEM,
  generationText,
  type Item,
  judgedCollectStatus,
  planCollect,
  runCollect,
  type Shown,
} from '../../core/collect';
import { type Turn } from '../../core/data';

export interface CollectArgs {
  folder?: string;
  userId?: string;
  /** Prompts to answer; else asked (typed, the user's past conversations, or a file). */
  prompts?: string[];
  fromContexts?: boolean;
  /** Unlabelled pairs (JSONL, relative to the folder): the pool ask next chooses from; nothing is generated. */
  pairsFile?: string;
  /** 'persona': the persona-steered generation prompt against a plain one; 'prompts': two system prompts; 'models': two models. */
  sources?: 'persona' | 'prompts' | 'models';
  systemA?: string;
  systemB?: string;
  modelB?: string;
  /** The preference file to append to, relative to the folder. */
  file?: string;
  max?: number;
  /** Scripted answers ("1 reason", "2", "t", "s"), one per pair, instead of the panel: tests and macros. */
  answers?: string[];
}

const userTurn = (content: string): Turn[] => [{ role: 'user', content }];

async function chooseUser(ctx: Ctx, folder: Folder, a: CollectArgs): Promise<string | undefined> {
  if (a.userId?.trim()) return a.userId.trim();
  const index = await folder.files.get();
  const NEW = '$(add) New user...';
  const pick = await vscode.window.showQuickPick(
    [...index.users().map((u) => ({ label: u.id, description: `${u.pairs.length} pairs` })), { label: NEW }],
    { title: 'Collect preferences of which user?' },
  );
  if (!pick) return undefined;
  if (pick.label !== NEW) return pick.label;
  return vscode.window
    .showInputBox({ title: "The new user's id", validateInput: (v) => (v.trim() ? undefined : 'an id, e.g. "ada"') })
    .then((v) => v?.trim() || undefined);
}

async function chooseItems(folder: Folder, userId: string, a: CollectArgs): Promise<Item[] | undefined> {
  if (a.prompts?.length) return a.prompts.map((p) => ({ kind: 'prompt', context: userTurn(p) }));
  const past = ((await folder.files.get()).user(userId)?.pairs ?? []).map((p) => p.context);
  if (a.fromContexts) return past.map((context) => ({ kind: 'prompt', context }));
  if (a.pairsFile)
    return unlabelledPairs(await readPool(vscode.Uri.joinPath(folder.uri, a.pairsFile).fsPath, false), a.pairsFile);
  const options = [
    { label: 'Type a prompt', id: 'type' },
    ...(past.length ? [{ label: `The user's past conversations (${past.length})`, id: 'past' }] : []),
    { label: 'Prompts from a file (one per line)...', id: 'file' },
    { label: 'Unlabelled pairs from a file (JSONL: prompt or context, response_1, response_2)...', id: 'pairs' },
  ];
  const how = await vscode.window.showQuickPick(options, { title: 'Where do the prompts come from?' });
  if (!how) return undefined;
  if (how.id === 'past') return past.map((context) => ({ kind: 'prompt', context }));
  if (how.id === 'type') {
    const p = await vscode.window.showInputBox({
      title: 'The prompt to answer',
      validateInput: (v) => (v.trim() ? undefined : 'a prompt'),
    });
    return p?.trim() ? [{ kind: 'prompt', context: userTurn(p.trim()) }] : undefined;
  }
  const uri = (
    await vscode.window.showOpenDialog({
      canSelectMany: false,
      defaultUri: folder.uri,
      title: how.id === 'pairs' ? 'A JSONL file of unlabelled pairs' : 'A file of prompts, one per line',
    })
  )?.[0];
  if (!uri) return undefined;
  const text = await readPool(uri.fsPath, true);
  const items =
    how.id === 'pairs'
      ? unlabelledPairs(text, folder.relative(uri.fsPath))
      : text
          .split('\n')
          .filter((l) => l.trim())
          .map((l): Item => ({ kind: 'prompt', context: userTurn(l.trim()) }));
  if (!items.length) throw new UserError(`${folder.relative(uri.fsPath)} has no prompt`);
  return items;
}

/**
 * A pool or prompts file under the read rules: a link out of the workspace is refused, a FIFO or a device is
 * never opened. One the person chose in the open dialog may lie anywhere (that file only).
 */
async function readPool(path: string, chosen: boolean): Promise<string> {
  if (chosen) allowChosenRead(path);
  return readOwnText(path, { maxBytes: READ_LIMITS.log, what: 'pool file' });
}

/** A pool of unlabelled pairs (the same format as the CLI's --pairs-from): ask next chooses among them. */
function unlabelledPairs(text: string, name: string): Item[] {
  return text.split('\n').flatMap((line, i): Item[] => {
    if (!line.trim()) return [];
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new UserError(`${name}:${i + 1}: not a JSON object`);
    }
    const context =
      typeof o.prompt === 'string' ? userTurn(o.prompt) : Array.isArray(o.context) ? (o.context as Turn[]) : undefined;
    if (
      !context?.length ||
      typeof o.response_1 !== 'string' ||
      typeof o.response_2 !== 'string' ||
      !o.response_1.trim() ||
      !o.response_2.trim()
    )
      throw new UserError(`${name}:${i + 1}: expected "prompt" or "context", "response_1" and "response_2"`);
    return [
      {
        kind: 'pair',
        context,
        responses: [o.response_1, o.response_2],
        sources: ['response_1', 'response_2'],
        origin: `${name}:${i + 1}`,
      },
    ];
  });
}

function scriptedAsker(answers: string[]): Asker {
  const queue = [...answers];
  return {
    scripted: true,
    ask: async () => {
      const line = queue.shift();
      if (line === undefined) return undefined;
      const m = /^\s*([12ts])(?:\s+(.*))?$/i.exec(line);
      if (!m) throw new UserError(`answer "${line}": 1, 2, t or s, then an optional reason`);
      return { pick: m[1]!.toLowerCase() as Answer['pick'], ...(m[2]?.trim() ? { reason: m[2].trim() } : {}) };
    },
  };
}

/** The panel as the person answering: each pair shown, the answer awaited; closing the panel (or Stop) ends the session. */
class PanelAsker implements Asker {
  private waiting: { index: number; resolve: (a: Answer | undefined) => void } | undefined;
  private ended = false;
  private counts: CollectCountsView = { picked: 0, ties: 0, skipped: 0, failed: 0 };
  private readonly panel: HostedPanel<'collect'>;
  private readonly closed: vscode.Disposable;

  constructor(
    ctx: Ctx,
    private readonly user: string,
    private readonly file: string,
  ) {
    this.panel = ctx.webviews.panel('collect');
    this.panel.show(
      `Collect: ${user}`,
      { type: 'busy', message: 'Generating the first pair...', counts: this.counts },
      this.onMessage,
    );
    this.closed = this.panel.onClose(this.finish);
  }

  /** The session's tallies, shown beside the next pair. */
  progress(c: CollectCounts): void {
    this.counts = countsView(c);
  }

  ask(s: Shown): Promise<Answer | undefined> {
    return new Promise<Answer | undefined>((resolve) => {
      if (this.ended || !this.panel.visible) return resolve(undefined);
      this.waiting = { index: s.index, resolve };
      // A retest is never announced: it looks like any other pair.
      const shown = {
        index: s.index,
        context: s.context.map((t) => ({ role: t.role, content: t.content })),
        first: s.first,
        second: s.second,
        ...(s.why && !s.retest ? { why: s.why } : {}),
      };
      const state = { type: 'show' as const, user: this.user, file: this.file, shown, counts: this.counts };
      this.panel.show(`Collect: ${this.user}`, state, this.onMessage);
    });
  }

  note(message: string): void {
    this.panel.post({ type: 'note', message });
  }

  /** How far the next pair's generation has come, under "Generating the first pair..." or "Next pair...". */
  generating(message: string): void {
    this.panel.post({ type: 'generating', message });
  }

  done(message: string, counts: CollectCountsView): void {
    this.panel.update({ type: 'done', message, counts });
  }

  dispose(): void {
    this.closed.dispose();
  }

  private readonly finish = (): void => {
    this.ended = true;
    this.waiting?.resolve(undefined);
    this.waiting = undefined;
  };

  private readonly onMessage = (m: CollectToHost): void => {
    if (m.type === 'stop') this.finish();
    else if (m.type === 'answer' && this.waiting && m.index === this.waiting.index) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ pick: m.pick, ...(m.reason ? { reason: m.reason } : {}) });
    }
  };
}

function countsView(c: Pick<CollectCounts, 'picked' | 'ties' | 'skipped' | 'failed' | 'retests' | 'agreed'>) {
  return {
    picked: c.picked,
    ties: c.ties,
    skipped: c.skipped,
    failed: c.failed,
    ...(c.retests ? { retest: { asked: c.retests, agreed: c.agreed } } : {}),
  };
}

/** Where the two responses come from: asked unless the command's argument says (ready pairs need none). */
async function chooseSources(
  a: CollectArgs,
  items: Item[],
  persona: UserPersona | undefined,
  model: string,
): Promise<CollectSources | undefined> {
  // Ready pairs: nothing is generated; the sources are the file's.
  if (items.every((i) => i.kind === 'pair')) return {};
  let kind = a.sources;
  if (!kind) {
    const options = [
      ...(persona ? [{ label: 'The persona-steered prompt against a plain one', id: 'persona' as const }] : []),
      { label: 'Two system prompts', id: 'prompts' as const },
      { label: 'Two models', id: 'models' as const },
    ];
    kind = (await vscode.window.showQuickPick(options, { title: 'Where do the two responses come from?' }))?.id;
  }
  if (kind === 'persona') return { persona: true };
  if (kind === 'prompts') return chooseSystems(a);
  if (kind !== 'models') return undefined;
  const mb =
    a.modelB ??
    (await vscode.window.showInputBox({
      title: `The second model (the first is ${model})`,
      validateInput: (v) => (v.trim() && v.trim() !== model ? undefined : 'another model of the same server'),
    }));
  return mb?.trim() ? { modelB: mb.trim() } : undefined;
}

async function chooseSystems(a: CollectArgs): Promise<CollectSources | undefined> {
  const systemA =
    a.systemA ??
    (await vscode.window.showInputBox({ title: 'System prompt of response source A', value: DEFAULT_SYSTEM }));
  const systemB =
    a.systemB ??
    (await vscode.window.showInputBox({
      title: 'System prompt of response source B',
      value: 'You are a helpful assistant. Answer in as few words as you can.',
    }));
  if (systemA === undefined || systemB === undefined) return undefined;
  if (systemA.trim() === systemB.trim())
    throw new UserError('the two system prompts are the same: nothing to choose between');
  return { systemA, systemB };
}

/** What this face gives the engine: what was chosen, and the folder's settings as they are; the engine decides. */
function planInputs(
  ctx: Ctx,
  inputs: RunInputs,
  chosen: { userId: string; items: Item[]; sources: CollectSources; persona: UserPersona | undefined; a: CollectArgs },
): CollectPlanInputs {
  const { folder } = inputs;
  const c = folder.files.config;
  const locate = (name: string) => (folder.files.uriOf(name) ?? vscode.Uri.joinPath(folder.uri, name)).fsPath;
  const user = inputs.index.user(chosen.userId);
  return {
    userId: chosen.userId,
    layout: inputs.layout,
    ...(user ? { user } : {}),
    ...(chosen.persona ? { persona: chosen.persona.model } : {}),
    prompts: inputs.prompts,
    model: inputs.llm,
    openModel: (config) => folder.model.open(config),
    items: chosen.items,
    sources: chosen.sources,
    ...(chosen.a.file !== undefined ? { file: locate(chosen.a.file) } : {}),
    locate,
    askNext: { size: c.collect.askNext },
    retestRate: c.collect.retestRate,
    refitAfter: c.collect.refitAfter,
    ...(chosen.a.max !== undefined ? { max: chosen.a.max } : {}),
    split: { seed: c.split.seed, ratios: c.split.ratios },
    display: (p) => folder.relative(p),
  };
}

export async function collectPreferences(ctx: Ctx, arg: unknown): Promise<CollectSummary | undefined> {
  const a = (arg ?? {}) as CollectArgs;
  const folder = await ctx.folders.choose(arg, 'Collect preferences in which folder?');
  if (!folder) return undefined;
  const userId = await chooseUser(ctx, folder, a);
  if (!userId) return undefined;
  const items = await chooseItems(folder, userId, a);
  if (!items?.length) return undefined;
  const inputs = await runInputs(folder);
  const persona = await readPersonaOf(folder, userId);
  const sources = await chooseSources(a, items, persona, inputs.llm.model);
  if (!sources) return undefined;
  const plan = await planCollect(planInputs(ctx, inputs, { userId, items, sources, persona, a }));
  for (const note of plan.notes) void vscode.window.showInformationMessage(`SynthesizeMe: ${note}.`);
  const panel = a.answers ? undefined : new PanelAsker(ctx, userId, plan.fileName);
  const asker = a.answers ? scriptedAsker(a.answers) : panel!;
  try {
    const outcome = await ctx.runs.run(`collecting ${userId}'s preferences`, (signal) =>
      runCollect(plan, asker, {
        signal,
        onNote: (m) => {
          ctx.log.warn('collect', m);
          panel?.note(m);
        },
        onProgress: (p) => panel?.progress(p.counts),
        onGeneration: (g) => panel?.generating(generationText(g)),
      }),
    );
    await closeTheLoop(ctx, folder, plan, outcome, panel);
    return outcome.summary;
  } finally {
    panel?.dispose();
  }
}

/** The end of a session: the counts and the consistency, and a re-fit once enough pairs came in since the persona's fit. */
async function closeTheLoop(
  ctx: Ctx,
  folder: Folder,
  plan: CollectPlan,
  o: CollectOutcome,
  panel: PanelAsker | undefined,
): Promise<void> {
  const { summary: r, status } = o;
  const userId = plan.userId;
  const consistency = status.retest.asked
    ? `; your consistency on ${status.retest.asked} retest(s): ` +
      `${((100 * status.retest.agreed) / status.retest.asked).toFixed(0)}%`
    : '';
  const kept = o.pendingInLog
    ? ` ${r.pending.length} pick(s) are kept in ${collectLogPath('', userId)}, not yet in the file: ` +
      'the next collect into it appends them.'
    : '';
  const message =
    `${userId}: ${r.picked - r.pending.length} pair(s) added, ${r.ties} tie(s), ${r.skipped} skipped, ` +
    `${r.failed} failed generation(s)${consistency}.${kept}`;
  panel?.done(message, countsView(r));
  ctx.log.info('collect', message);
  if (!o.refit) {
    void vscode.window.showInformationMessage(`SynthesizeMe: ${message}`);
    return;
  }
  const REFIT = 'Re-fit now';
  const CHECK = 'Check the persona on them';
  const choice = await vscode.window.showInformationMessage(
    `SynthesizeMe: ${message} ${status.sinceFit} new pair(s) since the persona was fitted.`,
    REFIT,
    CHECK,
  );
  if (choice === REFIT)
    await vscode.commands.executeCommand(CommandIds.fitUser, { userId, folder: folder.uri.toString() });
  else if (choice === CHECK) await checkPersonaOnNewPairs(ctx, folder, userId, plan.refitAfter);
}

/** The persona's accuracy on the pairs collected since its fit: out of sample, with its interval. */
export async function checkPersonaOnNewPairs(
  ctx: Ctx,
  folder: Folder,
  userId: string,
  refitAfter: number,
): Promise<CollectStatus> {
  const inputs = await runInputs(folder);
  const persona = await readPersonaOf(folder, userId);
  const pairs = (await folder.files.get()).user(userId)?.pairs ?? [];
  const status = await ctx.runs.run(`judging ${userId}'s new pairs with the persona`, (signal) =>
    judgedCollectStatus({
      root: folder.uri.fsPath,
      userId,
      pairs,
      persona: persona?.model,
      refitAfter,
      model: inputs.llm,
      prompts: inputs.prompts,
      seed: inputs.seed,
      signal,
    }),
  );
  const o = status.outOfSample;
  const pct = (x: number) => (100 * x).toFixed(1);
  const own =
    status.retest.rate !== null
      ? `; your own consistency: ${(100 * status.retest.rate).toFixed(0)}% on ${status.retest.asked} retest(s)`
      : '';
  void vscode.window.showInformationMessage(
    o
      ? `SynthesizeMe: the persona on the ${o.pairs} pair(s) collected since its fit: ${pct(o.accuracy)}% ` +
          `(95% CI ${pct(o.ci95[0])} to ${pct(o.ci95[1])}), out of sample${own}.`
      : `SynthesizeMe: no pair collected since ${userId}'s persona was fitted.`,
  );
  return status;
}
