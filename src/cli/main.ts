// The `synthesizeme` command line: dispatch, exit codes and Ctrl+C (CLI.md).

import { createInterface } from 'node:readline';
import { parseCommandArgs, type Command, type CommandIO } from './command';
import { commands } from './commands/index';
import { isExpected } from '../core/user-error';
import { UsageError } from './usage-error';
import { fileSystemFailure } from '../core/fs-error';
// Only the field is bundled (esbuild keeps what is imported of a JSON file): one version, package.json's.
import { version as VERSION } from '../../package.json';

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: synthesizeme <command> [options]

SynthesizeMe Studio's engine on the command line: read preference workspaces,
fit personal reward models, judge and evaluate, run benchmarks.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`synthesizeme <command> --help\` for a command's options and an example.`;
}

/**
 * Runs one command. With --json, stdout gets exactly one JSON object whatever fails: the command's, or
 * `{"error": {"message", "kind"?, "exitCode"}}`, here for every command rather than in each. The error
 * still propagates, so that main reports it on stderr and exits with the same code.
 */
export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  try {
    return await runCliOnce(argv, io);
  } catch (err) {
    // A full disk, a read-only mount, a path through a file: one line naming the file, never a stack.
    throw fileSystemFailure(err) ?? err;
  }
}

async function runCliOnce(argv: string[], io: CommandIO): Promise<number> {
  if (!wantsJson(argv)) return dispatch(argv, io);
  let printed = false;
  const watched: CommandIO = {
    ...io,
    stdout: (text) => {
      if (text) printed = true;
      io.stdout(text);
    },
  };
  try {
    return await dispatch(argv, watched);
  } catch (err) {
    // A command that failed after printing its object has had its one object: a second would break readers.
    // Ctrl+C is no failure to report: stdout stays empty and the exit code (130) says it.
    if (!printed && !io.signal.aborted) io.stdout(JSON.stringify(errorJson(fileSystemFailure(err) ?? err)) + '\n');
    throw err;
  }
}

/** --json among the command's options (not after `--`, where it would be an argument). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return argv.slice(1, end < 0 ? undefined : end).includes('--json');
}

/** The exit code of a failed command: 130 when cancelled, the error's own code (UserError), else 1. */
function exitCodeFor(err: unknown, cancelled: boolean): number {
  if (cancelled) return 130;
  const code = (err as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : 1;
}

function errorJson(err: unknown): { error: { message: string; kind?: string; exitCode: number } } {
  const message = err instanceof Error ? err.message : String(err);
  // LLM errors (and the run lock's) carry a kind a script can branch on: 'timeout', 'auth', 'run-locked', ...
  const kind = (err as { kind?: unknown } | undefined)?.kind;
  return { error: { message, ...(typeof kind === 'string' ? { kind } : {}), exitCode: exitCodeFor(err, false) } };
}

async function dispatch(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topHelp() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(VERSION + '\n');
    return 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (run synthesizeme --help)`);
  const args = parseCommandArgs(command, rest);
  if (args.values.help) {
    io.stdout(command.help + '\n');
    return 0;
  }
  return command.run(args, io);
}

/** Standard input line by line, opened only when a command first reads it (a command that never reads leaves it alone). */
function stdinLines(): () => Promise<string | undefined> {
  let next: (() => Promise<string | undefined>) | undefined;
  return () => {
    if (!next) {
      const rl = createInterface({ input: process.stdin, terminal: false });
      const it = rl[Symbol.asyncIterator]();
      next = async () => {
        const r = await it.next();
        return r.done ? undefined : r.value;
      };
    }
    return next();
  };
}

export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130); // a second Ctrl+C does not wait
    interrupted = true;
    process.stderr.write('\nStopping: finishing the save of completed work (Ctrl+C again to quit at once)...\n');
    controller.abort(new Error('interrupted'));
  });
  const debug = process.argv.includes('--debug');
  const io: CommandIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    signal: controller.signal,
    env: process.env,
    readLine: stdinLines(),
  };
  let code: number;
  try {
    code = await runCli(process.argv.slice(2), io);
  } catch (err) {
    const e = err as Error;
    code = exitCodeFor(err, interrupted);
    process.stderr.write(`synthesizeme: ${e?.message ?? String(err)}\n`);
    // Expected failures (UserError, LLM errors) are their message; anything else is a bug and keeps its
    // stack so it can be reported. --debug shows the stack of every failure.
    if (debug || !isExpected(err)) process.stderr.write(`${e?.stack ?? ''}\n`);
  }
  if (interrupted && code === 0) code = 130;
  // Exit now: idle keep-alive sockets or a server that ignores an abort must not keep a
  // finished (or interrupted) command alive. The empty writes wait for pending output.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
