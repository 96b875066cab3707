/// <reference types="mocha" />
// One engine, two faces (issue 21): the same job run from VS Code and from the CLI, against one loopback
// Ollama, from the same starting files, writes the same files and makes the same calls. Before each job the
// workspace folder is copied (data, settings, prompts, personas, cache); VS Code runs the job in the folder,
// the CLI (dist/cli.js, a child process) in the copy; then the two trees and the two call lists are compared.
// Only what is meant to differ is left out: creation times and the run id's time stamp.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { parse as parseYaml } from 'yaml';
import { CommandIds } from '../../src/extension/command-ids';
import { startLoopbackOllama, type BrainRequest, type LoopbackServer } from '../support/loopback-ollama';
import { api, EXTENSION_ID, folder, printLogOnFailure, say, waitFor } from './helpers';

const MODEL = 'llama3.1:8b';

/** Answers from the request's own text only, so the order in which calls arrive changes nothing. */
function brain(req: BrainRequest): string {
  const last = req.messages[req.messages.length - 1]?.content ?? '';
  const props = (req.schema?.['properties'] ?? {}) as Record<string, unknown>;
  const h = createHash('sha256').update(last).digest()[0]!;
  if ('persona' in props) return JSON.stringify({ reasoning: 'what the picks share', persona: `Persona ${h % 7}.` });
  if ('preference' in props) return JSON.stringify({ reasoning: `because ${h}`, preference: h % 2 ? 'A' : 'B' });
  if (req.schema) return JSON.stringify({ reasoning: `because ${h}` });
  const system = req.messages.find((m) => m.role === 'system')?.content ?? '';
  return system.includes('few words') ? `Short ${h}.` : `A long answer ${h}, with every detail one could want.`;
}

/** A call as the server saw it, without what may differ between two runs of one job (nothing should). */
const callKey = (req: BrainRequest): string => {
  const { model, messages, schema, temperature, seed, maxTokens, numCtx } = req;
  return JSON.stringify({ model, messages, schema, temperature, seed, maxTokens, numCtx });
};

const sortedKeys = (calls: BrainRequest[]) => calls.map(callKey).sort();

/** Drops creation times (and what hangs on them) anywhere in a parsed file. */
function timeless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(timeless);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (!['created', 'completed', 'at', 'id', 'started', 'finished', 'elapsedMs'].includes(k)) out[k] = timeless(x);
    return out;
  }
  return v;
}

function cliPath(): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error('extension not installed');
  return join(ext.extensionPath, 'dist', 'cli.js');
}

/** The CLI as a user runs it, in the copy; resolves with its exit code and output. */
function runCli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', OLLAMA_HOST: '', OPENAI_BASE_URL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
    child.stdin.end(stdin);
  });
}

const files = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];

export function facesSuite(): void {
  describe('one engine, two faces: VS Code and the CLI write the same files and make the same calls', function () {
    this.timeout(180_000);
    printLogOnFailure();
    let server: LoopbackServer;
    let ws: string;
    let copy: string;
    const modelFlags = () => ['--provider', 'ollama', '--base-url', server.url, '--model', MODEL];

    before(async () => {
      const { ctx } = await api();
      // The cache names a server by its model's digest (not its port): a digest of this suite's own, so that answers
      // cached by another suite's loopback brain are not this suite's.
      const digests = { [MODEL]: `sha256:${'3'.repeat(64)}` };
      server = await startLoopbackOllama({ brain, models: [MODEL], chunkIntervalMs: 1, digests });
      const c = vscode.workspace.getConfiguration('synthesizeme');
      await c.update('provider', 'ollama', vscode.ConfigurationTarget.Workspace);
      await c.update('baseUrls', [server.url], vscode.ConfigurationTarget.Workspace);
      await c.update('model', MODEL, vscode.ConfigurationTarget.Workspace);
      await waitFor('the model settings', async () =>
        (await ctx.folders.first().model.describe()).baseUrls.some((u) => u.includes(String(server.port)))
          ? true
          : undefined,
      );
      ws = folder().fsPath;
    });

    after(async () => {
      await server?.close();
      if (copy) rmSync(copy, { recursive: true, force: true });
    });

    /** The folder as it is now, copied for the CLI; the calls list starts afresh. */
    function snapshot(): string {
      if (copy) rmSync(copy, { recursive: true, force: true });
      copy = join(mkdtempSync(join(tmpdir(), 'synthesizeme-faces-')), 'ws');
      cpSync(ws, copy, { recursive: true });
      server.chats.length = 0;
      return copy;
    }

    /** Runs the VS Code side, then the CLI side; returns the calls each made. */
    async function bothFaces(
      vscodeSide: () => Thenable<unknown>,
      cliArgs: (dir: string) => string[],
      { stdin = '', exitCode = 0 } = {},
    ) {
      const dir = snapshot();
      const outcome = await vscodeSide();
      const fromVscode = [...server.chats.map((c) => c.request)];
      server.chats.length = 0;
      const cli = await runCli(cliArgs(dir), stdin);
      assert.equal(cli.code, exitCode, `the CLI's exit code:\n${cli.out}\n${cli.err}`);
      const fromCli = [...server.chats.map((c) => c.request)];
      return { dir, fromVscode, fromCli, outcome, cli };
    }

    it('fit all: the same persona files and history, the same calls', async () => {
      // The folder holds eve, one pair, too small to split: VS Code says "fitted 4 of 5", the CLI exits 1.
      const { dir, fromVscode, fromCli, outcome, cli } = await bothFaces(
        () => vscode.commands.executeCommand(CommandIds.fitAll, { folder: folder().toString() }),
        (d) => ['fit', d, '--all', ...modelFlags()],
        { exitCode: 1 },
      );
      assert.equal((outcome as unknown[]).length, 4, 'VS Code fitted four users');
      assert.match(cli.out + cli.err, /Fitted 4 of 5 user/);
      assert.match(cli.out + cli.err, /eve: only 1 pairs: too small to split/);
      assert.ok(fromVscode.length > 0, 'VS Code called the model');
      assert.deepEqual(sortedKeys(fromCli), sortedKeys(fromVscode), 'the same calls, in any order');
      const personas = readdirSync(join(ws, 'personas')).filter((n) => n.endsWith('.persona.yaml'));
      assert.ok(personas.length >= 4, personas.join(', '));
      assert.deepEqual(readdirSync(join(dir, 'personas')).sort(), readdirSync(join(ws, 'personas')).sort());
      for (const name of personas) {
        const a = timeless(parseYaml(readFileSync(join(ws, 'personas', name), 'utf8')));
        const b = timeless(parseYaml(readFileSync(join(dir, 'personas', name), 'utf8')));
        assert.deepEqual(b, a, `${name} from the CLI equals VS Code's`);
      }
      // Each face kept the persona it replaced as a version, with its record: as many files in each history
      // folder (a version's name holds its time).
      const history = (d: string) =>
        files(join(d, '.synthesizeme', 'history'))
          .map((f) => dirname(f))
          .sort();
      assert.ok(history(ws).length > 0, 'versions kept');
      assert.deepEqual(history(dir), history(ws));
      say(`      (fit all: ${personas.length} personas, ${fromVscode.length} calls from each face)`);
    });

    it('eval: the same run file (header and verdicts), the same calls', async () => {
      const runsDir = join(ws, '.synthesizeme', 'runs');
      const before = new Set(files(runsDir));
      const { dir, fromVscode, fromCli } = await bothFaces(
        () =>
          vscode.commands.executeCommand(CommandIds.evaluate, {
            folder: folder().toString(),
            userId: 'ada',
            method: 'persona+demos',
            split: 'test',
          }),
        (d) => ['eval', d, '--user', 'ada', '--method', 'persona+demos', '--split', 'test', ...modelFlags()],
      );
      assert.ok(fromVscode.length > 0, 'VS Code called the model');
      assert.deepEqual(sortedKeys(fromCli), sortedKeys(fromVscode));
      const fresh = (d: string) =>
        files(join(d, '.synthesizeme', 'runs')).filter((n) => n.endsWith('.run.jsonl') && !before.has(n));
      const [mine] = fresh(ws);
      const [theirs] = fresh(dir);
      assert.ok(mine && theirs, `one new run file each: ${fresh(ws)} / ${fresh(dir)}`);
      const records = (d: string, name: string) =>
        readFileSync(join(d, '.synthesizeme', 'runs', name), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => timeless(JSON.parse(l)))
          .map((r) => JSON.stringify(r))
          .sort();
      assert.deepEqual(records(dir, theirs), records(ws, mine), 'the same header and verdicts');
      say(`      (eval: ${records(ws, mine).length} records, ${fromVscode.length} calls from each face)`);
    });

    it('collect: the same pairs appended to the same file, the same generation calls', async () => {
      const prompts = ['How do I reverse a list in Python?', 'What is a monad, briefly?'];
      const systemA = 'You are a helpful assistant.';
      const systemB = 'Answer in as few words as you can.';
      const target = 'ada.prefs.jsonl';
      const { dir, fromVscode, fromCli } = await bothFaces(
        () =>
          vscode.commands.executeCommand(CommandIds.collectPreferences, {
            folder: folder().toString(),
            userId: 'ada',
            prompts,
            sources: 'prompts',
            systemA,
            systemB,
            answers: ['1 the first one', '2'],
          }),
        (d) => [
          'collect',
          d,
          '--user',
          'ada',
          ...prompts.flatMap((p) => ['--prompt', p]),
          '--system-a',
          systemA,
          '--system-b',
          systemB,
          '--retest-rate',
          '0',
          ...modelFlags(),
        ],
        { stdin: '1 the first one\n2\n' },
      );
      // The ask order and the generation seeds follow the clock in both faces (a fresh draw per session):
      // the calls are compared without the seed, the pairs by what was shown and what was picked.
      const unseeded = (calls: BrainRequest[]) =>
        calls
          .map((c) => ({ ...c, seed: undefined }))
          .map(callKey)
          .sort();
      assert.equal(fromVscode.length, 4, 'two responses for each of two prompts');
      assert.deepEqual(unseeded(fromCli), unseeded(fromVscode));
      // A collected pair: its prompt, its two sources, the place of the pick as shown, the reason. Which source
      // came first follows the session's draw, and the split follows the new pair's id (its time).
      const picks = (d: string) =>
        readFileSync(join(d, target), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(
            (l) =>
              JSON.parse(l) as { context: unknown; split?: string; meta?: { collected?: Record<string, unknown> } },
          )
          .filter((p) => p.meta?.collected)
          .map((p) => {
            const c = p.meta!.collected!;
            const sources = c['sources'] as { chosen: string; rejected: string };
            const picked = (c['shown'] as string[]).indexOf('chosen') + 1;
            const both = [sources.chosen, sources.rejected].sort();
            return JSON.stringify({ context: p.context, sources: both, picked, reason: c['reason'] });
          })
          .sort();
      const mine = picks(ws);
      assert.equal(mine.length, 2, `two pairs appended by VS Code: ${mine.join('\n')}`);
      assert.deepEqual(
        picks(dir),
        mine,
        'the CLI appended the same pairs (prompt, sources, the pick as shown, reason)',
      );
      say(`      (collect: ${mine.length} pairs, ${fromVscode.length} generation calls from each face)`);
    });
  });
}
