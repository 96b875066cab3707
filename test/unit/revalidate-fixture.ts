// What the revalidate and runs tests share: a small workspace whose chosen replies the test knows,
// brains that read the real prompt (one ignores the instructions, one follows a marker phrase), and
// runCli with captured output.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hashString } from '../../src/core/random';
import type { BrainRequest } from '../support/loopback-llm';
import { runCli } from '../../src/cli/main';
import type { CommandIO } from '../../src/cli/command';

export const USERS = ['ada', 'bruno'];
export const PAIRS_PER_USER = 30;

/** Every chosen reply of the workspace: the brain's oracle (a test knows the truth; the engine's prompt does not say it). */
const chosen = new Set<string>();

export function workspace(): { dir: string; ws: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-revalidate-'));
  const ws = join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  const lines: string[] = [];
  for (const user of USERS) {
    for (let i = 0; i < PAIRS_PER_USER; i++) {
      const good = `Reply ${user}-${i}: short and to the point, number ${i * 7}.`;
      const bad = `Reply ${user}-${i}: a long, winding answer that circles the question ${i} times before it says anything.`;
      chosen.add(good);
      lines.push(
        JSON.stringify({
          user_id: user,
          pair_id: `${user}-${i}`,
          context: [{ role: 'user', content: `Question ${i} from ${user}: how do I do thing ${i}?` }],
          chosen: good,
          rejected: bad,
        }),
      );
    }
  }
  writeFileSync(join(ws, 'prefs.jsonl'), lines.join('\n') + '\n');
  return { dir, ws };
}

const system = (req: BrainRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';
const lastUser = (req: BrainRequest) => req.messages[req.messages.length - 1]?.content ?? '';
const isJudgment = (req: BrainRequest) => 'preference' in ((req.schema?.properties ?? {}) as object);
const isPersona = (req: BrainRequest) => 'persona' in ((req.schema?.properties ?? {}) as object);

/** The letter of the chosen reply in the pair the request shows. */
function truth(req: BrainRequest): 'A' | 'B' {
  const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(lastUser(req))?.[1] ?? '';
  return chosen.has(a.trim()) ? 'A' : 'B';
}

/** An answer that depends on the pair and its order only: right about half the time, whatever the instructions say. */
function blind(req: BrainRequest): 'A' | 'B' {
  return hashString(lastUser(req)) % 2 === 0 ? 'A' : 'B';
}

const answer = (preference: 'A' | 'B', reasoning: string) => JSON.stringify({ reasoning, preference });

/** Ignores every instruction: the same pair in the same order always gets the same answer. */
export function ignoringBrain(req: BrainRequest): string {
  if (isPersona(req)) return JSON.stringify({ reasoning: 'common ground', persona: 'Likes answers of any kind.' });
  if (isJudgment(req)) return answer(blind(req), 'no particular reason');
  return JSON.stringify({ facts: ['Asks how to do things.'] });
}

/**
 * Follows one instruction: with `marker` anywhere in the system prompt (the judge prompt, a persona, a
 * demonstration), it picks the chosen reply; without, it answers blind. A persona synthesis writes the
 * marker into the persona only when Θ asks for it (`thetaMarker` in its instructions).
 */
export function markerBrain(marker: string, thetaMarker = 'WRITE-THE-MARKER'): (req: BrainRequest) => string {
  return (req) => {
    if (isPersona(req))
      return JSON.stringify({
        reasoning: 'common ground',
        persona: system(req).includes(thetaMarker)
          ? `This user wants it short. ${marker}`
          : 'This user wants it short.',
      });
    if (isJudgment(req))
      return system(req).includes(marker)
        ? answer(truth(req), 'the instructions say how')
        : answer(blind(req), 'a guess');
    return JSON.stringify({ facts: ['Asks how to do things.'] });
  };
}

/** What a test may give the in-process CLI besides its folder. */
export interface CliOptions {
  /** Standard input, one line a read; without it the command has no standard input (as when none is piped). */
  input?: readonly string[];
  /** The environment the command sees; none by default, so the test's own variables never reach it. */
  env?: NodeJS.ProcessEnv;
  /** Aborting it is the user's Ctrl-C. */
  signal?: AbortSignal;
  /** Output goes to a terminal (default: a pipe, as in a script). */
  tty?: boolean;
}

/**
 * The CLI in process, in folder `cwd`, its output captured: the one home of every unit test's CLI run.
 * `run` resolves to the exit code, as a script sees it (a thrown error's message ends stderr); `call`
 * rejects with the thrown error, for a test about the error itself.
 */
export function cli(cwd: string, options: CliOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const lines = [...(options.input ?? [])];
  const io: CommandIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    isTTY: options.tty ?? false,
    cwd,
    signal: options.signal ?? new AbortController().signal,
    env: options.env ?? {},
    ...(options.input && { readLine: async () => lines.shift() }),
  };
  return {
    run: (...a: string[]) =>
      runCli(a, io).catch((e: { exitCode?: number; message: string }) => (err.push(e.message), e.exitCode ?? 1)),
    call: (...a: string[]) => runCli(a, io),
    out: () => out.join(''),
    err: () => err.join(''),
    json: () => JSON.parse(out.join('')) as Record<string, unknown>,
  };
}

/** Writes a prompt file of the workspace (a researcher's edit). */
export function writePrompt(ws: string, name: string, text: string): void {
  mkdirSync(join(ws, 'prompts'), { recursive: true });
  writeFileSync(join(ws, 'prompts', `${name}.prompt.md`), text);
}

/** CLI runs against a server that must succeed (exit 0), and `eval --json` returning its run file's path. */
export function cliRunners(dir: string, url: string) {
  const run = async (...a: string[]) => {
    const c = cli(dir);
    assert.equal(await c.run(...a, '--base-url', url), 0, c.err());
    return c;
  };
  const evalRun = async (...a: string[]) => join(dir, (await run('eval', 'ws', '--json', ...a)).json().run as string);
  return { run, evalRun };
}
