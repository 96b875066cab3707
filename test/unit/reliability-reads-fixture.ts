// What the reliability-reads tests share (issue 20, class 1): a workspace (revalidate-fixture's: two users,
// 30 pairs each), a file outside it holding a secret, a loopback Ollama server that records every request
// body, and the checks that a refusal is one line with no stack and that the secret never left.

import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { personaYaml } from '../support/persona-yaml';
import type { LoopbackServer } from '../support/loopback-ollama';
import { cli, workspace } from './revalidate-fixture';

/** Text that exists only in the file outside the workspace: a request that carries it leaked the file. */
export const SECRET = 'OUTSIDE-SECRET-7f3a9c-do-not-send';

export interface Hostile {
  dir: string;
  ws: string;
  outside: string;
}

/** A workspace and, beside it, a folder the workspace must never make the tool read from. */
export function hostile(): Hostile {
  const { dir, ws } = workspace();
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  return { dir, ws, outside };
}

/** A persona of `userId` whose text carries the secret (what a planted link would make the judge send). */
export function personaText(userId: string, persona = `Prefers short answers. ${SECRET}`): string {
  return personaYaml(userId, persona, { stopScore: 0.8, created: '2026-01-01T00:00:00.000Z' });
}

/** Writes `text` outside the workspace and links `relPath` inside it to that file. */
export function linkOut(h: Hostile, relPath: string, text: string): string {
  const target = join(h.outside, relPath.replace(/[\\/]/g, '_'));
  writeFileSync(target, text);
  const at = join(h.ws, relPath);
  mkdirSync(join(at, '..'), { recursive: true });
  symlinkSync(target, at);
  return at;
}

/** Makes a named pipe at `relPath` in the workspace (mkfifo: POSIX only). */
export function fifo(h: Hostile, relPath: string): string {
  const at = join(h.ws, relPath);
  mkdirSync(join(at, '..'), { recursive: true });
  execFileSync('mkfifo', [at]);
  return at;
}

/** No request the server received carried the secret. */
export function assertNothingSent(server: LoopbackServer): void {
  for (const chat of server.chats)
    assert.doesNotMatch(JSON.stringify(chat.body), new RegExp(SECRET), 'the outside file reached the model server');
}

/** The failure is said in one line (the last of stderr) matching `pattern`, with no stack trace anywhere. */
export function assertOneLine(err: string, pattern: RegExp): void {
  assert.doesNotMatch(err, /^\s+at .*:\d+:\d+\)?$/m, `no stack trace:\n${err}`);
  const last = err.trimEnd().split('\n').pop() ?? '';
  assert.match(last, pattern, err);
}

/**
 * Should a regression open a FIFO, its open would block a thread for good and hang the whole test run: after
 * a while a writer opens and closes the other end, so the read ends (and the test fails) instead.
 */
export function unblockFifoLater(fifo: string, ms = 3000): void {
  setTimeout(() => {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader blocked on it: nothing to unblock.
    }
  }, ms).unref();
}

/** Runs the CLI in `dir` with `args` (and `extra` after them): its exit code and what it wrote. */
export async function runIn(
  dir: string,
  args: readonly string[],
  extra: readonly string[] = [],
): Promise<{ code: number; err: string; out: string }> {
  const c = cli(dir);
  const code = await c.run(...args, ...extra);
  return { code, err: c.err(), out: c.out() };
}
