// What fit, eval and judge share: open the workspace, open the model, report usage, and turn
// a cancelled run into the message that says how to resume.

import { resolve } from 'node:path';
import { flag, stringOption, type CommandIO, type ParsedArgs } from './command';
import { splitOptionsFrom } from './split-options';
import { type BatchModel, openLlm } from './model-options';
import { openWorkspace, pinLegacySplits, selectUsers, type Workspace } from '../core/workspace';
import { PathNotFoundError, type UserEntry } from '../core/data';
import { type ContextPlan, type Llm, usageSentence } from '../core/llm';
import { UsageError } from './usage-error';

export async function openForRun(
  args: ParsedArgs,
  io: CommandIO,
  command: string,
): Promise<{ ws: Workspace; users: UserEntry[] }> {
  const path = args.positionals[0];
  if (!path) throw new UsageError(`${command}: give the workspace folder (see synthesizeme ${command} --help)`);
  const user = stringOption(args, 'user');
  const all = flag(args, 'all');
  if (!user && !all) throw new UsageError(`${command}: say which users: --user ID or --all`);
  if (user && all) throw new UsageError(`${command}: --user and --all exclude each other`);
  const split = splitOptionsFrom(args);
  let ws: Workspace;
  try {
    ws = await openWorkspace(resolve(io.cwd, path), {
      // Only options given on the command line override the workspace settings.
      split: {
        ...(stringOption(args, 'splits') ? { ratios: split.ratios } : {}),
        ...(stringOption(args, 'seed') ? { seed: split.seed } : {}),
        ...(flag(args, 'temporal') ? { temporal: true } : {}),
        ...(stringOption(args, 'min-pairs') ? { minPairs: split.minPairs } : {}),
      },
      signal: io.signal,
      trustWorkspace: flag(args, 'trust-workspace'),
      named: true,
    });
  } catch (err) {
    if (err instanceof PathNotFoundError) throw new UsageError(`${command}: no such folder: ${path}`);
    throw err;
  }
  for (const line of [...ws.settingsIgnored, ...ws.splits.notes]) io.stderr(`note: ${line}\n`);
  const users = selectUsers(ws, user, all);
  // A dry run writes nothing: it reads the splits as they are, which are the ones the run will pin.
  if (!flag(args, 'dry-run')) await pinSplits(ws, io);
  return { ws, users };
}

/** Before a run writes: a legacy workspace's splits pinned, said once (split-record.ts). */
export async function pinSplits(ws: Workspace, io: Pick<CommandIO, 'stderr'>): Promise<void> {
  const pinned = await pinLegacySplits(ws);
  if (pinned) io.stderr(`note: ${pinned}\n`);
}

export function openModel(args: ParsedArgs, io: CommandIO, ws: Workspace, batch?: BatchModel): Llm {
  return openLlm(args, io, ws.settings, ws.layout.cacheDir, batch);
}

export function usageLine(llm: Llm): string {
  return usageSentence(llm.counters());
}

/** A model's counters as the JSON outputs give them (a chat model's, or a reward model's). */
export function usageJson(llm: Pick<Llm, 'counters'>) {
  const c = llm.counters();
  return {
    calls: c.calls,
    cacheHits: c.cacheHits,
    requests: c.attempts,
    promptTokens: c.promptTokens,
    cachedPromptTokens: c.cachedPromptTokens,
    completionTokens: c.completionTokens,
    wallMs: Math.round(c.wallMs),
    costUsd: c.costUsd ?? null,
    failedCalls: c.errors,
  };
}

/**
 * The command as given, every option kept (the server, the model, the splits...), for a hint to run it again:
 * a hint without --base-url and --model would send the same work to another server. Built from the parsed
 * options, so it holds wherever the CLI runs (a test's process has no such argv). Values are shell-quoted.
 */
export function commandLine(command: string, args: ParsedArgs): string {
  const words = ['synthesizeme', command, ...args.positionals];
  for (const [name, value] of Object.entries(args.values)) {
    if (name === 'help') continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === true) words.push(`--${name}`);
      else if (typeof v === 'string') words.push(`--${name}`, v);
    }
  }
  return words.map(shellWord).join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Ctrl+C: say how to resume; the exit code (130) is set by main. */
export function rethrowCancelled(err: unknown, io: CommandIO, resume: string): never {
  if (io.signal.aborted) {
    io.stderr(
      `Cancelled. Finished calls are saved (cache and run file); run the same command again to resume:\n  ${resume}\n`,
    );
  }
  throw err;
}

/** The --dry-run's word on Ollama's context: the size the run will send, and whether a prompt cannot fit. */
export function contextLine(plan: ContextPlan | undefined): string {
  if (!plan) return '';
  const fit = plan.exceedsModel
    ? `: the largest prompt (about ${plan.neededTokens} tokens with its answer) ` +
      `is longer than the model's context of ${plan.modelContext}, and will fail`
    : ` (the largest prompt needs about ${plan.neededTokens} tokens with its answer` +
      `${plan.modelContext ? `; the model's context is ${plan.modelContext}` : ''})`;
  return `Ollama num_ctx ${plan.numCtx} (${plan.source === 'setting' ? 'set' : 'sized for this run'})${fit}.\n`;
}

export function contextJson(plan: ContextPlan | undefined): {
  context?: { numCtx: number; neededTokens: number; modelContext: number | null; exceedsModel: boolean };
} {
  return plan
    ? {
        context: {
          numCtx: plan.numCtx,
          neededTokens: plan.neededTokens,
          modelContext: plan.modelContext ?? null,
          exceedsModel: plan.exceedsModel,
        },
      }
    : {};
}
