import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { cli } from './revalidate-fixture';
import {
  parsePersona,
  serializePersona,
  PersonaFileError,
  type PersonaModel,
} from '../../src/core/method/persona-file';
import { readJudgment } from '../../src/core/method/judge';
import { readRun } from '../../src/core/eval/run-file';

/** A stand-in model: a pseudo-random but deterministic judgment per prompt. */
function coinBrain(req: BrainRequest): string {
  const text = req.messages.map((m) => m.content).join('\n');
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const props = (req.schema?.properties ?? {}) as Record<string, unknown>;
  if ('persona' in props) return JSON.stringify({ reasoning: 'r', persona: 'Prefers short answers.' });
  if ('facts' in props) return JSON.stringify({ facts: ['Writes Python.'] });
  return JSON.stringify({ reasoning: `looked at ${text.length} chars`, preference: (h >>> 0) % 2 ? 'A' : 'B' });
}

function workspaceCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sm-engine-'));
  cpSync('examples/workspace', join(dir, 'ws'), { recursive: true });
  return dir;
}

describe('persona files', () => {
  const model: PersonaModel = {
    userId: 'ada',
    persona: 'Ada is a developer.\n\n- Wants code first.\n- Dislikes padding.',
    demos: [
      {
        pairId: 'ada-03',
        file: 'ada.prefs.jsonl',
        line: 3,
        order: 'BA',
        preference: 'B',
        reasoning: 'B shows code: "x[::-1]".\nA rambles.',
      },
    ],
    provenance: {
      provider: 'ollama',
      model: 'llama3.1:8b',
      seed: 1,
      temperature: 0,
      k: 10,
      stopScore: 0.8,
      prompts: { judge: 'sha256:abc' },
      created: '2026-11-27T00:00:00Z',
      validation: { accuracy: 0.75, correct: 3, evaluated: 4, of: 4 },
    },
  };

  test('round trip, with the persona as an editable block scalar', () => {
    const text = serializePersona(model);
    assert.match(text, /^persona: \|/m);
    assert.match(text, /^ {2}- Wants code first\.$/m);
    const back = parsePersona(text, 'ada.persona.yaml');
    assert.equal(back.persona.trim(), model.persona);
    assert.deepEqual(
      back.demos.map((d) => [d.pairId, d.order, d.preference]),
      [['ada-03', 'BA', 'B']],
    );
    assert.equal(back.provenance.validation?.accuracy, 0.75);
  });

  test('a hand edit loads; a broken file names its line', () => {
    const edited = serializePersona(model).replace('Wants code first.', 'Wants code first, always with types.');
    assert.match(parsePersona(edited, 'f').persona, /always with types/);
    const broken = serializePersona(model).replace('order: BA', 'order: sideways');
    assert.throws(
      () => parsePersona(broken, 'ada.persona.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof PersonaFileError);
        assert.match(e.message, /^ada\.persona\.yaml:\d+:\d+: demo 1: "order" must be AB or BA/);
        const line = broken.split('\n').findIndex((l) => l.includes('- pair_id: ada-03')) + 1;
        assert.equal(e.line, line);
        return true;
      },
    );
    assert.throws(() => parsePersona('user_id: x\npersona: [unclosed\n', 'p.yaml'), /p\.yaml:\d+:\d+: YAML/);
  });
});

describe('judgment parsing', () => {
  test('structured, plain JSON and tolerant text', () => {
    assert.equal(readJudgment({ json: { reasoning: 'r', preference: 'B' }, text: '' }).preference, 'B');
    assert.equal(readJudgment({ text: '{"reasoning": "x", "preference": "a"}' }).preference, 'A');
    assert.equal(readJudgment({ text: 'After thinking, the user prefers B.' }).preference, 'B');
    assert.equal(readJudgment({ text: 'Both are fine; it is a tie.' }).preference, null);
    assert.equal(readJudgment({ json: { preference: 'tie' }, text: '' }).preference, null);
  });
});

describe('fit and eval through the CLI against a loopback Ollama', () => {
  let server: LoopbackServer;
  const started = startLoopbackOllama({ brain: coinBrain, models: ['llama3.1:8b'] }).then((s) => (server = s));
  /** `eval` of ada's pairs by the default judge, with `extra` options. */
  const evalAda = (...extra: string[]) => ['eval', 'ws', '--user', 'ada', '--method', 'default', ...extra];
  after(() => server?.close());

  test('a fit is deterministic and a re-fit comes from the cache with 0 calls', async () => {
    await started;
    const dir = workspaceCopy();
    const a = cli(dir);
    assert.equal(await a.call('fit', 'ws', '--user', 'ada', '--base-url', server.url, '--json'), 0, a.err());
    const first = JSON.parse(a.out());
    assert.ok(first.calls > 0);
    const personaText = readFileSync(join(dir, 'ws/personas/ada.persona.yaml'), 'utf8');
    const b = cli(dir);
    assert.equal(await b.call('fit', 'ws', '--user', 'ada', '--base-url', server.url, '--json'), 0, b.err());
    const second = JSON.parse(b.out());
    assert.equal(second.calls, 0);
    assert.equal(second.cacheHits, first.calls);
    const again = readFileSync(join(dir, 'ws/personas/ada.persona.yaml'), 'utf8');
    const strip = (t: string) =>
      t
        .replace(/created: .*/, '')
        .replace(/calls: \d+/, '')
        .replace(/cacheHits: \d+/, '');
    assert.equal(strip(again), strip(personaText));
    // The default prompts were written into the workspace, editable.
    assert.match(readFileSync(join(dir, 'ws/prompts/persona-synthesis.prompt.md'), 'utf8'), /persona/);
  });

  test('eval --json has the documented fields; a cancelled eval resumes without redoing finished pairs', async () => {
    await started;
    const dir = workspaceCopy();
    const controller = new AbortController();
    const c1 = cli(dir, { signal: controller.signal });
    server.options.latencyMs = 5;
    let seen = 0;
    const chatsBefore = server.stats.chat;
    const stopper = setInterval(() => {
      seen = server.stats.chat - chatsBefore;
      if (seen >= 12) controller.abort(new Error('interrupted'));
    }, 2);
    await assert.rejects(
      c1.call(
        'eval',
        'ws',
        '--all',
        '--method',
        'default',
        '--base-url',
        server.url,
        '--no-cache',
        '--concurrency',
        '2',
      ),
    );
    clearInterval(stopper);
    assert.match(c1.err(), /run the same command again to resume/);
    const c2 = cli(dir);
    assert.equal(
      await c2.call('eval', 'ws', '--all', '--method', 'default', '--base-url', server.url, '--no-cache', '--json'),
      0,
      c2.err(),
    );
    const r = JSON.parse(c2.out());
    for (const k of [
      'method',
      'model',
      'accuracy',
      'ci95',
      'consistency',
      'samples',
      'pairs',
      'calls',
      'cacheHits',
      'run',
      'users',
    ])
      assert.ok(k in r, k);
    // examples/workspace's test pairs: 23 (each pair's split follows its id).
    assert.equal(r.pairs, 23);
    assert.equal(r.samples, 46);
    assert.ok(r.ci95[0] <= r.accuracy && r.accuracy <= r.ci95[1]);
    const run = await readRun(join(dir, r.run));
    assert.equal(run.verdicts.size, 23);
    assert.ok(r.calls < 46, `resumed run made ${r.calls} calls, fewer than all 46`);
    server.options.latencyMs = 0;
  });

  test('compare two runs, export a persona', async () => {
    await started;
    const dir = workspaceCopy();
    const c = cli(dir);
    assert.equal(await c.call('fit', 'ws', '--all', '--base-url', server.url), 0, c.err());
    const e = cli(dir);
    assert.equal(
      await e.call('eval', 'ws', '--all', '--method', 'default,persona+demos', '--base-url', server.url, '--json'),
      0,
      e.err(),
    );
    const { results } = JSON.parse(e.out());
    assert.equal(results.length, 2);
    const k = cli(dir);
    assert.equal(await k.call('compare', results[0].run, results[1].run, '--json'), 0, k.err());
    const cmp = JSON.parse(k.out());
    assert.equal(cmp.pairs, 23);
    assert.ok(cmp.mcnemar.p >= 0 && cmp.mcnemar.p <= 1);
    assert.match(cmp.sentence, /points \(95% CI/);
    const x = cli(dir);
    assert.equal(await x.call('export', 'ws/personas/ada.persona.yaml', '--as', 'judge'), 0, x.err());
    const messages = JSON.parse(x.out());
    assert.equal(messages[0].role, 'system');
    assert.match(messages[0].content, /<user_persona>/);
    assert.match(messages[1].content, /\{\{response_a\}\}/);
  });

  test('cache stats and clear', async () => {
    await started;
    const dir = workspaceCopy();
    assert.equal(await cli(dir).call('fit', 'ws', '--user', 'bruno', '--base-url', server.url), 0);
    const s = cli(dir);
    assert.equal(await s.call('cache', 'stats', 'ws', '--json'), 0, s.err());
    const stats = JSON.parse(s.out());
    assert.ok(stats.entries > 0);
    assert.equal(stats.dir, join('ws', '.synthesizeme', 'cache'));
    assert.equal(await cli(dir).call('cache', 'clear', 'ws'), 0);
    const after = cli(dir);
    await after.call('cache', 'stats', 'ws', '--json');
    assert.equal(JSON.parse(after.out()).entries, 0);
    const refit = cli(dir);
    assert.equal(await refit.call('fit', 'ws', '--user', 'bruno', '--base-url', server.url, '--json'), 0);
    assert.ok(JSON.parse(refit.out()).calls > 0, 'after clear the model is called again');
  });

  test("cache prune --model removes one model's answers and keeps the others", async () => {
    await started;
    const dir = workspaceCopy();
    server.options.models = ['llama3.1:8b', 'qwen3:30b-a3b'];
    try {
      for (const model of ['llama3.1:8b', 'qwen3:30b-a3b']) {
        assert.equal(await cli(dir).call(...evalAda('--base-url', server.url, '--model', model)), 0);
      }
      const before = cli(dir);
      await before.call('cache', 'stats', 'ws', '--json');
      const entries = JSON.parse(before.out()).entries;
      const p = cli(dir);
      assert.equal(await p.call('cache', 'prune', 'ws', '--model', 'qwen3:30b-a3b', '--json'), 0, p.err());
      const removed = JSON.parse(p.out()).removed;
      assert.ok(removed > 0 && removed < entries, `${removed} of ${entries}`);
      const after = cli(dir);
      await after.call('cache', 'stats', 'ws', '--json');
      assert.equal(JSON.parse(after.out()).entries, entries - removed);
      await assert.rejects(
        cli(dir).call('cache', 'prune', 'ws'),
        (e: { exitCode?: number; message: string }) => e.exitCode === 2 && /--model NAME/.test(e.message),
      );
    } finally {
      server.options.models = ['llama3.1:8b'];
    }
  });

  test('--num-ctx and --keep-alive reach Ollama on every call; --dry-run reports the context it sized', async () => {
    await started;
    const dir = workspaceCopy();
    server.reset();
    const a = cli(dir);
    assert.equal(
      await a.call(
        ...evalAda('--base-url', server.url, '--no-cache', '--json', '--num-ctx', '16384', '--keep-alive', '30m'),
      ),
      0,
      a.err(),
    );
    assert.ok(server.chats.length > 0);
    for (const c of server.chats) {
      assert.equal((c.body['options'] as Record<string, unknown>)['num_ctx'], 16384);
      assert.equal(c.body['keep_alive'], '30m');
    }
    server.reset();
    const caps = cli(dir);
    assert.equal(
      await caps.call(...evalAda('--base-url', server.url, '--no-cache', '--json', '--output-caps', 'judge=64')),
      0,
      caps.err(),
    );
    for (const c of server.chats)
      assert.equal(
        (c.body['options'] as Record<string, unknown>)['num_predict'],
        64,
        'the judge cap from --output-caps',
      );
    await assert.rejects(
      cli(dir).call('eval', 'ws', '--all', '--method', 'default', '--output-caps', 'judge=5'),
      (err: { exitCode?: number; message: string }) =>
        err.exitCode === 2 && /--output-caps: expected KIND=TOKENS/.test(err.message),
    );
    const d = cli(dir);
    assert.equal(await d.call(...evalAda('--base-url', server.url, '--dry-run', '--json')), 0, d.err());
    const plan = JSON.parse(d.out()).context;
    assert.equal(plan.numCtx, 8192, 'auto: the floor, since the largest judge prompt is small');
    assert.equal(plan.modelContext, 131072, "the model's trained length from /api/show");
    assert.equal(plan.exceedsModel, false);
  });

  test('usage errors exit 2; a server that is down exits 1 with advice and no stack', async () => {
    await started;
    const dir = workspaceCopy();
    const u = cli(dir);
    await assert.rejects(
      u.call('eval', 'ws', '--all', '--method', 'telepathy'),
      (err: { exitCode?: number; message: string }) => err.exitCode === 2 && /unknown method/.test(err.message),
    );
    await assert.rejects(
      u.call('eval', 'ws', '--all', '--method', 'default', '--num-ctx', 'big'),
      (err: { exitCode?: number; message: string }) =>
        err.exitCode === 2 && /--num-ctx: expected auto or a whole number/.test(err.message),
    );
    await assert.rejects(
      u.call('eval', 'ws', '--all', '--method', 'default', '--keep-alive', 'forever'),
      (err: { exitCode?: number; message: string }) =>
        err.exitCode === 2 && /--keep-alive: expected a duration/.test(err.message),
    );
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const d = cli(dir);
    await assert.rejects(
      d.call(...evalAda('--base-url', `http://127.0.0.1:${port}`, '--no-cache')),
      (err: { kind?: string; message: string }) => {
        assert.equal(err.kind, 'connection');
        assert.match(err.message, /ollama serve/);
        return true;
      },
    );
  });
});
