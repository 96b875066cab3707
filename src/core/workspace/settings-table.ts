// Every `synthesizeme.*` setting, once: its name, type, default as the settings UI shows it, where it may
// come from, and how its value is read. The CLI (from `<workspace>/.vscode/settings.json`) and the extension
// (from VS Code's configuration) both read through this table, and a test checks package.json's contributed
// configuration against it, so the two readers cannot drift apart again (the extension used to ignore
// OPENAI_BASE_URL, run OpenAI at concurrency 4 where the CLI used 8, and know nothing of promptDir).
//
// An unset setting stays unset: the engine's own defaults (and the environment, e.g. OPENAI_BASE_URL)
// apply then. The `default` below is only what package.json shows.

import { OUTPUT_CAP_KINDS, THINK_MODES, type OutputCaps, type ThinkMode } from '../llm/types';
import type { WorkspaceSettings } from './settings';

/**
 * Where a value may come from (the trust model of the CLI and the extension alike, docs/security.md).
 * - `any`: user, workspace or folder settings.
 * - `trusted`: a workspace's own settings count only in a trusted workspace (VS Code's Workspace
 *   Trust, the CLI's `--trust-workspace`): server addresses, which receive requests and the API key;
 *   and folders, which an untrusted workspace may set only inside itself (`path`). VS Code's
 *   restrictedConfigurations.
 * - `user`: never from a workspace, trusted or not: which environment variable's secret is sent where.
 * Command-line flags, the environment and the user's own settings may set everything.
 */
export type SettingTrust = 'any' | 'trusted' | 'user';

export interface SettingSpec<K extends keyof WorkspaceSettings = keyof WorkspaceSettings> {
  field: K;
  /** The full id, `synthesizeme.` included. */
  id: string;
  /** JSON schema type(s), as package.json declares them. */
  type: string | string[];
  default: unknown;
  trust: SettingTrust;
  /** A folder the tool writes to: an untrusted workspace may set it to a relative path inside itself. */
  path?: true;
  parse(value: unknown): WorkspaceSettings[K] | undefined;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const int = (min: number) => (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : undefined);
const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.trim()) ? (v as string[]) : undefined);

/** A num_ctx value from a setting or a flag: 'auto', or a whole number of tokens from 256 up. */
export function parseNumCtx(v: unknown): number | 'auto' | undefined {
  if (v === 'auto') return 'auto';
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 256 ? n : undefined;
}

export function parseThink(v: unknown): ThinkMode | undefined {
  return typeof v === 'string' && (THINK_MODES as readonly string[]).includes(v) ? (v as ThinkMode) : undefined;
}

/** Output caps: an object, or `judge=1024,persona=2048` from a flag; kinds as in OUTPUT_CAP_KINDS, 16 tokens or more. */
export function parseOutputCaps(v: unknown): OutputCaps | undefined {
  const entries: [string, unknown][] =
    typeof v === 'string' ? v.split(',').filter((x) => x.trim()).map((x) => x.split('=').map((y) => y.trim()) as [string, string]).map(([k, n]) => [k, /^\d+$/.test(n ?? '') ? Number(n) : n]) : v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : [];
  if (!entries.length) return undefined;
  const out: OutputCaps = {};
  for (const [k, n] of entries) {
    if (!(OUTPUT_CAP_KINDS as readonly string[]).includes(k) || typeof n !== 'number' || !Number.isInteger(n) || n < 16) return undefined;
    out[k as keyof OutputCaps] = n;
  }
  return out;
}

function spec<K extends keyof WorkspaceSettings>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

export const SETTINGS: readonly SettingSpec[] = [
  spec({ field: 'include', id: 'synthesizeme.files.include', type: 'array', default: ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'], trust: 'any', parse: strings }),
  spec({
    field: 'splitRatios',
    id: 'synthesizeme.split.ratios',
    type: 'array',
    default: [50, 20, 30],
    trust: 'any',
    parse: (v) => (Array.isArray(v) && v.length === 3 && v.every((r) => typeof r === 'number' && r >= 0) && v.some((r) => r > 0) ? (v as [number, number, number]) : undefined),
  }),
  spec({ field: 'splitTemporal', id: 'synthesizeme.split.temporal', type: 'boolean', default: false, trust: 'any', parse: bool }),
  spec({ field: 'minPairs', id: 'synthesizeme.split.minPairs', type: 'integer', default: 5, trust: 'any', parse: int(1) }),
  spec({ field: 'seed', id: 'synthesizeme.seed', type: 'integer', default: 0, trust: 'any', parse: int(0) }),
  spec({ field: 'provider', id: 'synthesizeme.provider', type: 'string', default: 'ollama', trust: 'any', parse: (v) => (v === 'ollama' || v === 'openai' ? v : undefined) }),
  spec({ field: 'baseUrls', id: 'synthesizeme.baseUrls', type: 'array', default: [], trust: 'trusted', parse: strings }),
  spec({ field: 'model', id: 'synthesizeme.model', type: 'string', default: '', trust: 'any', parse: str }),
  spec({ field: 'concurrency', id: 'synthesizeme.concurrency', type: ['integer', 'null'], default: null, trust: 'any', parse: int(1) }),
  spec({ field: 'numCtx', id: 'synthesizeme.numCtx', type: ['string', 'integer'], default: 'auto', trust: 'any', parse: parseNumCtx }),
  spec({ field: 'think', id: 'synthesizeme.think', type: 'string', default: 'off', trust: 'any', parse: parseThink }),
  spec({ field: 'outputCaps', id: 'synthesizeme.outputCaps', type: 'object', default: {}, trust: 'any', parse: parseOutputCaps }),
  spec({ field: 'temperature', id: 'synthesizeme.temperature', type: 'number', default: 0, trust: 'any', parse: (v) => (num(v) !== undefined && (v as number) >= 0 && (v as number) <= 2 ? (v as number) : undefined) }),
  spec({ field: 'cacheDir', id: 'synthesizeme.cacheDir', type: 'string', default: '', trust: 'trusted', path: true, parse: str }),
  spec({ field: 'personaDir', id: 'synthesizeme.personaDir', type: 'string', default: '', trust: 'trusted', path: true, parse: str }),
  spec({ field: 'promptDir', id: 'synthesizeme.promptDir', type: 'string', default: '', trust: 'trusted', path: true, parse: str }),
  spec({ field: 'collectRetestRate', id: 'synthesizeme.collect.retestRate', type: 'number', default: 0.1, trust: 'any', parse: (v) => (num(v) !== undefined && (v as number) >= 0 && (v as number) <= 0.5 ? (v as number) : undefined) }),
  spec({ field: 'collectRefitAfter', id: 'synthesizeme.collect.refitAfter', type: 'integer', default: 10, trust: 'any', parse: int(1) }),
  spec({ field: 'collectAskNext', id: 'synthesizeme.collect.askNext', type: 'integer', default: 0, trust: 'any', parse: (v) => (v === 0 ? 0 : int(2)(v)) }),
  spec({ field: 'apiKeyEnv', id: 'synthesizeme.apiKeyEnv', type: 'string', default: '', trust: 'user', parse: (v) => (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()) ? v.trim() : undefined) }),
];

/** A setting's default, from the table (the CLI and the extension fall back to the same value). */
export function defaultOf<K extends keyof WorkspaceSettings>(field: K): WorkspaceSettings[K] {
  return SETTINGS.find((x) => x.field === field)?.default as WorkspaceSettings[K];
}

const UNTRUSTED_REASON = {
  server: 'an untrusted workspace may not choose the server that receives your requests and API key (pass --base-url, set it in your user settings, or trust the workspace: --trust-workspace, or Workspace Trust in VS Code)',
  path: 'an untrusted workspace may not place outputs outside itself (use a relative path inside the workspace, pass the option, set it in your user settings, or trust the workspace: --trust-workspace, or Workspace Trust in VS Code)',
};

/** A relative path that stays inside the folder it is relative to (`out/x`, not `../x`, `/abs` or `~/x`). */
export function insideWorkspace(value: unknown): boolean {
  if (typeof value !== 'string' || !value.trim()) return false;
  const v = value.trim().replace(/\\/g, '/');
  if (v.startsWith('/') || v.startsWith('~') || /^[A-Za-z]:/.test(v)) return false;
  let depth = 0;
  for (const part of v.split('/')) {
    if (part === '..') depth--;
    else if (part && part !== '.') depth++;
    if (depth < 0) return false;
  }
  return true;
}

/** One value from one source, checked by its spec; a value of the wrong shape is reported, not used. */
export interface SettingsRead {
  settings: WorkspaceSettings;
  /** One line per setting that was present but not used, and why. */
  ignored: string[];
}

/**
 * Reads the settings from a source that gives, per id, the value set at each level. `workspace` is what a
 * workspace (its settings file, or its folder level) set; `user` what the user set for themselves.
 */
export function readSettings(lookup: (id: string) => { user?: unknown; workspace?: unknown }, trustedWorkspace: boolean): SettingsRead {
  const settings: WorkspaceSettings = {};
  const ignored: string[] = [];
  for (const s of SETTINGS) {
    const { user, workspace } = lookup(s.id);
    let raw = user;
    if (workspace !== undefined) {
      if (s.trust === 'user') ignored.push(`${s.id}: ignored in the workspace's settings (a workspace may not choose which variable's secret is sent; set it in your user settings or pass the option)`);
      else if (s.trust === 'trusted' && !trustedWorkspace && !(s.path && insideWorkspace(workspace))) ignored.push(`${s.id}: ignored in the workspace's settings: ${UNTRUSTED_REASON[s.path ? 'path' : 'server']}`);
      else raw = workspace;
    }
    if (raw === undefined || raw === null || raw === '') continue;
    const value = s.parse(raw);
    if (value === undefined) {
      ignored.push(`${s.id}: ignored: ${JSON.stringify(raw)} is not a valid value`);
      continue;
    }
    (settings as Record<string, unknown>)[s.field] = value;
  }
  return { settings, ignored };
}
