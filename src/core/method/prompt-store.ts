// Prompts live as files in the workspace (default `prompts/`), so a researcher can open, edit
// and re-validate them. Defaults are written on first use and never overwritten afterwards.

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from './default-prompts';
import { UserError } from '../user-error';
import { checkWrite } from '../write-guard';

export interface Prompt {
  name: PromptName;
  text: string;
  /** `sha256:` + the first 16 hex digits of the text's hash: recorded in provenance. */
  hash: string;
  /** The file it came from, or undefined for a built-in default that was not written. */
  path?: string;
}

export function promptHash(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex').slice(0, 16);
}

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
        await mkdir(this.dir, { recursive: true }).catch((e: unknown) => {
          throw promptFileError(this.dir!, e);
        });
        text = DEFAULT_PROMPTS[name];
        // 'wx': a file another process just wrote is never clobbered.
        await writeFile(path, text, { flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw promptFileError(path, e);
          text = await readPromptFile(path);
        });
      }
      if (!text.trim()) throw new UserError(`prompt file ${path} is empty; write the prompt, or delete the file to restore the default`, 2);
      prompt = { name, text, hash: promptHash(text), path };
    }
    this.loaded.set(name, prompt);
    return prompt;
  }
}

async function readPromptFile(path: string): Promise<string> {
  const bytes = await readFile(path);
  // A prompt is text: a NUL byte means a binary file (an image, an archive) under a prompt's name.
  if (bytes.includes(0)) throw new UserError(`prompt file ${path} is not text (it holds binary data); replace it, or delete it to restore the default`, 2);
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
