// Collect is one engine session (issue 21): the CLI and VS Code only parse, ask and format. The two faces
// used to disagree in five ways; each is now decided once in the engine (core/collect/plan.ts), and each
// test here runs the session as VS Code's face does (its settings, its model, its Asker: the inputs that
// src/extension/commands/collect.ts gives planCollect) against the same loopback server as the CLI,
// and compares what the two sent and wrote:
//   1. ask next compares with the previous persona version ("persona versions disagree");
//   2. the second model is the first one's config with another name (num_ctx, think, output caps, concurrency);
//   3. the default target file: the user's own JSONL first, else their YAML;
//   4. the temperature: the one named, else 0.7 (VS Code took max(synthesizeme.temperature, 0.7));
//   5. the seed: the clock's, for the order and for ask next's judge (VS Code's judge had seed 0).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import type { BrainRequest } from '../support/loopback-llm';
import { cli, ignoringBrain, workspace } from './revalidate-fixture';
import { createLlm, type Llm, type LlmConfig } from '../../src/core/llm';
import { openWorkspace } from '../../src/core/workspace';
import { readUserPersonaFile } from '../../src/core/method';
import {
  type Asker,
  COLLECT_TEMPERATURE,
  type CollectPlanInputs,
  type CollectSources,
  type Item,
  planCollect,
  runCollect,
} from '../../src/core/collect';
import { readLog, collectLogPath } from '../../src/core/collect/collect-log';

const MODEL = 'llama3.1:8b';
const OTHER = 'other-model';
const lastUser = (req: BrainRequest) => req.messages[req.messages.length - 1]?.content ?? '';
const systemOf = (req: BrainRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';
const isJudgment = (req: BrainRequest) => 'preference' in ((req.schema?.['properties'] ?? {}) as object);

/**
 * Generation: the second model rambles, the first is brief. The judge is sure in both orders: the current
 * persona prefers the shorter reply, a persona with PREVIOUS-MARK the longer one, so the versions disagree.
 */
function brain(req: BrainRequest): string {
  if (isJudgment(req)) {
    const u = lastUser(req);
    const a = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(u)?.[1] ?? '';
    const b = /<response_b>\n([\s\S]*?)\n<\/response_b>/.exec(u)?.[1] ?? '';
    const longer = systemOf(req).includes('PREVIOUS-MARK');
    const pref = longer === a.length >= b.length ? 'A' : 'B';
    return JSON.stringify({ reasoning: 'by length', preference: pref });
  }
  if (req.schema) return ignoringBrain(req);
  const q = lastUser(req).slice(0, 30);
  return req.model === OTHER ? `A long and winding answer from the other model about ${q}.` : `Brief: ${q}`;
}

/** The settings of the VS Code folder in these tests (synthesizeme.*): its model, and collect's own. */
const VS_CODE = {
  temperature: 1.1,
  model: { numCtx: 5000, think: 'on' as const, outputCaps: { judge: 300 }, concurrency: 3 },
  collect: { askNext: 2, retestRate: 0, refitAfter: 10 },
};
/** The same settings as CLI options. */
const CLI_MODEL_OPTIONS = ['--num-ctx', '5000', '--think', 'on', '--output-caps', 'judge=300', '--concurrency', '3'];

/** VS Code's `answers` argument: a scripted Asker (no hidden retests), one answer per pair. */
function scriptedAsker(answers: string[]): Asker {
  const queue = [...answers];
  return { scripted: true, ask: async () => (queue.length ? { pick: queue.shift() as '1' | '2' } : undefined) };
}

/**
 * The session as src/extension/commands/collect.ts runs it: the folder's model (ModelSession: every model
 * setting), the index naming files from the folder, the synthesizeme.collect.* settings, no temperature
 * and no seed of its own (the face has none to give), a second model opened from the engine's config.
 */
async function asVsCode(
  root: string,
  server: LoopbackServer,
  chosen: { userId: string; items: Item[]; sources: CollectSources },
  answers: string[],
  opened: LlmConfig[] = [],
) {
  const ws = await openWorkspace(root);
  const model: Llm = createLlm(
    { provider: 'ollama', baseUrls: [server.url], model: MODEL, ...VS_CODE.model },
    { cacheDir: ws.layout.cacheDir },
  );
  const persona = (await readUserPersonaFile(ws.layout.personaDir, chosen.userId, (p) => p))?.model;
  const user = ws.index.user(chosen.userId);
  const inputs: CollectPlanInputs = {
    userId: chosen.userId,
    layout: ws.layout,
    ...(user ? { user } : {}),
    ...(persona ? { persona } : {}),
    prompts: ws.prompts,
    model,
    openModel: (config) => {
      opened.push(config);
      return createLlm(config, { cacheDir: ws.layout.cacheDir });
    },
    items: chosen.items,
    sources: chosen.sources,
    locate: (name) => join(root, name),
    askNext: { size: VS_CODE.collect.askNext },
    retestRate: VS_CODE.collect.retestRate,
    refitAfter: VS_CODE.collect.refitAfter,
    split: { seed: ws.split.seed, ratios: ws.split.ratios },
    display: (p) => relative(root, p),
  };
  try {
    const plan = await planCollect(inputs);
    const outcome = await runCollect(plan, scriptedAsker(answers));
    return { plan, outcome };
  } finally {
    await model.dispose();
  }
}

/** Runs `fn` with the clock's Date.now() fixed: both faces then draw the same seed. */
async function atTime<T>(t: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => t;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

const prompt = (content: string): Item => ({ kind: 'prompt', context: [{ role: 'user', content }] });

describe('collect: one engine session, the same decisions from the CLI and from VS Code', () => {
  let server: LoopbackServer;
  let base: { dir: string; ws: string };
  const dirs: string[] = [];

  /** A fresh copy of the fitted workspace (its persona, its history), so that neither face resumes the other's log. */
  const copy = (): { dir: string; ws: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'sm-collect-faces-'));
    dirs.push(dir);
    cpSync(base.ws, join(dir, 'ws'), { recursive: true });
    return { dir, ws: join(dir, 'ws') };
  };

  before(async () => {
    server = await startLoopbackOllama({ models: [MODEL, OTHER], thinkingModels: [MODEL, OTHER], brain });
    base = workspace();
    dirs.push(base.dir);
    const f = cli(base.dir);
    assert.equal(await f.run('fit', 'ws', '--user', 'ada', '--k', '1', '--base-url', server.url), 0, f.err());
    // An earlier persona version that prefers the other way round: ask next should tell the two apart.
    const personaText = readFileSync(join(base.ws, 'personas', 'ada.persona.yaml'), 'utf8');
    const history = join(base.ws, '.synthesizeme', 'history', 'ada');
    const older = personaText.replace(/Likes answers of any kind\./, 'PREVIOUS-MARK Likes long answers.');
    assert.notEqual(older, personaText, 'the fitted persona says what the brain wrote');
    writeFileSync(join(history, '2000-01-01T00-00-00-000Z-1-abcdef.persona.yaml'), older);
    // A user with a YAML file listed before their JSONL file.
    writeFileSync(
      join(base.ws, 'a-yan.prefs.yaml'),
      '- user_id: yan\n  pair_id: y1\n  context:\n    - role: user\n      content: "Hi?"\n  chosen: hello\n  rejected: go away\n',
    );
    writeFileSync(
      join(base.ws, 'z-yan.prefs.jsonl'),
      JSON.stringify({
        user_id: 'yan',
        pair_id: 'y2',
        context: [{ role: 'user', content: 'Yo?' }],
        chosen: 'hi',
        rejected: 'no',
      }) + '\n',
    );
  });
  after(async () => {
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The CLI's session and VS Code's on two copies of the workspace, at the same time T; the requests each sent. */
  const bothFaces = async (t: number) => {
    const c = copy();
    const v = copy();
    const mark = server.chats.length;
    const cliRun = cli(c.dir, { input: ['1', '1'] });
    const code = await atTime(t, () =>
      cliRun.run(
        'collect',
        'ws',
        '--user',
        'ada',
        '--prompt',
        'How do I undo a commit?',
        '--prompt',
        'Tabs or spaces?',
        '--model-b',
        OTHER,
        '--ask-next',
        '2',
        '--retest-rate',
        '0',
        ...CLI_MODEL_OPTIONS,
        '--base-url',
        server.url,
      ),
    );
    assert.equal(code, 0, cliRun.err());
    const cliChats = server.chats.slice(mark);
    const opened: LlmConfig[] = [];
    const items = [prompt('How do I undo a commit?'), prompt('Tabs or spaces?')];
    const vs = await atTime(t, () =>
      asVsCode(v.ws, server, { userId: 'ada', items, sources: { modelB: OTHER } }, ['1', '1'], opened),
    );
    const vsChats = server.chats.slice(mark + cliChats.length);
    return { c, v, cliChats, vsChats, vs, opened };
  };

  type Chat = LoopbackServer['chats'][number];
  const options = (x: Chat) => (x.body['options'] ?? {}) as Record<string, unknown>;
  const generations = (chats: Chat[], model: string) =>
    chats.filter((x) => !x.request.schema && x.request.model === model);
  const judgments = (chats: Chat[]) => chats.filter((x) => isJudgment(x.request));

  test('1. ask next compares the current persona with the previous version, from VS Code as from the CLI', async () => {
    const { c, v, vs } = await bothFaces(1_700_000_000_000);
    assert.equal(vs.outcome.summary.picked, 2);
    const why = async (ws: string) =>
      (await readLog(collectLogPath(ws, 'ada'))).flatMap((e) =>
        e.type === 'pick' && e.informative ? [e.informative] : [],
      );
    const [fromCli, fromVsCode] = [await why(c.ws), await why(v.ws)];
    assert.match(fromCli[0] ?? '', /the previous version response/, 'the CLI takes the "versions disagree" branch');
    assert.match(fromVsCode[0] ?? '', /the previous version response/, 'and so does VS Code');
    assert.deepEqual(fromVsCode, fromCli);
    assert.ok(vs.plan.informative?.systems.previous, 'the previous persona version is in the plan');
  });

  test("2. the second model is the first one's config with another name: num_ctx, think, caps and concurrency go with it", async () => {
    const { cliChats, vsChats, opened, vs } = await bothFaces(1_700_000_100_000);
    const sent = (chats: Chat[]) =>
      generations(chats, OTHER).map((x) => ({ numCtx: options(x)['num_ctx'], think: x.body['think'] }));
    assert.ok(sent(vsChats).length >= 2, 'the second model generated');
    assert.notEqual(sent(cliChats)[0]!.think, undefined, 'the CLI sends think');
    assert.deepEqual(sent(vsChats), sent(cliChats), 'VS Code sends what the CLI sends');
    for (const s of sent(vsChats)) assert.equal(s.numCtx, 5000);
    assert.equal(opened.length, 1, 'VS Code opened one second model');
    assert.deepEqual(opened[0], { ...vs.plan.inputs.model.config, model: OTHER });
    assert.deepEqual([opened[0]!.numCtx, opened[0]!.think, opened[0]!.concurrency], [5000, 'on', 3]);
    assert.deepEqual(opened[0]!.outputCaps, { judge: 300 });
  });

  test("4. the temperature is the CLI's: 0.7 unless named, whatever synthesizeme.temperature says", async () => {
    const { cliChats, vsChats, vs } = await bothFaces(1_700_000_200_000);
    assert.ok(VS_CODE.temperature > COLLECT_TEMPERATURE, 'the folder setting VS Code used to take is higher');
    const temps = (chats: Chat[]) =>
      [...generations(chats, MODEL), ...generations(chats, OTHER), ...judgments(chats)].map(
        (x) => options(x)['temperature'],
      );
    assert.deepEqual([...new Set(temps(cliChats))], [COLLECT_TEMPERATURE]);
    assert.deepEqual(temps(vsChats).sort(), temps(cliChats).sort());
    assert.equal(vs.plan.temperature, COLLECT_TEMPERATURE);
  });

  test("5. the seed is the CLI's: the clock's, for the order, the generations and ask next's judge", async () => {
    const t = 1_700_000_300_000;
    const { cliChats, vsChats, vs } = await bothFaces(t);
    const seeds = (chats: Chat[]) =>
      [...generations(chats, MODEL), ...generations(chats, OTHER)].map((x) => options(x)['seed'] as number).sort();
    assert.deepEqual(seeds(vsChats), seeds(cliChats));
    const judgeSeeds = (chats: Chat[]) => [...new Set(judgments(chats).map((x) => options(x)['seed']))];
    assert.deepEqual(judgeSeeds(cliChats), [t]);
    assert.deepEqual(judgeSeeds(vsChats), [t], "VS Code's judge used seed 0");
    assert.equal(vs.plan.seed, t);
  });

  test("3. the default target file is the user's own JSONL file, even when a YAML file of theirs comes first", async () => {
    const c = copy();
    const v = copy();
    const ws = await openWorkspace(v.ws);
    const files = [...new Set(ws.index.user('yan')!.pairs.map((p) => p.source.file))];
    assert.deepEqual(files, ['a-yan.prefs.yaml', 'z-yan.prefs.jsonl'], 'the YAML file comes first in the index');
    const pool = join(c.dir, 'pool.jsonl');
    writeFileSync(pool, JSON.stringify({ prompt: 'P?', response_1: 'one', response_2: 'uno', answer: '1' }) + '\n');
    const cliRun = cli(c.dir, { input: [] });
    assert.equal(
      await cliRun.run('collect', 'ws', '--user', 'yan', '--pairs-from', 'pool.jsonl', '--base-url', server.url),
      0,
      cliRun.err(),
    );
    const pair: Item = { kind: 'pair', context: [{ role: 'user', content: 'P?' }], responses: ['one', 'uno'] };
    // VS Code's answer names the response shown first, whichever it was: either is chosen.
    const vs = await asVsCode(v.ws, server, { userId: 'yan', items: [pair], sources: {} }, ['1']);
    for (const root of [c.ws, v.ws]) {
      assert.match(
        readFileSync(join(root, 'z-yan.prefs.jsonl'), 'utf8'),
        /"chosen":"(one|uno)"/,
        `${root}: appended to the JSONL file`,
      );
      assert.doesNotMatch(
        readFileSync(join(root, 'a-yan.prefs.yaml'), 'utf8'),
        /one|uno/,
        `${root}: the YAML file untouched`,
      );
    }
    assert.equal(vs.plan.file, join(v.ws, 'z-yan.prefs.jsonl'));
    assert.equal(vs.plan.fileName, 'z-yan.prefs.jsonl');
    assert.deepEqual(
      readdirSync(v.ws).filter((n) => n.startsWith('yan')),
      [],
      'no new file',
    );
  });

  test('the engine session: a plan before any call, progress with the counts, and an abort that stops it', async () => {
    const v = copy();
    const ws = await openWorkspace(v.ws);
    const model = createLlm(
      { provider: 'ollama', baseUrls: [server.url], model: MODEL },
      { cacheDir: ws.layout.cacheDir },
    );
    try {
      const calls = server.stats.chat;
      const base: CollectPlanInputs = {
        userId: 'bruno',
        layout: ws.layout,
        user: ws.index.user('bruno')!,
        prompts: ws.prompts,
        model,
        openModel: (config) => createLlm(config, { cacheDir: ws.layout.cacheDir }),
        items: [prompt('One?'), prompt('Two?'), prompt('Three?')],
        sources: { modelB: OTHER, systemB: 'Answer in as few words as you can.' },
        retestRate: 0,
        refitAfter: 10,
        split: { seed: ws.split.seed, ratios: ws.split.ratios },
      };
      // Ask next from the setting without a persona: a note, asked in order; named by the person: refused.
      const plan = await planCollect({ ...base, askNext: { size: 2 } });
      assert.match(plan.notes.join('\n'), /synthesizeme\.collect\.askNext is 2, but user "bruno" has no persona/);
      await assert.rejects(
        planCollect({ ...base, askNext: { size: 2, named: '--ask-next' } }),
        /--ask-next: .*no persona/,
      );
      assert.equal(server.stats.chat, calls, 'planning calls nothing');
      assert.equal(plan.file, join(v.ws, 'prefs.jsonl'));
      assert.deepEqual(
        plan.sources.map((x) => x.label),
        [MODEL, `${OTHER} + system B`],
      );
      assert.deepEqual([plan.estimate.asks, plan.estimate.prompts, plan.estimate.judgeCalls], [3, 3, 0]);
      const abort = new AbortController();
      const seen: number[] = [];
      const asker: Asker = { ask: async () => ({ pick: '1' }) };
      await assert.rejects(
        runCollect(plan, asker, {
          signal: abort.signal,
          onProgress: (p) => {
            seen.push(p.counts.picked);
            if (p.counts.picked === 2) abort.abort();
          },
        }),
        (err: Error) => err.name === 'AbortError',
      );
      assert.deepEqual(seen, [1, 2], 'the third pair is never asked');
    } finally {
      await model.dispose();
    }
  });
});
