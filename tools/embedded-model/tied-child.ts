// A child process whose life is tied to this one: the embedded model server must not outlive the node
// process that started it (the main job, a test layer, a bench), however that process ends.
//   - SIGTERM, SIGINT or SIGHUP to node alone (not to its group): the handler stops every tied child's
//     process group, then exits with 128 + the signal's number, as the default action would have.
//   - node exits any other way (process.exit, an uncaught error): the exit hook stops them.
//   - node is killed with SIGKILL, which nothing in node can see: the child's stdin is a pipe from node
//     that is never written, so the child reads end-of-file when node is gone; serve.py (parent_watch.py)
//     exits on that, and when its parent pid changes.
// Each child leads its own process group (detached), so a kill reaches what it started too.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type TiedSignal = keyof typeof SIGNALS;

const tied = new Set<ChildProcess>();
const handlers = new Map<TiedSignal, () => void>();

/** Sends `signal` to a tied child's process group (the child and what it started). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already (or was never made): try the child itself.
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/** Stops every tied child now (synchronously: also usable from the exit hook). */
export function stopTiedChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of tied) killGroup(child, signal);
}

const onExit = () => stopTiedChildren('SIGTERM');

function hook(): void {
  if (handlers.size) return;
  for (const name of Object.keys(SIGNALS) as TiedSignal[]) {
    const handler = () => {
      stopTiedChildren('SIGTERM');
      process.exit(128 + SIGNALS[name]);
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  process.on('exit', onExit);
}

/** With no child left, node's own handling of these signals comes back. */
function unhook(): void {
  for (const [name, handler] of handlers) process.off(name, handler);
  handlers.clear();
  process.off('exit', onExit);
}

/**
 * Spawns `command` tied to this process (see above). stdin is always the watch pipe; `stdio` gives
 * stdout and stderr.
 */
export function spawnTied(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'detached' | 'stdio'> & {
    stdout?: 'ignore' | 'pipe' | 'inherit' | number;
    stderr?: 'ignore' | 'pipe' | 'inherit' | number;
  } = {},
): ChildProcess {
  const { stdout = 'ignore', stderr = 'ignore', ...rest } = options;
  const child = spawn(command, args, { ...rest, detached: true, stdio: ['pipe', stdout, stderr] });
  // Never written: its only message is its end, when this process is gone.
  child.stdin?.on('error', () => undefined);
  tied.add(child);
  hook();
  const forget = () => {
    tied.delete(child);
    if (tied.size === 0) unhook();
  };
  child.once('exit', forget);
  child.once('error', forget);
  return child;
}
