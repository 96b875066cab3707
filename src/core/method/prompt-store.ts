// Prompts live as files in the workspace (default `prompts/`), so a researcher can open, edit
// and re-validate them. Defaults are written on first use and never overwritten afterwards.

import { createWhole, replaceWhole } from '../atomic-write';
import { join } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from './default-prompts';
import { UserError } from '../user-error';
import { parseTheta } from './worked-examples';
import { checkWrite, mkdirChecked } from '../write-guard';
import { READ_LIMITS, readOwnBytes } from '../read-guard';
import { writeFailure } from '../fs-error';
import { textHash } from '../text-hash';
import { keepVersion, listVersions } from '../versions/version-store';
import type { VersionOrigin } from '../versions/version-record';

export interface Prompt {
  name: PromptName;
  text: string;
  /** `sha256:` + the first 16 hex digits of the text's hash: recorded in provenance. */
  hash: string;
  /** The file it came from, or undefined for a built-in default that was not written. */
  path?: string;
}

/** The hash a prompt's text is recorded by (text-hash.ts). */
export const promptHash = textHash;

export function promptFileName(name: PromptName): string {
  return `${name}.prompt.md`;
}

export class PromptStore {
  private readonly loaded = new Map<PromptName, Prompt>();

  /** @param dir the workspace's prompt folder; undefined keeps the built-in defaults in memory only. */
  constructor(private readonly dir?: string) {}

  async get(name: PromptName): Promise<Prompt> {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    let prompt: Prompt;
    if (!this.dir) prompt = { name, text: DEFAULT_PROMPTS[name], hash: promptHash(DEFAULT_PROMPTS[name]) };
    else {
      const path = join(this.dir, promptFileName(name));
      let text: string;
      try {
        text = await readPromptFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw promptFileError(path, err);
        // The default is written out on first use, so it can be edited (and versioned) like any prompt.
        await checkWrite(path);
        await mkdirChecked(this.dir).catch((e: unknown) => {
          throw promptFileError(this.dir!, e);
        });
        text = DEFAULT_PROMPTS[name];
        // A file another process just wrote is never clobbered.
        const written = await createWhole(path, text, 'prompt file').catch((e: unknown) => {
          throw promptFileError(path, e);
        });
        if (!written) text = await readPromptFile(path);
      }
      if (!text.trim())
        throw new UserError(
          `prompt file ${path} is empty; write the prompt, or delete the file to restore the default`,
          2,
        );
      // Θ's worked examples are read at every synthesis: a malformed one is reported here, with its line, before any call.
      if (name === 'persona-synthesis') parseTheta(text, path);
      prompt = { name, text, hash: promptHash(text), path };
    }
    this.loaded.set(name, prompt);
    return prompt;
  }
}

async function readPromptFile(path: string): Promise<string> {
  // Under the read guard: no link out of the workspace, no FIFO or device, at most READ_LIMITS.text.
  const bytes = await readOwnBytes(path, { what: 'prompt file', maxBytes: READ_LIMITS.text });
  // A prompt is text: a NUL byte means a binary file (an image, an archive) under a prompt's name.
  if (bytes.includes(0))
    throw new UserError(
      `prompt file ${path} is not text (it holds binary data); replace it, or delete it to restore the default`,
      2,
    );
  return bytes.toString('utf8');
}

/** A prompt file that cannot be read, in one line: a folder in its place, no permission, a missing parent. */
function promptFileError(path: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EISDIR: 'is a folder, not a prompt file',
    EACCES: 'cannot be read or written (permission denied)',
    ENOTDIR: 'is inside something that is not a folder',
    ENOENT: 'is in a folder that does not exist',
  };
  return new UserError(`prompt file ${path} ${why[code ?? ''] ?? `cannot be read (${(err as Error).message})`}`, 2);
}

/** Where a prompt's versions are kept: `<history>/prompts/<name>/` (`.synthesizeme/history/prompts/judge/`). */
export function promptHistoryDir(historyDir: string, name: PromptName): string {
  return join(historyDir, 'prompts', name);
}

const PROMPT_VERSION = '.prompt.md';

/**
 * Keeps a prompt's text as a version (once per distinct text): a run that used it can be compared with it later.
 * Who made it: a text kept as found is a hand edit (the tool keeps every text it writes), or the shipped default.
 */
export async function recordPromptVersion(
  historyDir: string,
  name: PromptName,
  text: string,
  origin: VersionOrigin = text === DEFAULT_PROMPTS[name] ? 'default' : 'hand edit',
): Promise<string> {
  const dir = promptHistoryDir(historyDir, name);
  await mkdirChecked(dir);
  return keepVersion(dir, text, PROMPT_VERSION, origin);
}

export interface PromptVersion {
  text: string;
  hash: string;
  /** The history file, or undefined for the shipped default. */
  path?: string;
  source: 'history' | 'default';
}

/**
 * The version a prompt's current text is compared with: the newest kept version whose text differs,
 * else the shipped default when the text differs from it (the default counts as the first version).
 * Undefined when there is nothing else: nothing is compared with itself.
 */
export async function previousPromptVersion(
  historyDir: string,
  name: PromptName,
  current: string,
): Promise<PromptVersion | undefined> {
  const now = promptHash(current);
  const older = (await listVersions(promptHistoryDir(historyDir, name), PROMPT_VERSION)).find((v) => v.hash !== now);
  if (older) return { text: older.text, hash: older.hash, path: older.path, source: 'history' };
  const shipped = DEFAULT_PROMPTS[name];
  return promptHash(shipped) !== now ? { text: shipped, hash: promptHash(shipped), source: 'default' } : undefined;
}

/**
 * The one writer of a prompt file after its first use (Θ adoption, a restore): the text it replaces and
 * the new text are both kept as versions, the file is replaced atomically, and no link is followed out.
 * `origin` records who made the new text ('optimization', 'worked example'); without it, none is recorded.
 */
export async function savePrompt(
  promptDir: string,
  historyDir: string,
  name: PromptName,
  text: string,
  origin: VersionOrigin = 'unknown',
): Promise<{ previous?: string; version: string; path: string }> {
  if (!text.trim()) throw new UserError(`refusing to write an empty ${name} prompt`, 2);
  const path = join(promptDir, promptFileName(name));
  await checkWrite(path);
  await mkdirChecked(promptDir).catch((e: unknown) => {
    throw writeFailure(promptDir, e, 'prompt folder');
  });
  const current = await readPromptFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw promptFileError(path, err);
  });
  const previous = current !== undefined ? await recordPromptVersion(historyDir, name, current) : undefined;
  await replaceWhole(path, text, 'prompt file');
  const version = await recordPromptVersion(historyDir, name, text, origin);
  return { ...(previous ? { previous } : {}), version, path };
}
