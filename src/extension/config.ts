// Typed view of the `synthesizeme.*` settings.
//
// Workspace Trust: a workspace's own settings must not send requests (and with them the user's
// API key) to another server. In an untrusted workspace the base URLs come from the user's
// settings only (`inspect().globalValue`), never from the workspace or folder level.

import * as vscode from 'vscode';
import type { SplitOptions } from '../core/data/splits';
import { parseNumCtx, parseThink, type WorkspaceSettings } from '../core/workspace/settings';
import type { ThinkMode } from '../core/llm/types';

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
  temperature: number;
  cacheDir?: string;
  personaDir?: string;
}

export const DEFAULT_INCLUDE = ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'];

function nonEmpty(s: string | undefined): string | undefined {
  return s && s.trim() ? s.trim() : undefined;
}

export function trustedBaseUrls(c: vscode.WorkspaceConfiguration, trusted: boolean): string[] | undefined {
  const urls = trusted ? c.get<string[]>('baseUrls') : c.inspect<string[]>('baseUrls')?.globalValue;
  const list = Array.isArray(urls) ? urls.filter((u) => typeof u === 'string' && u.trim()) : [];
  return list.length ? list : undefined;
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration('synthesizeme');
  const ratios = c.get<number[]>('split.ratios', [50, 20, 30]);
  const provider = c.get<string>('provider');
  const config: Config = {
    include: c.get<string[]>('files.include', DEFAULT_INCLUDE),
    split: {
      ratios: ratios.length === 3 ? [ratios[0]!, ratios[1]!, ratios[2]!] : [50, 20, 30],
      seed: c.get<number>('seed', 0),
      temporal: c.get<boolean>('split.temporal', false),
      minPairs: c.get<number>('split.minPairs', 5),
    },
    temperature: c.get<number>('temperature', 0),
  };
  if (provider === 'ollama' || provider === 'openai') config.provider = provider;
  const urls = trustedBaseUrls(c, vscode.workspace.isTrusted);
  if (urls) config.baseUrls = urls;
  const model = nonEmpty(c.get<string>('model'));
  if (model) config.model = model;
  const concurrency = c.get<number>('concurrency');
  if (typeof concurrency === 'number' && concurrency > 0) config.concurrency = concurrency;
  const numCtx = parseNumCtx(c.get('numCtx'));
  if (numCtx !== undefined) config.numCtx = numCtx;
  const think = parseThink(c.get('think'));
  if (think) config.think = think;
  // Folders too: an untrusted workspace must not make the extension write elsewhere.
  const trustedString = (key: string) => (vscode.workspace.isTrusted ? c.get<string>(key) : c.inspect<string>(key)?.globalValue);
  const cacheDir = nonEmpty(trustedString('cacheDir'));
  if (cacheDir) config.cacheDir = cacheDir;
  const personaDir = nonEmpty(trustedString('personaDir'));
  if (personaDir) config.personaDir = personaDir;
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
  if (config.cacheDir) s.cacheDir = config.cacheDir;
  if (config.personaDir) s.personaDir = config.personaDir;
  return s;
}
