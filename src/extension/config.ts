// Typed view of the `synthesizeme.*` settings.
//
// Workspace Trust, from the engine's settings table: in an untrusted workspace the settings marked
// `trusted` (base URLs, which receive the API key; the cache, persona and prompt folders) come from the
// user's settings only (`inspect().globalValue`), never from the workspace or folder level; `apiKeyEnv`
// never comes from a workspace at all.

import * as vscode from 'vscode';
import type { SplitOptions } from '../core/data/splits';
import type { WorkspaceSettings } from '../core/workspace/settings';
import { readSettings, type SettingsRead } from '../core/workspace/settings-table';
import type { OutputCaps, ThinkMode } from '../core/llm/types';

export type ProviderName = 'ollama' | 'openai';

export interface Config {
  include: string[];
  split: SplitOptions;
  provider?: ProviderName;
  baseUrls?: string[];
  model?: string;
  concurrency?: number;
  numCtx?: number | 'auto';
  think?: ThinkMode;
  outputCaps?: OutputCaps;
  temperature: number;
  cacheDir?: string;
  personaDir?: string;
  promptDir?: string;
  apiKeyEnv?: string;
}

export const DEFAULT_INCLUDE = ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'];

/** VS Code's configuration through the engine's settings table: the same names, checks and trust as the CLI. */
export function readSettingsFromVscode(c: vscode.WorkspaceConfiguration, trusted: boolean): SettingsRead {
  return readSettings((id) => {
    const i = c.inspect(id.replace(/^synthesizeme\./, ''));
    // Only what someone set: an unset setting leaves the engine's default (and e.g. OPENAI_BASE_URL) in force.
    return { user: i?.globalValue, workspace: i?.workspaceFolderValue ?? i?.workspaceValue };
  }, trusted);
}

export function readConfig(onIgnored?: (line: string) => void): Config {
  const c = vscode.workspace.getConfiguration('synthesizeme');
  const { settings: s, ignored } = readSettingsFromVscode(c, vscode.workspace.isTrusted);
  for (const line of ignored) onIgnored?.(line);
  const ratios = s.splitRatios ?? [50, 20, 30];
  const config: Config = {
    include: s.include ?? DEFAULT_INCLUDE,
    split: { ratios, seed: s.seed ?? 0, temporal: s.splitTemporal ?? false, minPairs: s.minPairs ?? 5 },
    temperature: s.temperature ?? 0,
  };
  if (s.provider) config.provider = s.provider;
  if (s.baseUrls) config.baseUrls = s.baseUrls;
  if (s.model) config.model = s.model;
  if (s.concurrency) config.concurrency = s.concurrency;
  if (s.numCtx !== undefined) config.numCtx = s.numCtx;
  if (s.think) config.think = s.think;
  if (s.outputCaps) config.outputCaps = s.outputCaps;
  if (s.cacheDir) config.cacheDir = s.cacheDir;
  if (s.personaDir) config.personaDir = s.personaDir;
  if (s.promptDir) config.promptDir = s.promptDir;
  if (s.apiKeyEnv) config.apiKeyEnv = s.apiKeyEnv;
  return config;
}

/** The same settings in the engine's shape, so the layout (personas, cache, runs) matches the CLI's. */
export function engineSettings(config: Config): WorkspaceSettings {
  const s: WorkspaceSettings = {
    seed: config.split.seed,
    temperature: config.temperature,
    splitRatios: config.split.ratios,
    splitTemporal: config.split.temporal,
    minPairs: config.split.minPairs,
    include: config.include,
  };
  if (config.provider) s.provider = config.provider;
  if (config.baseUrls) s.baseUrls = config.baseUrls;
  if (config.model) s.model = config.model;
  if (config.concurrency) s.concurrency = config.concurrency;
  if (config.numCtx !== undefined) s.numCtx = config.numCtx;
  if (config.think) s.think = config.think;
  if (config.outputCaps) s.outputCaps = config.outputCaps;
  if (config.cacheDir) s.cacheDir = config.cacheDir;
  if (config.personaDir) s.personaDir = config.personaDir;
  if (config.promptDir) s.promptDir = config.promptDir;
  if (config.apiKeyEnv) s.apiKeyEnv = config.apiKeyEnv;
  return s;
}
