// Issue 23: a persona or a "verified" reasoning that copies a response is not accepted as is. A small model
// once returned a chosen response word for word as the persona, and it validated at "100%, 3 samples". The
// copy rule (method/copied-runs.ts) flags runs of five or more words shared with the user's pairs; the fit's
// selection breaks a tie against demonstrations whose reasonings copy a response; the persona file and the
// fit's summary say what was copied.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackOllama, type LoopbackServer } from '../support/loopback-ollama';
import { simulatedWorkspace } from '../support/sim-workspace';
import { cli } from './revalidate-fixture';
import { copiedRuns, copiesNote, pairSources } from '../../src/core/method/copied-runs';
import { fitFirstStage, fitUser, type FitPrompts } from '../../src/core/method/fit';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import type { Prompt } from '../../src/core/method/prompt-store';
import type { ChatModel, ChatRequest, ChatResult } from '../../src/core/llm/types';
import { personaModelOf } from '../../src/core/workspace/fit-and-save';
import { samplePair } from '../support/pair-fixture';

const CHOSEN = (i: number) =>
  `Use a generator expression for item ${i}: it streams the rows lazily, keeps memory flat, and reads cleanly 🙂`;
const REJECTED = (i: number) => `Load everything into a list first for item ${i}, then filter it in a second pass.`;

const pairs = (prefix: string, n: number, split: 'context' | 'validation') =>
  Array.from({ length: n }, (_, i) =>
    samplePair({
      pairId: `${prefix}${i}`,
      split,
      context: [{ role: 'user', content: `How should I process the rows of file ${prefix}${i}?` }],
      chosen: { role: 'assistant', content: CHOSEN(i) },
      rejected: { role: 'assistant', content: REJECTED(i) },
    }),
  );

describe('copiedRuns: runs of five words or more shared with the user pairs', () => {
  const ps = pairs('p', 3, 'context');
  const sources = ps.flatMap(pairSources);

  test('a planted persona that is a chosen response is flagged with the whole run shown', () => {
    const runs = copiedRuns(CHOSEN(1), sources);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.text, CHOSEN(1).replace(/ 🙂$/, ''));
    assert.equal(runs[0]!.source, 'p1');
    assert.equal(runs[0]!.part, 'chosen response');
    assert.ok(runs[0]!.words >= 15, String(runs[0]!.words));
  });

  test('a persona with a copied sentence inside its own words: the run alone, as written', () => {
    const persona =
      'This user wants lean code. In their words: USE a generator expression for item 2: it streams the rows. ' +
      'They dislike padding.';
    const [run, ...rest] = copiedRuns(persona, sources);
    assert.equal(rest.length, 0);
    assert.equal(run!.text, 'USE a generator expression for item 2: it streams the rows');
    assert.equal(run!.words, 11);
  });

  test('a copied passage is one run, through windows of function words ("your own starter is a")', () => {
    const reply = 'How exciting, making your own starter is a lovely project! Mix flour and water, then wait a day.';
    const src = [{ id: 'b1', part: 'chosen response', text: reply }];
    const runs = copiedRuns(reply, src);
    assert.deepEqual(
      runs.map((r) => r.text),
      [reply.replace(/\.$/, '')],
    );
    // Function words alone, however long the shared run, are no copy.
    assert.deepEqual(
      copiedRuns('and it is one of the most of them', [
        { id: 'x', part: 'p', text: 'and it is one of the most of them' },
      ]),
      [],
    );
  });

  test('a persona of its own words, sharing only short or function-word runs, is not flagged', () => {
    const persona =
      'Prefers answers that stream data and keep memory flat; dislikes loading everything first. ' +
      'It is one of the most common choices in the list.';
    assert.deepEqual(copiedRuns(persona, sources), []);
  });

  test('the summary sentence names the longest run, its pair and part, and the copying reasonings', () => {
    const persona = copiedRuns(CHOSEN(0), sources);
    const note = copiesNote({ persona, reasonings: [{ pairId: 'p2', run: persona[0]! }] });
    assert.match(note!, /^the persona copies 1\d consecutive words of pair p0's chosen response: "Use a generator/);
    assert.match(note!, /read it before trusting its figures; 1 chosen reasoning\(s\) copy a response \(p2\)$/);
    assert.equal(copiesNote(undefined), undefined);
    assert.equal(copiesNote({}), undefined);
  });
});

/**
 * A model for the fit: bootstrap answers right (so its reasonings are kept), the reasoning of pair c0 copying the
 * chosen response; every selection answer wrong, so every candidate ties; the persona copies a chosen response.
 */
function copyingModel(): ChatModel & { personaCalls: number } {
  const self = {
    provider: 'openai' as const,
    model: 'm',
    personaCalls: 0,
    async chat(req: ChatRequest): Promise<ChatResult> {
      const text = answer(req, self);
      return {
        text,
        json: JSON.parse(text),
        usage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 0,
        cached: false,
        model: 'm',
      } as ChatResult;
    },
  };
  return self;
}

function answer(req: ChatRequest, m: { personaCalls: number }): string {
  if (req.schema?.name === 'persona') {
    m.personaCalls++;
    return JSON.stringify({ reasoning: 'r', persona: CHOSEN(3) });
  }
  const last = [...req.messages].reverse().find((x) => x.role === 'user')?.content ?? '';
  // The pair judged is the last one the message shows (demonstrations come before it).
  const a = [...last.matchAll(/<response_a>\n([\s\S]*?)\n<\/response_a>/g)].pop()?.[1] ?? '';
  const right = a.startsWith('Use a generator') ? 'A' : 'B';
  const wrong = right === 'A' ? 'B' : 'A';
  if (req.purpose === 'bootstrap' || req.purpose === 'bootstrap-persona') {
    const copy = /item 0\b/.test(a)
      ? CHOSEN(0)
      : /item 0\b/.test(last.slice(last.lastIndexOf('<response_a>')))
        ? CHOSEN(0)
        : undefined;
    return JSON.stringify({ reasoning: copy ?? 'The user favours the reply that streams data.', preference: right });
  }
  return JSON.stringify({ reasoning: 'Guess.', preference: wrong });
}

const prompt = (name: Prompt['name']): Prompt => ({ name, text: DEFAULT_PROMPTS[name], hash: 'sha256:test' });
const PROMPTS: FitPrompts = {
  bootstrap: prompt('bootstrap'),
  personaSynthesis: prompt('persona-synthesis'),
  judge: prompt('judge'),
};
// No labelled-only candidate (it has no reasonings, so it would win any tie anyway): the full pool, which holds the
// copying reasoning of c0, comes first, then subsets of it.
const OPTIONS = { temperature: 0, seed: 1, k: 6, stopScore: 0.8, labeledDemos: 0 };

describe('the fit: selection prefers demonstrations that copy nothing, and a copying persona is flagged', () => {
  test('among candidates of equal score, one whose reasonings copy no response wins, and the note says why', async () => {
    const notes: string[] = [];
    const r = await fitFirstStage(copyingModel(), 'u', pairs('c', 4, 'context'), pairs('v', 3, 'validation'), PROMPTS, {
      ...OPTIONS,
      onNote: (n) => notes.push(n),
    });
    assert.equal(r.verified, 4);
    // Without the preference the first candidate (the whole pool, c0's copy in it) wins the tie.
    assert.ok(!r.examples.some((e) => e.pair.pairId === 'c0'), r.examples.map((e) => e.pair.pairId).join(', '));
    assert.ok(r.examples.length >= 1);
    assert.match(
      r.selection.tieBroken ?? '',
      /^candidate \d+ chosen over candidate 1 at the same score \(0\/3\): the reasonings of candidate 1 copy a response, these copy none$/,
    );
    assert.ok(
      notes.some((n) => n.startsWith('select: candidate ')),
      notes.join('\n'),
    );
  });

  test('a persona copying a chosen response is flagged in the result and in the persona file provenance', async () => {
    const model = copyingModel();
    const r = await fitUser(model, 'u', pairs('c', 4, 'context'), pairs('v', 3, 'validation'), PROMPTS, OPTIONS);
    assert.equal(r.persona, CHOSEN(3));
    assert.equal(r.personaCopies[0]?.source, 'c3');
    assert.equal(r.personaCopies[0]?.part, 'chosen response');
    const file = personaModelOf(r, model, PROMPTS, OPTIONS, { calls: 1, cacheHits: 0 } as never);
    assert.equal(file.provenance.copies?.persona?.[0]?.source, 'c3');
    assert.match(copiesNote(file.provenance.copies)!, /^the persona copies \d+ consecutive words of pair c3's chosen/);
  });
});

describe("the fit's summary on the CLI", () => {
  let server: LoopbackServer;
  before(async () => {
    // Personas copy the first chosen response the persona-synthesis prompt shows; verdicts from the pair alone.
    server = await startLoopbackOllama({
      models: ['llama3.1:8b'],
      brain: (req) => {
        const props = Object.keys(((req.schema ?? {}) as { properties?: object }).properties ?? {});
        const text = req.messages.map((m) => m.content).join('\n');
        if (props.includes('persona')) {
          const reply = /<response_a>\n([\s\S]*?)\n<\/response_a>/.exec(text)?.[1] ?? 'nothing';
          return JSON.stringify({ reasoning: 'r', persona: reply });
        }
        return JSON.stringify({ reasoning: 'One of them.', preference: text.length % 2 ? 'A' : 'B' });
      },
    });
  });
  after(() => server?.close());

  test('heads the validation figure with its interval and warns of a copying persona, naming the pair', async () => {
    const w = simulatedWorkspace(1);
    const user = w.users[0]!.id;
    const c = cli(w.dir);
    const code = await c.call('fit', 'ws', '--user', user, '--base-url', server.url, '--k', '1');
    assert.equal(code, 0, c.err());
    const said = c.out() + c.err();
    assert.match(
      said,
      new RegExp(`${user}: persona written to .*validation \\d+/(\\d+): \\1 pairs, too few to tell: 95% CI`),
    );
    assert.match(
      said,
      /^ {2}warning: the persona copies \d+ consecutive words of pair \S+'s (chosen|rejected) response: "/m,
    );
    const file = readFileSync(join(w.ws, 'personas', `${user}.persona.yaml`), 'utf8');
    assert.match(file, /copies:\n\s+persona:\n\s+- text: /);
  });
});
