// The workspace's settings, read the same way by the CLI and the extension: the CLI reads
// `synthesizeme.*` keys from `<workspace>/.vscode/settings.json` (JSON with comments), so a
// command line run and the editor agree without a second settings file.

import { join } from 'node:path';
// The ESM build: the UMD one (package.json "main") loads its parts with a require() that bundlers cannot follow.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import type { OutputCaps, ThinkMode } from '../llm/types';
import { readSettings, type SettingsRead } from './settings-table';
import { UserError } from '../user-error';
import { READ_LIMITS, readOwnText } from '../read-guard';

export interface WorkspaceSettings {
  provider?: 'ollama' | 'openai' | 'vscode-lm';
  baseUrls?: string[];
  model?: string;
  concurrency?: number;
  seed?: number;
  temperature?: number;
  splitRatios?: [number, number, number];
  splitTemporal?: boolean;
  minPairs?: number;
  include?: string[];
  cacheDir?: string;
  personaDir?: string;
  promptDir?: string;
  apiKeyEnv?: string;
  /** Ollama's num_ctx: a number of tokens, or 'auto' (sized per run). */
  numCtx?: number | 'auto';
  think?: ThinkMode;
  outputCaps?: OutputCaps;
  /** Collecting preferences: the share of asks that re-ask a past pick, reversed (0: none). */
  collectRetestRate?: number;
  /** Collecting preferences: offer a re-fit after this many pairs since the persona's fit. */
  collectRefitAfter?: number;
  /** Collecting preferences: ask the most informative of this many candidates (0: in order). */
  collectAskNext?: number;
  /** The rubric methods: how many of a user's context pairs the judge reads (default 6). */
  rubricContextPairs?: number;
  /** Test-time sampling: each order judged this many times and the answers aggregated (default 1). */
  samples?: number;
  /** The reward-model methods: the reward model served by vLLM, its server (default the chat model's), its route. */
  rewardModel?: string;
  rewardBaseUrl?: string;
  rewardEndpoint?: 'classify' | 'pooling';
  /** Similar users: the model that embeds users, on the chat model's server (`--embed-model`'s fallback). */
  embedModel?: string;
}

export { parseNumCtx, parseOutputCaps, parseThink } from './settings-table';

/** The settings an object of `synthesizeme.*` keys holds, as a workspace's settings file gives them. */
export function settingsFromObject(o: Record<string, unknown>, trustedWorkspace: boolean): SettingsRead {
  return readSettings((id) => ({ workspace: o[id] }), trustedWorkspace);
}

/**
 * The workspace's `.vscode/settings.json`, parsed as VS Code parses it (JSON with comments and trailing
 * commas, by jsonc-parser), through the settings table. A setting the table refuses from a workspace is
 * left out and named in `ignored`; a file that does not parse is an error naming its line and column.
 */
export async function readWorkspaceSettingsWithNotes(workspace: string, trusted = false): Promise<SettingsRead> {
  const path = join(workspace, '.vscode', 'settings.json');
  let text: string;
  try {
    // Read before the workspace's folders are registered (the settings say where they are): it must stay in the workspace.
    text = await readOwnText(path, { what: 'settings file', maxBytes: READ_LIMITS.small, within: workspace });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { settings: {}, ignored: [] };
    // Unreadable (no permission, a FIFO, a link out of the workspace): said, never taken for "no settings" in silence.
    return { settings: {}, ignored: [`${path}: ${unreadableWhy(err, path)}; the workspace's settings are not used`] };
  }
  const errors: ParseError[] = [];
  const o = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false }) as unknown;
  if (errors.length) {
    const e = errors[0]!;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const column = e.offset - before.lastIndexOf('\n');
    throw new UserError(`${path}:${line}:${column}: not valid JSON (${printParseErrorCode(e.error)})`, 2);
  }
  return o && typeof o === 'object' && !Array.isArray(o)
    ? settingsFromObject(o as Record<string, unknown>, trusted)
    : { settings: {}, ignored: [] };
}

/** Why a settings file was not read, without the "refusing to read" of the read guard's own line. */
function unreadableWhy(err: unknown, path: string): string {
  if (err instanceof UserError) {
    return (
      'not read: ' +
      err.message.replace(`refusing to read settings file ${path}: `, '').replace(`refusing to read ${path}: `, '')
    );
  }
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM'
    ? 'cannot be read (permission denied)'
    : `cannot be read (${(err as Error).message})`;
}

/** @param trusted the user said --trust-workspace: the workspace's settings may choose servers and outside folders. */
export async function readWorkspaceSettings(workspace: string, trusted = false): Promise<WorkspaceSettings> {
  return (await readWorkspaceSettingsWithNotes(workspace, trusted)).settings;
}
