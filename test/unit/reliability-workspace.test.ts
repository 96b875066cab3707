// Reliability (safety issue, critical 1-3, high 5): a cloned workspace is untrusted input. It never
// decides where files are written outside it, nor where a secret goes. Each test's name is the
// reproduction; every case runs the real CLI against loopback servers.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { startLoopbackOpenAI } from '../support/loopback-openai';
import type { BrainRequest } from '../support/loopback-llm';
import { cli } from './revalidate-fixture';

function brain(req: BrainRequest): string {
  const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
  if ('persona' in props) return JSON.stringify({ reasoning: 'r', persona: 'Prefers short answers.' });
  return JSON.stringify({ reasoning: 'short wins', preference: 'A' });
}

/** A cloned data set (the example workspace) and, beside it, a folder it must never write into. */
function clone(): { dir: string; ws: string; outside: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sm-hostile-'));
  const ws = join(dir, 'ws');
  cpSync('examples/workspace', ws, { recursive: true });
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  return { dir, ws, outside };
}

const settings = (ws: string, o: Record<string, unknown>) => {
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify(o));
};

describe('a hostile workspace', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ brain, models: ['llama3.1:8b'] }).then((s) => (server = s));
  after(() => server?.close());

  test('planted link: personas -> a folder outside; fit refuses, names the link, writes nothing outside', async () => {
    await started;
    const { dir, ws, outside } = clone();
    symlinkSync(outside, join(ws, 'personas'));
    const c = cli(dir);
    // Refused before any call (exit 2, bad input), no longer after the whole fit (exit 1).
    const before = server.stats.chat;
    assert.equal(await c.run('fit', 'ws', '--user', 'ada', '--base-url', server.url), 2, c.err());
    assert.equal(server.stats.chat, before, 'no call before the refusal');
    assert.match(c.err(), /refusing to write .*personas.*: .*personas is a symbolic link to .*outside/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test('planted link: .synthesizeme/cache/segment-000001.jsonl -> a file outside; the cache never appends to it', async () => {
    await started;
    const { dir, ws, outside } = clone();
    const target = join(outside, 'victim.txt');
    writeFileSync(target, 'precious\n');
    mkdirSync(join(ws, '.synthesizeme', 'cache'), { recursive: true });
    symlinkSync(target, join(ws, '.synthesizeme', 'cache', 'segment-000001.jsonl'));
    const c = cli(dir);
    await c.run('fit', 'ws', '--user', 'ada', '--base-url', server.url);
    assert.equal(readFileSync(target, 'utf8'), 'precious\n', 'the file outside is unchanged');
    assert.match(c.err(), /segment-000001\.jsonl is a symbolic link/);
  });

  test('planted link: .synthesizeme/history/ada -> a folder outside; fit refuses and writes nothing there', async () => {
    await started;
    const { dir, ws, outside } = clone();
    mkdirSync(join(ws, '.synthesizeme', 'history'), { recursive: true });
    symlinkSync(outside, join(ws, '.synthesizeme', 'history', 'ada'));
    const c = cli(dir);
    assert.equal(await c.run('fit', 'ws', '--user', 'ada', '--base-url', server.url), 2, c.err());
    assert.match(c.err(), /history[\\/]ada is a symbolic link/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test('planted link: .synthesizeme/runs/<predictable run name>.run.jsonl -> a file outside; eval refuses and the file is unchanged', async () => {
    await started;
    const { dir, ws, outside } = clone();
    // The run's name is predictable: run once elsewhere to learn it, then plant it in a fresh clone.
    const probe = cli(dir);
    assert.equal(
      await probe.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url),
      0,
      probe.err(),
    );
    const name = readdirSync(join(ws, '.synthesizeme', 'runs')).find((n) => n.endsWith('.run.jsonl'))!;
    const fresh = clone();
    const target = join(fresh.outside, 'victim.txt');
    writeFileSync(target, 'precious\n');
    mkdirSync(join(fresh.ws, '.synthesizeme', 'runs'), { recursive: true });
    symlinkSync(target, join(fresh.ws, '.synthesizeme', 'runs', name));
    const c = cli(fresh.dir);
    assert.equal(
      await c.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url),
      2,
      c.err(),
    );
    assert.match(c.err(), new RegExp(`${name.replace(/[.]/g, '\\.')} is a symbolic link`));
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.deepEqual(readdirSync(outside), []);
  });

  test('a different --base-url port resumes the same run instead of starting a new one', async () => {
    await started;
    const { dir } = clone();
    const a = cli(dir);
    assert.equal(
      await a.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', server.url, '--json'),
      0,
      a.err(),
    );
    const second = await startLoopbackOllama({ brain, models: ['llama3.1:8b'] });
    try {
      const b = cli(dir);
      assert.equal(
        await b.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', second.url, '--json'),
        0,
        b.err(),
      );
      assert.ok(JSON.parse(a.out()).run);
      assert.equal(JSON.parse(b.out()).run, JSON.parse(a.out()).run, 'the same run file');
      assert.equal(second.stats.chat, 0, 'nothing judged again');
    } finally {
      await second.close();
    }
  });

  test('a link inside the workspace to a folder inside it is followed as usual', async () => {
    await started;
    const { dir, ws } = clone();
    mkdirSync(join(ws, 'fitted'));
    symlinkSync(join(ws, 'fitted'), join(ws, 'personas'));
    const c = cli(dir);
    assert.equal(await c.run('fit', 'ws', '--user', 'ada', '--base-url', server.url), 0, c.err());
    assert.ok(existsSync(join(ws, 'fitted', 'ada.persona.yaml')));
  });

  test('workspace settings personaDir "../x", cacheDir "/abs", promptDir "/abs": ignored with one line each, nothing written there', async () => {
    await started;
    const { dir, ws, outside } = clone();
    settings(ws, {
      'synthesizeme.personaDir': '../outside/p',
      'synthesizeme.cacheDir': join(outside, 'c'),
      'synthesizeme.promptDir': join(outside, 'pr'),
    });
    const c = cli(dir);
    assert.equal(await c.run('fit', 'ws', '--user', 'ada', '--base-url', server.url), 0, c.err());
    assert.deepEqual(readdirSync(outside), []);
    for (const k of ['personaDir', 'cacheDir', 'promptDir'])
      assert.match(
        c.err(),
        new RegExp(
          `note: synthesizeme\\.${k}: ignored in the workspace's settings: an untrusted workspace may not place outputs outside itself`,
        ),
      );
    assert.ok(existsSync(join(ws, 'personas', 'ada.persona.yaml')), 'written in the workspace instead');
  });

  test('a relative persona folder inside the workspace is fine without trust; --trust-workspace lets the settings choose outside folders', async () => {
    await started;
    const { dir, ws, outside } = clone();
    settings(ws, { 'synthesizeme.personaDir': 'out/personas' });
    const a = cli(dir);
    assert.equal(await a.run('fit', 'ws', '--user', 'ada', '--base-url', server.url), 0, a.err());
    assert.ok(existsSync(join(ws, 'out', 'personas', 'ada.persona.yaml')));
    settings(ws, { 'synthesizeme.personaDir': join(outside, 'p') });
    const b = cli(dir);
    assert.equal(await b.run('fit', 'ws', '--user', 'ada', '--base-url', server.url, '--trust-workspace'), 0, b.err());
    assert.ok(existsSync(join(outside, 'p', 'ada.persona.yaml')), 'the user trusted the workspace');
  });

  test('workspace settings apiKeyEnv "ANY_VARIABLE" plus baseUrls at another server: no secret is sent there, nor is the variable read', async () => {
    const good = await startLoopbackOpenAI({ brain, models: ['gpt-4o-mini'] });
    const evil = await startLoopbackOpenAI({ brain, models: ['gpt-4o-mini'] });
    try {
      const { dir, ws } = clone();
      settings(ws, {
        'synthesizeme.provider': 'openai',
        'synthesizeme.model': 'gpt-4o-mini',
        'synthesizeme.apiKeyEnv': 'ANY_VARIABLE',
        'synthesizeme.baseUrls': [evil.url],
      });
      const c = cli(dir, {
        env: {
          ANY_VARIABLE: 'secret-from-any-variable',
          OPENAI_API_KEY: 'sk-users-own-key',
          OPENAI_BASE_URL: good.url,
        },
      });
      assert.equal(await c.run('fit', 'ws', '--user', 'ada'), 0, c.err());
      assert.equal(evil.stats.requests, 0, 'nothing went to the server the workspace named');
      assert.ok(good.stats.chat > 0, 'the calls went where the environment said');
      const auth = good.chats.map((x) => String(x.headers.authorization ?? ''));
      assert.ok(
        auth.every((h) => h === 'Bearer sk-users-own-key'),
        'only the key the user chose, never the variable the workspace named',
      );
      assert.match(
        c.err(),
        /note: synthesizeme\.baseUrls: ignored in the workspace's settings: an untrusted workspace may not choose the server/,
      );
      assert.match(c.err(), /note: synthesizeme\.apiKeyEnv: ignored/);
    } finally {
      await good.close();
      await evil.close();
    }
  });

  test('--base-url http://user:secret@host: the password is in no run file, persona file or output', async () => {
    await started;
    const { dir, ws } = clone();
    const url = server.url.replace('http://', 'http://someone:pa55w0rd@');
    const c = cli(dir);
    assert.equal(await c.run('fit', 'ws', '--user', 'ada', '--base-url', url), 0, c.err());
    assert.equal(await c.run('eval', 'ws', '--user', 'ada', '--method', 'default', '--base-url', url), 0, c.err());
    const written: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else written.push(readFileSync(join(d, e.name), 'utf8'));
      }
    };
    walk(ws);
    assert.ok(written.length > 5);
    assert.ok(!written.some((t) => t.includes('pa55w0rd')), 'a written file holds the password');
    assert.ok(!c.out().includes('pa55w0rd') && !c.err().includes('pa55w0rd'), 'the output holds the password');
  });
});
