// Typed view of the `synthesizeme.*` settings.
//
// Workspace Trust, from the engine's settings table: in an untrusted workspace the settings marked
// `trusted` (base URLs, which receive the API key; the cache, persona and prompt folders) come from the
// user's settings only (`inspect().globalValue`), never from the workspace or folder level; `apiKeyEnv`
// never comes from a workspace at all.

import * as vscode from 'vscode';
import { DEFAULT_INCLUDE, type SplitOptions } from '../core/data';
import { defaultOf, readSettings, type SettingsRead, type WorkspaceSettings } from '../core/workspace';

export type ProviderName = 'ollama' | 'openai' | 'vscode-lm';

/** Settings the extension passes on as they are; the split, include and temperature get defaults here. */
const PASSED_ON = [
  'provider',
  'baseUrls',
  'model',
  'concurrency',
  'numCtx',
  'think',
  'outputCaps',
  'cacheDir',
  'personaDir',
  'promptDir',
  'apiKeyEnv',
  'rewardModel',
  'rewardBaseUrl',
  'rewardEndpoint',
  'embedModel',
] as const;
type PassedOn = Pick<WorkspaceSettings, (typeof PASSED_ON)[number]>;

export interface Config extends PassedOn {
  include: string[];
  split: SplitOptions;
  temperature: number;
  collect: { retestRate: number; refitAfter: number; askNext: number };
  /** The rubric methods: context pairs per judge prompt (`synthesizeme.rubric.contextPairs`). */
  rubricContext: number;
  /** Test-time sampling: judge calls per order (`synthesizeme.samples`). */
  samples: number;
}

function passOn(from: PassedOn): PassedOn {
  const out: Record<string, unknown> = {};
  for (const k of PASSED_ON) if (from[k] !== undefined) out[k] = from[k];
  return out as PassedOn;
}

/** VS Code's configuration through the engine's settings table: the same names, checks and trust as the CLI. */
export function readSettingsFromVscode(c: vscode.WorkspaceConfiguration, trusted: boolean): SettingsRead {
  return readSettings((id) => {
    const i = c.inspect(id.replace(/^synthesizeme\./, ''));
    // Only what someone set: an unset setting leaves the engine's default (and e.g. OPENAI_BASE_URL) in force.
    return { user: i?.globalValue, workspace: i?.workspaceFolderValue ?? i?.workspaceValue };
  }, trusted);
}

/** One folder's settings: its folder-level values over the workspace's over the user's. */
export function readConfig(folder: vscode.Uri, onIgnored?: (line: string) => void): Config {
  const c = vscode.workspace.getConfiguration('synthesizeme', folder);
  const { settings: s, ignored } = readSettingsFromVscode(c, vscode.workspace.isTrusted);
  for (const line of ignored) onIgnored?.(line);
  const ratios = s.splitRatios ?? [50, 20, 30];
  return {
    ...passOn(s),
    include: s.include ?? DEFAULT_INCLUDE,
    split: { ratios, seed: s.seed ?? 0, temporal: s.splitTemporal ?? false, minPairs: s.minPairs ?? 5 },
    temperature: s.temperature ?? 0,
    collect: {
      retestRate: s.collectRetestRate ?? defaultOf('collectRetestRate')!,
      refitAfter: s.collectRefitAfter ?? defaultOf('collectRefitAfter')!,
      askNext: s.collectAskNext ?? defaultOf('collectAskNext')!,
    },
    rubricContext: s.rubricContextPairs ?? defaultOf('rubricContextPairs')!,
    samples: s.samples ?? defaultOf('samples')!,
  };
}

/** The same settings in the engine's shape, so the layout (personas, cache, runs) matches the CLI's. */
export function engineSettings(config: Config): WorkspaceSettings {
  return {
    ...passOn(config),
    seed: config.split.seed,
    temperature: config.temperature,
    splitRatios: config.split.ratios,
    splitTemporal: config.split.temporal,
    minPairs: config.split.minPairs,
    include: config.include,
  };
}
