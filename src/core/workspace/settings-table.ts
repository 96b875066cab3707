// Every `synthesizeme.*` setting, once: its name, type, default as the settings UI shows it, where it may
// come from, and how its value is read. The CLI (from `<workspace>/.vscode/settings.json`) and the extension
// (from VS Code's configuration) both read through this table, and a test checks package.json's contributed
// configuration against it, so the two readers cannot drift apart again (the extension used to ignore
// OPENAI_BASE_URL, run OpenAI at concurrency 4 where the CLI used 8, and know nothing of promptDir).
//
// An unset setting stays unset: the engine's own defaults (and the environment, e.g. OPENAI_BASE_URL)
// apply then. The `default` below is only what package.json shows.

import { OUTPUT_CAP_KINDS, THINK_MODES, type OutputCaps, type ThinkMode } from '../llm/types';
import { isServerUrl } from '../llm/config-from-env';
import { MAX_SAMPLES } from '../method/samples';
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
  /**
   * The limit on what an untrusted workspace may set (cost and runaway answers): the value kept, and why it
   * was clamped; `value: undefined` ignores it. Flags, the user's settings and a trusted workspace are not bound.
   */
  bound?(value: NonNullable<WorkspaceSettings[K]>): { value?: WorkspaceSettings[K]; why?: string };
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const int = (min: number) => (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= min ? v : undefined);
const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
const strings = (v: unknown) =>
  Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.trim()) ? (v as string[]) : undefined;

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
    typeof v === 'string'
      ? v
          .split(',')
          .filter((x) => x.trim())
          .map((x) => x.split('=').map((y) => y.trim()) as [string, string])
          .map(([k, n]) => [k, /^\d+$/.test(n ?? '') ? Number(n) : n])
      : v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v)
        : [];
  if (!entries.length) return undefined;
  const out: OutputCaps = {};
  for (const [k, n] of entries) {
    if (!(OUTPUT_CAP_KINDS as readonly string[]).includes(k) || typeof n !== 'number' || !Number.isInteger(n) || n < 16)
      return undefined;
    out[k as keyof OutputCaps] = n;
  }
  return out;
}

function spec<K extends keyof WorkspaceSettings>(s: SettingSpec<K>): SettingSpec<K> {
  return s;
}

/**
 * What an untrusted workspace may ask for at most. A cloned data set must not be able to make the user's
 * runs unbounded: answers without a cap (a looping model writes until the server's own limit), a context
 * that makes Ollama allocate more memory than the machine has, a flood of calls, judging at random, or a
 * thinking model's four-fold caps and time. Each is generous for real work; a user who needs more says so.
 */
export const UNTRUSTED_BOUNDS = {
  outputCap: 4096,
  numCtx: 32768,
  concurrency: 16,
  temperature: 1,
  askNext: 16,
  rubricContextPairs: 64,
  samples: 8,
} as const;

/** A folder the tool writes to: any path from a trusted workspace, a relative one inside an untrusted one. */
const folderSetting = (field: 'cacheDir' | 'personaDir' | 'promptDir', id: string) =>
  spec({ field, id, type: 'string', default: '', trust: 'trusted', path: true, parse: str });

const atMost = (max: number, what: string) => (v: number) =>
  v > max ? { value: max, why: `${what} at most ${max}` } : { value: v };

export const SETTINGS: readonly SettingSpec[] = [
  spec({
    field: 'include',
    id: 'synthesizeme.files.include',
    type: 'array',
    default: ['**/*.prefs.{jsonl,json,yaml,yml}', '**/*.jsonl'],
    trust: 'any',
    parse: strings,
  }),
  spec({
    field: 'splitRatios',
    id: 'synthesizeme.split.ratios',
    type: 'array',
    default: [50, 20, 30],
    trust: 'any',
    parse: (v) =>
      Array.isArray(v) && v.length === 3 && v.every((r) => typeof r === 'number' && r >= 0) && v.some((r) => r > 0)
        ? (v as [number, number, number])
        : undefined,
  }),
  spec({
    field: 'splitTemporal',
    id: 'synthesizeme.split.temporal',
    type: 'boolean',
    default: false,
    trust: 'any',
    parse: bool,
  }),
  spec({
    field: 'minPairs',
    id: 'synthesizeme.split.minPairs',
    type: 'integer',
    default: 5,
    trust: 'any',
    parse: int(1),
  }),
  spec({ field: 'seed', id: 'synthesizeme.seed', type: 'integer', default: 0, trust: 'any', parse: int(0) }),
  // The provider is a choice of server (and of where the API key goes): moving a local run to the OpenAI
  // API with the user's OPENAI_API_KEY, or adding `Authorization: Bearer <key>` to the user's own Ollama URL,
  // is the workspace choosing where a secret goes. Same rule as the addresses.
  spec({
    field: 'provider',
    id: 'synthesizeme.provider',
    type: 'string',
    default: 'ollama',
    trust: 'trusted',
    // 'vscode-lm' (VS Code's language models) is read here too: the CLI then says it has no such provider.
    parse: (v) => (v === 'ollama' || v === 'openai' || v === 'vscode-lm' ? v : undefined),
  }),
  spec({
    field: 'baseUrls',
    id: 'synthesizeme.baseUrls',
    type: 'array',
    default: [],
    trust: 'trusted',
    parse: (v) => (strings(v)?.every(isServerUrl) ? (v as string[]) : undefined),
  }),
  spec({ field: 'model', id: 'synthesizeme.model', type: 'string', default: '', trust: 'any', parse: str }),
  spec({
    field: 'concurrency',
    id: 'synthesizeme.concurrency',
    type: ['integer', 'null'],
    default: null,
    trust: 'any',
    parse: int(1),
    bound: atMost(UNTRUSTED_BOUNDS.concurrency, 'calls in flight per server'),
  }),
  spec({
    field: 'numCtx',
    id: 'synthesizeme.numCtx',
    type: ['string', 'integer'],
    default: 'auto',
    trust: 'any',
    parse: parseNumCtx,
    bound: (v) => (v === 'auto' ? { value: v } : atMost(UNTRUSTED_BOUNDS.numCtx, 'a context of')(v)),
  }),
  spec({
    field: 'think',
    id: 'synthesizeme.think',
    type: 'string',
    default: 'off',
    trust: 'any',
    parse: parseThink,
    bound: (v) =>
      v === 'off' ? { value: v } : { why: 'thinking multiplies every answer cap by four and the time of every call' },
  }),
  spec({
    field: 'outputCaps',
    id: 'synthesizeme.outputCaps',
    type: 'object',
    default: {},
    trust: 'any',
    parse: parseOutputCaps,
    bound: boundCaps,
  }),
  spec({
    field: 'temperature',
    id: 'synthesizeme.temperature',
    type: 'number',
    default: 0,
    trust: 'any',
    parse: (v) => (num(v) !== undefined && (v as number) >= 0 && (v as number) <= 2 ? (v as number) : undefined),
    bound: atMost(UNTRUSTED_BOUNDS.temperature, 'a temperature of'),
  }),
  folderSetting('cacheDir', 'synthesizeme.cacheDir'),
  folderSetting('personaDir', 'synthesizeme.personaDir'),
  folderSetting('promptDir', 'synthesizeme.promptDir'),
  spec({
    field: 'collectRetestRate',
    id: 'synthesizeme.collect.retestRate',
    type: 'number',
    default: 0.1,
    trust: 'any',
    parse: (v) => (num(v) !== undefined && (v as number) >= 0 && (v as number) <= 0.5 ? (v as number) : undefined),
  }),
  spec({
    field: 'collectRefitAfter',
    id: 'synthesizeme.collect.refitAfter',
    type: 'integer',
    default: 10,
    trust: 'any',
    parse: int(1),
  }),
  // Each ask generates and judges this many candidate pairs: a multiplier of cost, like concurrency.
  spec({
    field: 'collectAskNext',
    id: 'synthesizeme.collect.askNext',
    type: 'integer',
    default: 0,
    trust: 'any',
    parse: (v) => (v === 0 ? 0 : int(2)(v)),
    bound: atMost(UNTRUSTED_BOUNDS.askNext, 'candidates per ask'),
  }),
  // More pairs, longer prompts (a multiplier of prompt tokens, bounded for an untrusted workspace like the others).
  spec({
    field: 'rubricContextPairs',
    id: 'synthesizeme.rubric.contextPairs',
    type: 'integer',
    default: 6,
    trust: 'any',
    parse: int(1),
    bound: atMost(UNTRUSTED_BOUNDS.rubricContextPairs, 'context pairs per rubric prompt'),
  }),
  // k samples per order are k times the calls: a multiplier of cost, bounded like the others.
  spec({
    field: 'samples',
    id: 'synthesizeme.samples',
    type: 'integer',
    default: 1,
    trust: 'any',
    parse: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_SAMPLES ? v : undefined),
    bound: atMost(UNTRUSTED_BOUNDS.samples, 'samples per order'),
  }),
  // The reward-model methods' scorer (core/llm/reward-config.ts). Its server receives requests and the API key:
  // the same rule as the chat model's addresses. The model and the route choose nothing of where a secret goes.
  spec({
    field: 'rewardModel',
    id: 'synthesizeme.reward.model',
    type: 'string',
    default: '',
    trust: 'any',
    parse: str,
  }),
  spec({
    field: 'rewardBaseUrl',
    id: 'synthesizeme.reward.baseUrl',
    type: 'string',
    default: '',
    trust: 'trusted',
    parse: (v) => (str(v) !== undefined && isServerUrl(str(v)!) ? str(v) : undefined),
  }),
  spec({
    field: 'rewardEndpoint',
    id: 'synthesizeme.reward.endpoint',
    type: 'string',
    default: 'classify',
    trust: 'any',
    parse: (v) => (v === 'classify' || v === 'pooling' ? v : undefined),
  }),
  // `--similar-users` (the CLI's --embed-model falls back to it) and the Persona Inspector's nearest users: the model
  // that embeds users, on the chat model's server. A name chooses nothing of where requests or the key go.
  spec({
    field: 'embedModel',
    id: 'synthesizeme.similar.embedModel',
    type: 'string',
    default: '',
    trust: 'any',
    parse: str,
  }),
  spec({
    field: 'apiKeyEnv',
    id: 'synthesizeme.apiKeyEnv',
    type: 'string',
    default: '',
    trust: 'user',
    parse: (v) => (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()) ? v.trim() : undefined),
  }),
];

function boundCaps(caps: OutputCaps): { value: OutputCaps; why?: string } {
  const out: OutputCaps = {};
  const clamped: string[] = [];
  for (const [k, n] of Object.entries(caps) as [keyof OutputCaps, number][]) {
    out[k] = Math.min(n, UNTRUSTED_BOUNDS.outputCap);
    if (n > UNTRUSTED_BOUNDS.outputCap) clamped.push(k);
  }
  return clamped.length
    ? { value: out, why: `${clamped.join(', ')} at most ${UNTRUSTED_BOUNDS.outputCap} tokens` }
    : { value: out };
}

/** A setting's default, from the table (the CLI and the extension fall back to the same value). */
export function defaultOf<K extends keyof WorkspaceSettings>(field: K): WorkspaceSettings[K] {
  return SETTINGS.find((x) => x.field === field)?.default as WorkspaceSettings[K];
}

const UNTRUSTED_REASON = {
  server:
    'an untrusted workspace may not choose the server that receives your requests and API key ' +
    '(pass --base-url, set it in your user settings, ' +
    'or trust the workspace: --trust-workspace, or Workspace Trust in VS Code)',
  path:
    'an untrusted workspace may not place outputs outside itself ' +
    '(use a relative path inside the workspace, pass the option, set it in your user settings, ' +
    'or trust the workspace: --trust-workspace, or Workspace Trust in VS Code)',
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

function boundNote(id: string, raw: unknown, b: { value?: unknown; why?: string }): string {
  const advice =
    'an untrusted workspace may ask for no more (set it in your user settings, pass the option, or trust the workspace)';
  const what =
    b.value === undefined
      ? `ignored in the workspace's settings (${JSON.stringify(raw)})`
      : `clamped to ${JSON.stringify(b.value)} from the workspace's ${JSON.stringify(raw)}`;
  return `${id}: ${what}: ${b.why}; ${advice}`;
}

/** One value from one source, checked by its spec; a value of the wrong shape is reported, not used. */
export interface SettingsRead {
  settings: WorkspaceSettings;
  /** One line per setting that was present but not used as given (ignored, or clamped for an untrusted workspace), and why. */
  ignored: string[];
}

/**
 * Reads the settings from a source that gives, per id, the value set at each level. `workspace` is what a
 * workspace (its settings file, or its folder level) set; `user` what the user set for themselves.
 */
export function readSettings(
  lookup: (id: string) => { user?: unknown; workspace?: unknown },
  trustedWorkspace: boolean,
): SettingsRead {
  const settings: WorkspaceSettings = {};
  const ignored: string[] = [];
  for (const s of SETTINGS) {
    const { user, workspace } = lookup(s.id);
    let raw = user;
    let fromWorkspace = false;
    if (workspace !== undefined) {
      if (s.trust === 'user')
        ignored.push(
          `${s.id}: ignored in the workspace's settings ` +
            "(a workspace may not choose which variable's secret is sent; set it in your user settings or pass the option)",
        );
      else if (s.trust === 'trusted' && !trustedWorkspace && !(s.path && insideWorkspace(workspace)))
        ignored.push(`${s.id}: ignored in the workspace's settings: ${UNTRUSTED_REASON[s.path ? 'path' : 'server']}`);
      else {
        raw = workspace;
        fromWorkspace = true;
      }
    }
    if (raw === undefined || raw === null || raw === '') continue;
    let value = s.parse(raw);
    if (value === undefined) {
      ignored.push(`${s.id}: ignored: ${JSON.stringify(raw)} is not a valid value`);
      continue;
    }
    if (fromWorkspace && !trustedWorkspace && s.bound) {
      const bounded = (s.bound as (v: unknown) => { value?: unknown; why?: string })(value);
      if (bounded.why) ignored.push(boundNote(s.id, raw, bounded));
      if (bounded.value === undefined) {
        // The user's own value, if any, still applies.
        const mine = user === undefined || user === null || user === '' ? undefined : s.parse(user);
        if (mine === undefined) continue;
        value = mine;
      } else value = bounded.value as typeof value;
    }
    (settings as Record<string, unknown>)[s.field] = value;
  }
  return { settings, ignored };
}
