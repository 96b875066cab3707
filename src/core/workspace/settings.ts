// The workspace's settings, read the same way by the CLI and the extension: the CLI reads
// `synthesizeme.*` keys from `<workspace>/.vscode/settings.json` (JSON with comments), so a
// command line run and the editor agree without a second settings file.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { THINK_MODES, type ThinkMode } from '../llm/types';

export interface WorkspaceSettings {
  provider?: 'ollama' | 'openai';
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
}

export function parseThink(v: unknown): ThinkMode | undefined {
  return typeof v === 'string' && (THINK_MODES as readonly string[]).includes(v) ? (v as ThinkMode) : undefined;
}

/** A num_ctx value from a setting or a flag: 'auto', or a whole number of tokens from 256 up. */
export function parseNumCtx(v: unknown): number | 'auto' | undefined {
  if (v === 'auto') return 'auto';
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 256 ? n : undefined;
}

/** Strips // and /* comments and trailing commas, outside strings. */
export function stripJsonc(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

export function settingsFromObject(o: Record<string, unknown>): WorkspaceSettings {
  const s: WorkspaceSettings = {};
  const str = (k: string) => (typeof o[k] === 'string' && (o[k] as string).trim() ? (o[k] as string).trim() : undefined);
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
  const provider = str('synthesizeme.provider');
  if (provider === 'ollama' || provider === 'openai') s.provider = provider;
  const urls = o['synthesizeme.baseUrls'];
  if (Array.isArray(urls) && urls.every((u) => typeof u === 'string') && urls.length) s.baseUrls = urls as string[];
  const assign = <K extends keyof WorkspaceSettings>(key: K, v: WorkspaceSettings[K] | undefined) => {
    if (v !== undefined) s[key] = v;
  };
  assign('model', str('synthesizeme.model'));
  assign('concurrency', num('synthesizeme.concurrency'));
  assign('seed', num('synthesizeme.seed'));
  assign('temperature', num('synthesizeme.temperature'));
  assign('minPairs', num('synthesizeme.split.minPairs'));
  assign('cacheDir', str('synthesizeme.cacheDir'));
  assign('personaDir', str('synthesizeme.personaDir'));
  assign('promptDir', str('synthesizeme.promptDir'));
  assign('apiKeyEnv', str('synthesizeme.apiKeyEnv'));
  assign('numCtx', parseNumCtx(o['synthesizeme.numCtx']));
  assign('think', parseThink(o['synthesizeme.think']));
  const ratios = o['synthesizeme.split.ratios'];
  if (Array.isArray(ratios) && ratios.length === 3 && ratios.every((r) => typeof r === 'number' && r >= 0)) s.splitRatios = ratios as [number, number, number];
  if (typeof o['synthesizeme.split.temporal'] === 'boolean') s.splitTemporal = o['synthesizeme.split.temporal'] as boolean;
  const include = o['synthesizeme.files.include'];
  if (Array.isArray(include) && include.every((g) => typeof g === 'string')) s.include = include as string[];
  return s;
}

export async function readWorkspaceSettings(workspace: string): Promise<WorkspaceSettings> {
  const path = join(workspace, '.vscode', 'settings.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const o = JSON.parse(stripJsonc(text)) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? settingsFromObject(o as Record<string, unknown>) : {};
  } catch (err) {
    throw Object.assign(new Error(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]})`), { expected: true, exitCode: 2 });
  }
}
