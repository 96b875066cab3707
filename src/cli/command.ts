// The shape of one CLI command: its options (for node:util parseArgs), its help, and run().

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  cwd: string;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** The next line of standard input (without its newline), undefined at its end; absent when the command has none. */
  readLine?: () => Promise<string | undefined>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s), options explained, and an example. */
  help: string;
  options: OptionSpec;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      // Every command: --help, --debug (stacks), --trust-workspace (the workspace's settings may choose servers and outside folders).
      options: {
        ...command.options,
        help: { type: 'boolean', short: 'h' },
        debug: { type: 'boolean' },
        'trust-workspace': { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    // parseArgs' messages name the option; keep them to one line.
    throw new UsageError(
      `${command.name}: ${(err as Error).message.split('\n')[0]} (see synthesizeme ${command.name} --help)`,
    );
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

export function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  return items
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function intOption(args: ParsedArgs, name: string, fallback: number, min = Number.MIN_SAFE_INTEGER): number {
  const s = stringOption(args, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `--${name}: expected an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}, got "${s}"`,
    );
  return n;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
