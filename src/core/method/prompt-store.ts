// Prompts live as files in the workspace (default `prompts/`), so a researcher can open, edit
// and re-validate them. Defaults are written on first use and never overwritten afterwards.

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROMPTS, type PromptName } from './default-prompts';

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
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await mkdir(this.dir, { recursive: true });
        text = DEFAULT_PROMPTS[name];
        // 'wx': a file another process just wrote is never clobbered.
        await writeFile(path, text, { flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
          text = await readFile(path, 'utf8');
        });
      }
      if (!text.trim()) throw new Error(`prompt file ${path} is empty; delete it to restore the default`);
      prompt = { name, text, hash: promptHash(text), path };
    }
    this.loaded.set(name, prompt);
    return prompt;
  }
}
