// "SynthesizeMe: Collect Preferences": choose a user (or a new one), where the prompts come from and
// what the two responses are, then answer pair after pair in the Collect panel (1, 2, t, s and an
// optional reason). The engine's session (core/collect/session.ts) does the rest, exactly as the CLI
// does: the order shown recorded, atomic appends, ties and skips logged, hidden retests, ask next.
// Closing the panel ends the session; at the end the counts, the person's consistency and, once enough
// pairs were collected since the persona's fit, a re-fit are offered.

import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { CommandIds } from '../command-ids';
import { isCollectToHost, type CollectCountsView, type CollectToHost, type HostToCollect } from '../protocol';
import { SinglePanel } from '../views/single-panel';
import { readPersonaOf, runInputs } from './run-inputs';
import { UserError } from '../../core/user-error';
import { createLlm, resolveLlmConfig } from '../../core/llm';
import { judgeSystem, personaStem } from '../../core/method';
import {
  type Answer,
  type Asker,
  checkAppendable,
  collect,
  type CollectSummary,
  type Item,
  type ResponseSource,
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

let panel: SinglePanel<CollectToHost, HostToCollect> | undefined;
/** What the panel last showed (the tests read it: a webview's DOM is out of their reach). */
export let lastCollect: { shown?: number; done?: string } = {};

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
  const [{ readOwnText, READ_LIMITS }, { allowChosenRead }] = await Promise.all([
    import('../../core/read-guard'),
    import('../../core/write-guard'),
  ]);
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

/** The panel as the person answering: each pair shown, the answer awaited; closing the panel (or Stop) ends the session. */
function panelAsker(
  ctx: Ctx,
  user: string,
  file: string,
  counts: () => CollectCountsView,
): Asker & { dispose(): void } {
  let waiting: { index: number; resolve: (a: Answer | undefined) => void } | undefined;
  let ended = false;
  panel ??= new SinglePanel<CollectToHost, HostToCollect>(ctx, 'synthesizeme.collect', 'collect', isCollectToHost);
  const finish = () => {
    ended = true;
    waiting?.resolve(undefined);
    waiting = undefined;
  };
  const onMessage = (m: CollectToHost) => {
    if (m.type === 'stop') finish();
    else if (m.type === 'answer' && waiting && m.index === waiting.index) {
      const w = waiting;
      waiting = undefined;
      w.resolve({ pick: m.pick, ...(m.reason ? { reason: m.reason } : {}) });
    }
  };
  panel.show(
    `Collect: ${user}`,
    { type: 'busy', message: 'Generating the first pair...', counts: counts() },
    onMessage,
  );
  const closed = panel.onClose(finish);
  return {
    ask: (s: Shown) =>
      new Promise<Answer | undefined>((resolve) => {
        if (ended || !panel?.visible) return resolve(undefined);
        waiting = { index: s.index, resolve };
        lastCollect = { shown: s.index };
        // A retest is never announced: it looks like any other pair.
        panel.show(
          `Collect: ${user}`,
          {
            type: 'show',
            user,
            file,
            shown: {
              index: s.index,
              context: s.context.map((t) => ({ role: t.role, content: t.content })),
              first: s.first,
              second: s.second,
              ...(s.why && !s.retest ? { why: s.why } : {}),
            },
            counts: counts(),
          },
          onMessage,
        );
      }),
    dispose: () => closed.dispose(),
  };
}

function scriptedAsker(answers: string[]): Asker {
  const queue = [...answers];
  return {
    ask: async () => {
      const line = queue.shift();
      if (line === undefined) return undefined;
      const m = /^\s*([12ts])(?:\s+(.*))?$/i.exec(line);
      if (!m) throw new UserError(`answer "${line}": 1, 2, t or s, then an optional reason`);
      return { pick: m[1]!.toLowerCase() as Answer['pick'], ...(m[2]?.trim() ? { reason: m[2].trim() } : {}) };
    },
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
  const { llm, layout, index } = inputs;
  const persona = await readPersonaOf(folder, userId);
  const cfg = folder.files.config.collect;

  // The two sources of responses.
  const [{ DEFAULT_SYSTEM }, { exportGenerationPrompt }, { demosOf }] = await Promise.all([
    import('../../core/collect/generate'),
    import('../../core/method/export'),
    import('../../core/method/methods'),
  ]);
  let kind = a.sources;
  const onlyPairs = items.every((i) => i.kind === 'pair');
  if (!kind && onlyPairs) kind = 'prompts';
  if (!kind) {
    const options = [
      ...(persona ? [{ label: 'The persona-steered prompt against a plain one', id: 'persona' as const }] : []),
      { label: 'Two system prompts', id: 'prompts' as const },
      { label: 'Two models', id: 'models' as const },
    ];
    kind = (await vscode.window.showQuickPick(options, { title: 'Where do the two responses come from?' }))?.id;
    if (!kind) return undefined;
  }
  const pairs = index.user(userId)?.pairs ?? [];
  let second: Awaited<ReturnType<(typeof import('../../core/llm/client'))['createLlm']>> | undefined;
  let sources: [ResponseSource, ResponseSource];
  if (kind === 'persona') {
    if (!persona) throw new UserError(`user "${userId}" has no persona yet: fit first, or choose two system prompts`);
    sources = [
      {
        label: `${llm.model} + persona`,
        model: llm,
        system: exportGenerationPrompt(persona.model, demosOf(persona.model, pairs)),
      },
      { label: llm.model, model: llm, system: DEFAULT_SYSTEM },
    ];
  } else if (onlyPairs) {
    // Ready pairs: nothing is generated; the sources are the file's.
    sources = [
      { label: 'response_1', model: llm, system: DEFAULT_SYSTEM },
      { label: 'response_2', model: llm, system: DEFAULT_SYSTEM },
    ];
  } else if (kind === 'prompts') {
    const sa =
      a.systemA ??
      (await vscode.window.showInputBox({ title: 'System prompt of response source A', value: DEFAULT_SYSTEM }));
    const sb =
      a.systemB ??
      (await vscode.window.showInputBox({
        title: 'System prompt of response source B',
        value: 'You are a helpful assistant. Answer in as few words as you can.',
      }));
    if (sa === undefined || sb === undefined) return undefined;
    if (sa.trim() === sb.trim()) throw new UserError('the two system prompts are the same: nothing to choose between');
    sources = [
      { label: `${llm.model} + system A`, model: llm, system: sa },
      { label: `${llm.model} + system B`, model: llm, system: sb },
    ];
  } else {
    const mb =
      a.modelB ??
      (await vscode.window.showInputBox({
        title: `The second model (the first is ${llm.model})`,
        validateInput: (v) => (v.trim() && v.trim() !== llm.model ? undefined : 'another model of the same server'),
      }));
    if (!mb?.trim()) return undefined;
    const c = folder.files.config;
    const resolved = resolveLlmConfig(
      {
        ...(c.provider ? { provider: c.provider } : {}),
        ...(c.baseUrls ? { baseUrls: c.baseUrls } : {}),
        model: mb.trim(),
      },
      process.env,
    );
    const key =
      resolved.config.provider === 'openai' ? ((await ctx.secrets.get('openai')) ?? resolved.apiKey) : undefined;
    second = createLlm(resolved.config, { cacheDir: layout.cacheDir, ...(key ? { apiKey: key } : {}) });
    sources = [
      { label: llm.model, model: llm, system: DEFAULT_SYSTEM },
      { label: second.model, model: second, system: DEFAULT_SYSTEM },
    ];
  }

  // Where the picks go: the user's own JSONL or YAML file, else a new <user>.prefs.jsonl.
  const ownFile = [...new Set(pairs.map((p) => p.source.file))].find((f) => /\.(jsonl|ya?ml)$/i.test(f));
  const fileName = a.file ?? ownFile ?? `${personaStem(userId)}.prefs.jsonl`;
  const fileUri = folder.files.uriOf(fileName) ?? vscode.Uri.joinPath(folder.uri, fileName);
  const appender = await checkAppendable(fileUri.fsPath, fileName);

  // Ask next, when set and there is a persona to judge with.
  let informative: Parameters<(typeof import('../../core/collect/session'))['collect']>[0]['informative'];
  if (cfg.askNext >= 2) {
    if (!persona)
      void vscode.window.showInformationMessage(
        `synthesizeme.collect.askNext is ${cfg.askNext}, but ${userId} has no persona yet: the pairs are asked in order.`,
      );
    else {
      const judge = await inputs.prompts.get('judge');
      informative = {
        judge: llm,
        systems: {
          current: judgeSystem(judge.text, { persona: persona.model.persona, demos: demosOf(persona.model, pairs) }),
        },
        poolSize: cfg.askNext,
      };
    }
  }

  const summary: CollectSummary = {
    asked: 0,
    picked: 0,
    ties: 0,
    skipped: 0,
    failed: 0,
    retests: 0,
    agreed: 0,
    appended: [],
    pending: [],
    recovered: 0,
    resumed: 0,
    duplicates: 0,
  };
  const counts = (): CollectCountsView => ({
    picked: summary.picked,
    ties: summary.ties,
    skipped: summary.skipped,
    failed: summary.failed,
    ...(summary.retests ? { retest: { asked: summary.retests, agreed: summary.agreed } } : {}),
  });
  const asker = a.answers ? scriptedAsker(a.answers) : panelAsker(ctx, userId, fileName, counts);
  const disposeAsker = () => (asker as Partial<{ dispose(): void }>).dispose?.();
  try {
    const result = await ctx.runs.run(`collecting ${userId}'s preferences`, (signal) =>
      collect({
        userId,
        file: fileUri.fsPath,
        fileName,
        root: folder.uri.fsPath,
        items,
        sources,
        asker,
        temperature: Math.max(inputs.temperature, 0.7),
        retestRate: a.answers ? 0 : cfg.retestRate,
        // As the CLI does by default: collected pairs go to context or validation, never into a test set.
        newPairs: { seed: folder.files.config.split.seed, ratios: folder.files.config.split.ratios },
        ...(a.max !== undefined ? { max: a.max } : {}),
        ...(informative ? { informative } : {}),
        signal,
        appender,
        onNote: (m) => {
          ctx.log.warn('collect', m);
          panel?.post({ type: 'note', message: m } satisfies HostToCollect);
        },
        onEvent: (e) => {
          if (e.type === 'pick') summary.picked++;
          else if (e.type === 'tie') summary.ties++;
          else if (e.type === 'skip') summary.skipped++;
          else if (e.type === 'failed') summary.failed++;
          else if (e.type === 'retest') {
            summary.retests++;
            if (e.agreed) summary.agreed++;
          }
        },
      }),
    );
    await closeTheLoop(ctx, folder, userId, result, persona?.model, cfg.refitAfter);
    return result;
  } finally {
    disposeAsker();
    await second?.dispose();
  }
}

/** The end of a session: the counts and the consistency, and a re-fit once enough pairs came in since the persona's fit. */
async function closeTheLoop(
  ctx: Ctx,
  folder: Folder,
  userId: string,
  r: CollectSummary,
  persona: import('../../core/method/persona-file').PersonaModel | undefined,
  refitAfter: number,
): Promise<void> {
  const [{ collectStatus }, { collectLogPath }] = await Promise.all([
    import('../../core/collect/status'),
    import('../../core/collect/collect-log'),
  ]);
  const status = await collectStatus(collectLogPath(folder.uri.fsPath, userId), [], persona, { refitAfter });
  const consistency = status.retest.asked
    ? `; your consistency on ${status.retest.asked} retest(s): ${((100 * status.retest.agreed) / status.retest.asked).toFixed(0)}%`
    : '';
  const kept = r.pending.length
    ? ` ${r.pending.length} pick(s) are kept in ${collectLogPath('', userId)}, not yet in the file: the next collect into it appends them.`
    : '';
  const message = `${userId}: ${r.picked - r.pending.length} pair(s) added, ${r.ties} tie(s), ${r.skipped} skipped, ${r.failed} failed generation(s)${consistency}.${kept}`;
  lastCollect = { ...lastCollect, done: message };
  panel?.update({
    type: 'done',
    message,
    counts: {
      picked: r.picked,
      ties: r.ties,
      skipped: r.skipped,
      failed: r.failed,
      ...(r.retests ? { retest: { asked: r.retests, agreed: r.agreed } } : {}),
    },
  });
  ctx.log.info('collect', message);
  if (!status.refit) {
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
  else if (choice === CHECK) await checkPersonaOnNewPairs(ctx, folder, userId, refitAfter);
}

/** The persona's accuracy on the pairs collected since its fit: out of sample, with its interval. */
export async function checkPersonaOnNewPairs(
  ctx: Ctx,
  folder: Folder,
  userId: string,
  refitAfter: number,
): Promise<import('../../core/collect/status').CollectStatus> {
  const [{ collectStatus }, { collectLogPath }] = await Promise.all([
    import('../../core/collect/status'),
    import('../../core/collect/collect-log'),
  ]);
  const inputs = await runInputs(folder);
  const persona = await readPersonaOf(folder, userId);
  const judge = await inputs.prompts.get('judge');
  const pairs = (await folder.files.get()).user(userId)?.pairs ?? [];
  const status = await ctx.runs.run(`judging ${userId}'s new pairs with the persona`, (signal) =>
    collectStatus(collectLogPath(folder.uri.fsPath, userId), pairs, persona?.model, {
      refitAfter,
      judge: { model: inputs.llm, instructions: judge.text, temperature: 0, seed: inputs.seed, signal },
    }),
  );
  const o = status.outOfSample;
  void vscode.window.showInformationMessage(
    o
      ? `SynthesizeMe: the persona on the ${o.pairs} pair(s) collected since its fit: ${(100 * o.accuracy).toFixed(1)}% (95% CI ${(100 * o.ci95[0]).toFixed(1)} to ${(100 * o.ci95[1]).toFixed(1)}), out of sample${status.retest.rate !== null ? `; your own consistency: ${(100 * status.retest.rate).toFixed(0)}% on ${status.retest.asked} retest(s)` : ''}.`
      : `SynthesizeMe: no pair collected since ${userId}'s persona was fitted.`,
  );
  return status;
}
