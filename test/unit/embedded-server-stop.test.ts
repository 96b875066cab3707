// The embedded model server dies with the node process that started it (issue 20): a signal that
// reaches only node (SIGTERM, SIGINT, SIGHUP), node's own exit, and SIGKILL of node, which nothing in
// node can see (the child's watch of its parent, parent_watch.py, ends it). Stand-ins for the server,
// started by the function that starts llama-server (spawnTied): `sleep`, and a Python process running
// the same parent watch as serve.py. The real model server is never started here.
//
// This file is also the node parent: run with TIED_CHILD_ROLE set, it starts the child and waits.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawnTied } from '../../tools/embedded-model/tied-child';

interface Role {
  command: string;
  args: string[];
  /** Wait for the child's first line before saying it is ready (the Python watch has started). */
  waitLine: boolean;
  /** Exit on its own (process.exit) once the child is ready. */
  exit: boolean;
}

if (process.env['TIED_CHILD_ROLE']) {
  const role = JSON.parse(process.env['TIED_CHILD_ROLE']) as Role;
  const child = spawnTied(role.command, role.args, { stdout: role.waitLine ? 'pipe' : 'ignore' });
  const ready = () => {
    process.stdout.write(`child ${child.pid}\n`);
    if (role.exit) process.exit(0);
  };
  if (role.waitLine) child.stdout!.once('data', ready);
  else ready();
  setInterval(() => undefined, 60_000);
} else {
  describe('the embedded server stops with the process that started it', () => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      test(`${signal} to node alone stops the child, and node exits 128 + the signal`, async () => {
        const parent = await startParent({ command: 'sleep', args: ['600'], waitLine: false, exit: false });
        assert.ok(alive(parent.child), 'the child did not start');
        parent.process.kill(signal);
        const code = await parent.exited;
        assert.ok(
          await goneWithin(parent.child, 10_000),
          `child ${parent.child} still running after node got ${signal}`,
        );
        assert.equal(code, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
      });
    }

    test('node exiting on its own stops the child', async () => {
      const parent = await startParent({ command: 'sleep', args: ['600'], waitLine: false, exit: true });
      const code = await parent.exited;
      assert.ok(await goneWithin(parent.child, 10_000), `child ${parent.child} outlived node's exit`);
      assert.equal(code, 0);
    });

    test("SIGKILL of node: the child's parent watch (serve.py's) stops it", async () => {
      const watch = resolve(process.cwd(), 'tools', 'embedded-model', 'parent_watch.py');
      assert.ok(existsSync(watch), watch);
      const parent = await startParent({ command: 'python3', args: [watch, '0.2'], waitLine: true, exit: false });
      assert.ok(alive(parent.child));
      parent.process.kill('SIGKILL');
      await parent.exited;
      assert.ok(await goneWithin(parent.child, 10_000), `child ${parent.child} still running after node was killed`);
    });
  });
}

async function startParent(role: Role) {
  const proc = spawn(process.execPath, [__filename], {
    env: { ...process.env, TIED_CHILD_ROLE: JSON.stringify(role) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code, signal) => res(signal ? null : code)));
  let out = '';
  const child = await new Promise<number>((res, rej) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /child (\d+)/.exec(out);
      if (m) res(Number(m[1]));
    });
    proc.on('exit', () => rej(new Error(`the parent exited before its child was ready: ${out}`)));
  });
  return { process: proc, child, exited };
}

/** Running, and not a zombie (a dead child not yet reaped by whoever inherited it). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Polls until the process is gone; false if it is still there after `ms` (the bound only ends a failing test). */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
