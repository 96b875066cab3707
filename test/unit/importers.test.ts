import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  ImportError,
  importArena,
  importFile,
  importHh,
  importPrb,
  importPrism,
  parseHhTranscript,
  writeNativeJsonl,
  type ImportResult,
  type NativeRecord,
} from '../../src/core/data/importers/index';

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const skippedCount = (r: ImportResult, reason: string): number =>
  r.skipped.find((s) => s.reason === reason)?.count ?? 0;
const errors = (r: ImportResult) => r.problems.filter((p) => p.severity === 'error');

function assertWellFormed(records: NativeRecord[]): void {
  const ids = new Set<string>();
  for (const r of records) {
    assert.equal(typeof r.user_id, 'string');
    assert.ok(r.user_id.length > 0);
    assert.ok(!ids.has(r.pair_id), `duplicate pair_id ${r.pair_id}`);
    ids.add(r.pair_id);
    assert.ok(r.chosen.trim().length > 0 && r.rejected.trim().length > 0);
    assert.notEqual(r.chosen.trim(), r.rejected.trim());
    for (const t of r.context) assert.ok(['user', 'assistant', 'system'].includes(t.role), `role ${t.role}`);
  }
}

// ---------------------------------------------------------------- PersonalRewardBench

const prbRows = [
  {
    conversation_id: 'c-101',
    user_id: 'u7',
    context: [{ role: 'user', content: 'What is a good first houseplant?' }],
    chosen: { role: 'assistant', content: 'A pothos: it tolerates low light and irregular watering.' },
    rejected: { role: 'assistant', content: 'Try a fiddle-leaf fig; they are striking once you learn their needs.' },
    split: 'train',
    flip: false,
    turns: 1,
    type: 'personalizable',
  },
  {
    conversation_id: 'c-102',
    user_id: 'u7',
    context: [
      { role: 'user', content: 'Explain recursion.' },
      { role: 'assistant', content: 'A function that calls itself on a smaller input.' },
      { role: 'user', content: 'Give me an example in Python.' },
    ],
    chosen: 'def fact(n):\n    return 1 if n == 0 else n * fact(n - 1)',
    rejected: 'Think of Russian dolls: each one contains a smaller one.',
    split: 'val',
    flip: true,
    turns: 2,
    type: 'personalizable',
  },
  {
    conversation_id: 'c-103',
    user_id: 'u8',
    context: [{ role: 'user', content: 'Summarise the plot of Hamlet.' }],
    chosen: 'A prince avenges his father and nearly everyone dies.',
    rejected: 'Hamlet, prince of Denmark, learns from a ghost that his uncle murdered his father...',
    split: 'test',
    turns: 1,
  },
];

test('prb: rows map to native records with split synonyms, flip and meta', () => {
  const r = importPrb(jsonl(prbRows), { file: 'prb.jsonl' });
  assert.deepEqual(r.problems, []);
  assert.equal(r.records.length, 3);
  assertWellFormed(r.records);
  const [a, b, c] = r.records;
  assert.equal(a!.pair_id, 'c-101');
  assert.equal(a!.user_id, 'u7');
  assert.equal(a!.split, 'context');
  assert.equal(a!.flip, false);
  assert.equal(a!.chosen, 'A pothos: it tolerates low light and irregular watering.');
  assert.deepEqual(a!.meta, { source: 'prb', turns: 1, type: 'personalizable' });
  assert.equal(b!.split, 'validation');
  assert.equal(b!.flip, true);
  assert.equal(b!.context.length, 3);
  assert.match(b!.chosen, /def fact/);
  assert.equal(c!.split, 'test');
  assert.equal(c!.flip, undefined);
});

test('prb: repeated conversation_id gets a suffix and a warning', () => {
  const rows = [prbRows[0], { ...prbRows[0], chosen: 'Snake plant.', rejected: 'Orchid.' }];
  const r = importPrb(jsonl(rows), { file: 'prb.jsonl' });
  assert.deepEqual(
    r.records.map((x) => x.pair_id),
    ['c-101', 'c-101#2'],
  );
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.severity, 'warning');
  assert.equal(r.problems[0]!.line, 2);
});

test('prb: bad rows give problems with their line and the rest imports', () => {
  const good = JSON.stringify(prbRows[0]);
  const text = [
    good,
    '{"conversation_id": "c-2", "user_id": "u1", "context": [], "chosen": "x"', // truncated JSON
    JSON.stringify({ conversation_id: 'c-3', context: [{ role: 'user', content: 'hi' }], chosen: 'a', rejected: 'b' }), // no user_id
    '',
    JSON.stringify({
      conversation_id: 'c-5',
      user_id: 'u1',
      context: [{ role: 'user', content: 'hi' }],
      chosen: 'same',
      rejected: 'same',
    }),
    JSON.stringify({
      conversation_id: 'c-6',
      user_id: 'u1',
      context: [{ role: 'wizard', content: 'hi' }],
      chosen: 'a',
      rejected: 'b',
    }),
    JSON.stringify({
      conversation_id: 'c-7',
      user_id: 'u1',
      context: [{ role: 'user', content: 'hi' }],
      chosen: 'a',
      rejected: 'b',
      split: 'holdout',
    }),
    JSON.stringify({
      conversation_id: 'c-8',
      user_id: 'u1',
      context: [{ role: 'user', content: 'hi' }],
      chosen: 42,
      rejected: 'b',
    }),
    '[1, 2]',
    JSON.stringify(prbRows[2]),
  ].join('\r\n');
  const r = importPrb('\ufeff' + text, { file: 'bad.jsonl' });
  assert.deepEqual(
    r.records.map((x) => x.pair_id),
    ['c-101', 'c-7', 'c-103'],
  );
  const byLine = new Map(r.problems.map((p) => [p.line, p]));
  assert.match(byLine.get(2)!.message, /not valid JSON/);
  assert.match(byLine.get(3)!.message, /user_id/);
  assert.match(byLine.get(5)!.message, /identical/);
  assert.match(byLine.get(6)!.message, /role "wizard"/);
  assert.equal(byLine.get(7)!.severity, 'warning');
  assert.match(byLine.get(7)!.message, /unknown split/);
  assert.match(byLine.get(8)!.message, /"chosen" must be a string/);
  assert.match(byLine.get(9)!.message, /expected an object/);
  for (const p of r.problems) {
    assert.equal(p.file, 'bad.jsonl');
    assert.equal(p.column, 1);
  }
  assert.equal(r.records[1]!.split, undefined);
  assert.equal(skippedCount(r, 'invalid row (see problems)'), 6);
});

// ---------------------------------------------------------------- Chatbot Arena

const arenaRows = [
  {
    question_id: 'q1',
    model_a: 'gpt-4',
    model_b: 'vicuna-13b',
    winner: 'model_b',
    judge: 'arena_user_12',
    conversation_a: [
      { role: 'user', content: 'Write a haiku about autumn.' },
      { role: 'assistant', content: 'Leaves drift slowly down / amber light on quiet paths / the year exhales.' },
    ],
    conversation_b: [
      { role: 'user', content: 'Write a haiku about autumn.' },
      { role: 'assistant', content: 'Crisp wind, red maple / a single leaf lets go first / the rest follow soon.' },
    ],
    turn: 1,
    language: 'English',
    tstamp: 1682351591.1322,
  },
  {
    question_id: 'q2',
    model_a: 'claude-v1',
    model_b: 'alpaca-13b',
    winner: 'tie',
    judge: 'arena_user_12',
    conversation_a: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ],
    conversation_b: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hi there.' },
    ],
    turn: 1,
    language: 'English',
    tstamp: 1682351600,
  },
  {
    question_id: 'q3',
    model_a: 'koala-13b',
    model_b: 'gpt-3.5-turbo',
    winner: 'tie (bothbad)',
    judge: 'arena_user_40',
    conversation_a: [
      { role: 'user', content: 'What is 17 * 23?' },
      { role: 'assistant', content: '381' },
    ],
    conversation_b: [
      { role: 'user', content: 'What is 17 * 23?' },
      { role: 'assistant', content: '401' },
    ],
    turn: 1,
    language: 'English',
    tstamp: 1682351700,
  },
  {
    question_id: 'q4',
    model_a: 'gpt-4',
    model_b: 'claude-v1',
    winner: 'model_a',
    judge: 'arena_user_40',
    conversation_a: [
      { role: 'user', content: 'How do I reverse a list in Python?' },
      { role: 'assistant', content: 'Use my_list.reverse() in place, or my_list[::-1] for a copy.' },
      { role: 'user', content: 'And a string?' },
      { role: 'assistant', content: "Strings are immutable, so slice: s[::-1] or ''.join(reversed(s))." },
    ],
    conversation_b: [
      { role: 'user', content: 'How do I reverse a list in Python?' },
      { role: 'assistant', content: 'You can call reversed(my_list), which returns an iterator.' },
      { role: 'user', content: 'And a string?' },
      { role: 'assistant', content: 'The same reversed() works, but you need to join the result back into a string.' },
    ],
    turn: 2,
    language: 'English',
    tstamp: 1682351800,
  },
];

test('arena: winners become pairs, ties are skipped and counted', () => {
  const r = importArena(jsonl(arenaRows), { file: 'arena.jsonl' });
  assert.deepEqual(r.problems, []);
  assert.equal(r.records.length, 2);
  assertWellFormed(r.records);
  assert.equal(skippedCount(r, 'tie'), 1);
  assert.equal(skippedCount(r, 'tie (bothbad)'), 1);
  const q1 = r.records[0]!;
  assert.equal(q1.user_id, 'arena_user_12');
  assert.equal(q1.pair_id, 'q1');
  assert.deepEqual(q1.context, [{ role: 'user', content: 'Write a haiku about autumn.' }]);
  assert.match(q1.chosen, /Crisp wind/); // model_b won
  assert.match(q1.rejected, /Leaves drift/);
  assert.equal(q1.meta!.chosen_model, 'vicuna-13b');
  assert.equal(q1.meta!.rejected_model, 'gpt-4');
  assert.equal(q1.meta!.tstamp, 1682351591.1322);
  assert.equal(q1.meta!.language, 'English');
  assert.equal(q1.meta!.turn, 1);
  assert.equal(q1.meta!.rejected_history, undefined);
});

test("arena: multi-turn context is the winner's conversation up to the last user turn", () => {
  const r = importArena(jsonl(arenaRows), { file: 'arena.jsonl' });
  const q4 = r.records.find((x) => x.pair_id === 'q4')!;
  assert.deepEqual(q4.context, [
    { role: 'user', content: 'How do I reverse a list in Python?' },
    { role: 'assistant', content: 'Use my_list.reverse() in place, or my_list[::-1] for a copy.' },
    { role: 'user', content: 'And a string?' },
  ]);
  assert.match(q4.chosen, /immutable/);
  assert.match(q4.rejected, /join the result/);
  assert.equal(q4.meta!.turn, 2);
  // the loser's own history is kept
  const hist = q4.meta!.rejected_history as { role: string; content: string }[];
  assert.match(hist[1]!.content, /iterator/);
});

test('arena: a JSON array reads the same, with element line numbers for bad elements', () => {
  const arrayText =
    '[\n' +
    arenaRows.map((r) => JSON.stringify(r)).join(',\n') +
    ',\n{"question_id": "q5", "winner": "model_a", oops},\n' +
    JSON.stringify({ ...arenaRows[0], question_id: 'q6' }) +
    '\n]\n';
  const r = importArena(arrayText, { file: 'arena.json' });
  assert.deepEqual(
    r.records.map((x) => x.pair_id),
    ['q1', 'q4', 'q6'],
  );
  assert.equal(errors(r).length, 1);
  assert.equal(errors(r)[0]!.line, 6);
  assert.match(errors(r)[0]!.message, /not valid JSON/);
  // already-parsed rows work too
  assert.equal(importArena(arenaRows).records.length, 2);
});

test('arena: missing fields and unknown winners give problems; the rest imports', () => {
  const rows = [
    arenaRows[0],
    { ...arenaRows[0], question_id: 'q7', judge: undefined },
    { ...arenaRows[0], question_id: 'q8', winner: 'model_c' },
    { ...arenaRows[0], question_id: 'q9', conversation_b: [{ role: 'user', content: 'Write a haiku about autumn.' }] },
    { ...arenaRows[0], question_id: 'q10', conversation_b: arenaRows[0]!.conversation_a },
    { ...arenaRows[3], question_id: 'q11' },
  ];
  const r = importArena(jsonl(rows), { file: 'arena.jsonl' });
  assert.deepEqual(
    r.records.map((x) => x.pair_id),
    ['q1', 'q11'],
  );
  const msgs = errors(r).map((p) => `${p.line}: ${p.message}`);
  assert.equal(msgs.length, 4);
  assert.match(msgs[0]!, /^2: .*judge/);
  assert.match(msgs[1]!, /^3: .*winner/);
  assert.match(msgs[2]!, /^4: .*does not end with an assistant message/);
  assert.match(msgs[3]!, /^5: .*identical/);
});

// ---------------------------------------------------------------- PRISM

const prismConversations = [
  {
    conversation_id: 'c0',
    user_id: 'user0',
    conversation_type: 'values guided',
    conversation_history: [
      {
        role: 'user',
        content: 'Is it ever okay to lie to protect a friend?',
        turn: 0,
        within_turn_id: null,
        model_name: null,
        score: null,
        if_chosen: null,
      },
      {
        role: 'model',
        content: 'Many ethicists argue small protective lies can be justified.',
        model_name: 'gpt-4',
        score: 80,
        if_chosen: true,
        within_turn_id: 0,
        turn: 0,
      },
      {
        role: 'model',
        content: 'Lying is always wrong.',
        model_name: 'llama-2-7b-chat',
        score: 30,
        if_chosen: false,
        within_turn_id: 1,
        turn: 0,
      },
      {
        role: 'model',
        content: 'It depends on the harm the truth would cause.',
        model_name: 'claude-2',
        score: 65,
        if_chosen: false,
        within_turn_id: 2,
        turn: 0,
      },
      {
        role: 'model',
        content: 'As an AI I cannot give moral advice.',
        model_name: 'palm-2',
        score: 10,
        if_chosen: false,
        within_turn_id: 3,
        turn: 0,
      },
      {
        role: 'user',
        content: 'What would Kant say?',
        turn: 1,
        within_turn_id: null,
        model_name: null,
        score: null,
        if_chosen: null,
      },
      {
        role: 'model',
        content: 'Kant held that lying is never permissible, even to a murderer at the door.',
        model_name: 'gpt-4',
        score: 90,
        if_chosen: true,
        within_turn_id: 0,
        turn: 1,
      },
      {
        role: 'model',
        content: 'Kant was a German philosopher.',
        model_name: 'gpt-4',
        score: 40,
        if_chosen: false,
        within_turn_id: 1,
        turn: 1,
      },
    ],
  },
  {
    conversation_id: 'c1',
    user_id: 'user1',
    conversation_type: 'unguided',
    conversation_history: [
      { role: 'user', content: 'Recommend a sci-fi novel.', turn: 0 },
      {
        role: 'model',
        content: 'The Left Hand of Darkness by Ursula K. Le Guin.',
        model_name: 'command',
        score: 70,
        if_chosen: false,
        within_turn_id: 0,
        turn: 0,
      },
      {
        role: 'model',
        content: 'Dune by Frank Herbert.',
        model_name: 'mistral-7b',
        score: 85,
        if_chosen: true,
        within_turn_id: 1,
        turn: 0,
      },
    ],
  },
  {
    conversation_id: 'c2',
    user_id: 'user_not_surveyed',
    conversation_type: 'controversy guided',
    conversation_history: [
      { role: 'user', content: 'Should cities ban cars downtown?', turn: 0 },
      {
        role: 'model',
        content: 'Car-free centres often improve air quality and foot traffic for shops.',
        model_name: 'gpt-3.5-turbo',
        score: 60,
        if_chosen: true,
        within_turn_id: 0,
        turn: 0,
      },
      {
        role: 'model',
        content: 'Bans hurt people who depend on cars.',
        model_name: 'zephyr-7b',
        score: 55,
        if_chosen: false,
        within_turn_id: 1,
        turn: 0,
      },
    ],
  },
];

const prismSurvey = [
  {
    user_id: 'user0',
    age: '25-34 years old',
    gender: 'Female',
    education: 'University Bachelors Degree',
    employment_status: 'Working full-time',
    marital_status: 'Never been married',
    religion: { self_described: 'None', simplified: 'No Affiliation' },
    ethnicity: { self_described: 'White', simplified: 'White' },
    location: { birth_country: 'UK', reside_country: 'UK' },
    self_description: 'I am a curious person who likes debating ideas.',
    stated_prefs: { values: 80, creativity: 40 },
    consent: 'Yes',
    generated_datetime: '2023-11-22 15:23:00',
  },
  {
    user_id: 'user1',
    age: '45-54 years old',
    gender: 'Male',
    education: 'Graduate / Professional degree',
    location: { reside_country: 'US' },
  },
];

test('prism: if_chosen vs every other response of the turn; context follows the chosen responses', () => {
  const r = importPrism(jsonl(prismConversations), jsonl(prismSurvey), {
    file: 'conversations.jsonl',
    surveyFile: 'survey.jsonl',
  });
  assertWellFormed(r.records);
  // c0: 3 pairs in turn 0 + 1 in turn 1; c1: 1; c2: 1
  assert.equal(r.records.length, 6);
  const c0 = r.records.filter((x) => x.meta!.conversation_id === 'c0');
  assert.equal(c0.length, 4);
  for (const p of c0.slice(0, 3)) {
    assert.match(p.chosen, /ethicists/);
    assert.deepEqual(p.context, [{ role: 'user', content: 'Is it ever okay to lie to protect a friend?' }]);
    assert.equal(p.meta!.turn, 0);
    assert.equal(p.meta!.chosen_model, 'gpt-4');
  }
  assert.deepEqual(
    c0.slice(0, 3).map((p) => p.meta!.rejected_model),
    ['llama-2-7b-chat', 'claude-2', 'palm-2'],
  );
  const t1 = c0[3]!;
  assert.deepEqual(t1.context, [
    { role: 'user', content: 'Is it ever okay to lie to protect a friend?' },
    { role: 'assistant', content: 'Many ethicists argue small protective lies can be justified.' },
    { role: 'user', content: 'What would Kant say?' },
  ]);
  assert.match(t1.chosen, /murderer at the door/);
  assert.equal(t1.rejected, 'Kant was a German philosopher.');
  assert.equal(t1.meta!.chosen_score, 90);
  assert.equal(t1.meta!.rejected_score, 40);
  assert.equal(t1.meta!.conversation_type, 'values guided');
  const c1 = r.records.find((x) => x.meta!.conversation_id === 'c1')!;
  assert.equal(c1.chosen, 'Dune by Frank Herbert.'); // if_chosen, not the first listed
  assert.equal(new Set(r.records.map((x) => x.pair_id)).size, 6);
});

test('prism: demographics joined from the survey; unsurveyed users are a warning count', () => {
  const r = importPrism(jsonl(prismConversations), jsonl(prismSurvey), {
    file: 'conversations.jsonl',
    surveyFile: 'survey.jsonl',
  });
  const u0 = r.records.find((x) => x.user_id === 'user0')!;
  assert.equal(u0.demographics!.age, '25-34 years old');
  assert.deepEqual(u0.demographics!.location, { birth_country: 'UK', reside_country: 'UK' });
  assert.equal(u0.demographics!.self_description, 'I am a curious person who likes debating ideas.');
  assert.equal(u0.demographics!.consent, undefined); // bookkeeping dropped
  assert.equal(u0.demographics!.user_id, undefined);
  assert.equal(r.records.find((x) => x.user_id === 'user1')!.demographics!.gender, 'Male');
  const missing = r.records.find((x) => x.user_id === 'user_not_surveyed')!;
  assert.equal(missing.demographics, undefined);
  assert.equal(r.problems.length, 1);
  const w = r.problems[0]!;
  assert.equal(w.severity, 'warning');
  assert.equal(w.line, 3);
  assert.match(w.message, /1 user \(1 pair\) not in the survey/);
  // choosing the fields
  const only = importPrism(jsonl(prismConversations), jsonl(prismSurvey), { demographicFields: ['age'] });
  assert.deepEqual(only.records.find((x) => x.user_id === 'user0')!.demographics, { age: '25-34 years old' });
});

test('prism: turns without a chosen response, several chosen, bad rows', () => {
  const noChoice = {
    conversation_id: 'c3',
    user_id: 'user1',
    conversation_history: [
      { role: 'user', content: 'Hello', turn: 0 },
      { role: 'model', content: 'Hi!', model_name: 'a', if_chosen: false, within_turn_id: 0, turn: 0 },
      { role: 'model', content: 'Hello there.', model_name: 'b', if_chosen: false, within_turn_id: 1, turn: 0 },
      { role: 'user', content: 'Bye', turn: 1 },
      { role: 'model', content: 'Bye!', model_name: 'a', if_chosen: true, within_turn_id: 0, turn: 1 },
      { role: 'model', content: 'See you.', model_name: 'b', if_chosen: false, within_turn_id: 1, turn: 1 },
    ],
  };
  const twoChosen = {
    conversation_id: 'c4',
    user_id: 'user1',
    conversation_history: [
      { role: 'user', content: 'Hello', turn: 0 },
      { role: 'model', content: 'Hi!', model_name: 'a', if_chosen: true, within_turn_id: 0, turn: 0 },
      { role: 'model', content: 'Hello there.', model_name: 'b', if_chosen: true, within_turn_id: 1, turn: 0 },
    ],
  };
  const text = [
    JSON.stringify(prismConversations[1]),
    JSON.stringify(noChoice),
    JSON.stringify(twoChosen),
    '{"conversation_id": "c5", "user_id": ',
    JSON.stringify({ conversation_id: 'c6', user_id: 'user1' }),
  ].join('\n');
  const surveyText = jsonl(prismSurvey) + '{"age": "18-24"}\n';
  const r = importPrism(text, surveyText, { file: 'conv.jsonl', surveyFile: 'survey.jsonl' });
  assert.equal(r.records.length, 1);
  const byLine = (file: string, line: number) => r.problems.find((p) => p.file === file && p.line === line);
  assert.equal(byLine('conv.jsonl', 2)!.severity, 'warning');
  assert.match(byLine('conv.jsonl', 2)!.message, /no response is marked if_chosen/);
  assert.match(byLine('conv.jsonl', 3)!.message, /2 responses are marked if_chosen/);
  assert.match(byLine('conv.jsonl', 4)!.message, /not valid JSON/);
  assert.match(byLine('conv.jsonl', 5)!.message, /conversation_history/);
  assert.match(byLine('survey.jsonl', 3)!.message, /user_id/);
  assert.equal(skippedCount(r, 'turn without a chosen response'), 1);
});

// ---------------------------------------------------------------- Anthropic HH

test('hh: transcripts parse into turns; context is the shared prefix', () => {
  const parsed = parseHhTranscript(
    '\n\nHuman: Hi there\n\nAssistant:  Hello!  \n\nHuman: How are you?\n\nAssistant: Fine.',
  );
  assert.deepEqual(parsed.turns, [
    { role: 'user', content: 'Hi there' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: 'How are you?' },
    { role: 'assistant', content: 'Fine.' },
  ]);
  const rows = [
    {
      chosen: '\n\nHuman: Name a colour.\n\nAssistant: Blue.',
      rejected: '\n\nHuman: Name a colour.\n\nAssistant: I cannot.',
    },
    {
      chosen: '\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant: D',
      rejected: '\n\nHuman: A\n\nAssistant: X\n\nHuman: C\n\nAssistant: E',
    }, // prefix differs
    { chosen: '\n\nHuman: A\n\nAssistant: same', rejected: '\n\nHuman: A\n\nAssistant: same' }, // identical
    { chosen: '\n\nHuman: A\n\nAssistant:', rejected: '\n\nHuman: A\n\nAssistant: something' }, // empty chosen
    { chosen: '\n\nHuman: Q' }, // missing rejected
    {
      chosen: 'Human: Tell me a fact.\n\nAssistant: Honey never spoils.',
      rejected: 'Human: Tell me a fact.\n\nAssistant: Water is wet.',
    },
  ];
  const r = importHh(jsonl(rows), { file: 'hh.jsonl', users: 2, userId: 'anon' });
  assert.equal(r.records.length, 2);
  assertWellFormed(r.records);
  assert.deepEqual(r.records[0]!.context, [{ role: 'user', content: 'Name a colour.' }]);
  assert.equal(r.records[0]!.chosen, 'Blue.');
  assert.equal(r.records[0]!.user_id, 'anon-1');
  assert.equal(r.records[1]!.user_id, 'anon-2'); // row 6 -> (5 mod 2) + 1
  assert.equal(r.records[1]!.chosen, 'Honey never spoils.');
  assert.deepEqual(
    errors(r).map((p) => p.line),
    [2, 3, 4, 5],
  );
  assert.match(errors(r)[0]!.message, /do not share/);
  assert.match(errors(r)[1]!.message, /identical/);
  assert.match(errors(r)[2]!.message, /chosen response is empty/);
  assert.match(errors(r)[3]!.message, /missing field "rejected"/);
  // default user id; gzip Buffer input
  const gz = importHh(gzipSync(Buffer.from(jsonl(rows.slice(0, 1)))));
  assert.equal(gz.records[0]!.user_id, 'hh');
  const bad = importHh(Buffer.from([0x1f, 0x8b, 1, 2, 3]), { file: 'broken.gz' });
  assert.equal(bad.records.length, 0);
  assert.match(bad.problems[0]!.message, /gzip/);
});

const HH_FILE = resolve(process.cwd(), '..', 'shared', 'data', 'hh-rlhf-harmless-base-test.jsonl.gz');

test('hh: the real harmless-base test file imports all 2,312 rows', (t) => {
  if (!existsSync(HH_FILE)) {
    t.skip(`${HH_FILE} is absent (checkout without ../shared/data)`);
    return;
  }
  const r = importHh(readFileSync(HH_FILE), { file: 'hh.jsonl.gz', users: 10 });
  const rowErrors = errors(r);
  // every row is accounted for: a record or exactly one error problem
  assert.equal(r.records.length + rowErrors.length, 2312);
  assert.equal(new Set(rowErrors.map((p) => p.line)).size, rowErrors.length);
  // pinned file (hh-rlhf commit 354e5c3): 4 rows end on an empty assistant turn and 5 rows'
  // transcripts diverge before their last assistant turn
  assert.equal(r.records.length, 2303);
  assert.equal(rowErrors.filter((p) => /empty/.test(p.message)).length, 4);
  assert.equal(rowErrors.filter((p) => /do not share/.test(p.message)).length, 5);
  assert.equal(skippedCount(r, 'invalid row (see problems)'), rowErrors.length);
  assertWellFormed(r.records);
  for (const rec of r.records) {
    assert.ok(rec.context.length >= 1 && rec.context[rec.context.length - 1]!.role === 'user');
  }
  const perUser = new Map<string, number>();
  for (const rec of r.records) perUser.set(rec.user_id, (perUser.get(rec.user_id) ?? 0) + 1);
  assert.equal(perUser.size, 10);
  for (const n of perUser.values()) assert.ok(n >= 225 && n <= 232);
});

// ---------------------------------------------------------------- files

test('importFile + writeNativeJsonl: reads files, writes a new JSONL atomically, never over an input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smi-import-'));
  try {
    const conv = join(dir, 'conversations.jsonl');
    const survey = join(dir, 'survey.jsonl');
    writeFileSync(conv, jsonl(prismConversations));
    writeFileSync(survey, jsonl(prismSurvey));
    // survey given first: detected by its fields
    const r = await importFile('prism', [survey, conv]);
    assert.equal(r.records.length, 6);
    assert.equal(r.records[0]!.demographics!.gender, 'Female');
    assert.ok(r.problems.every((p) => p.file === conv));

    const out = join(dir, 'out', 'prism.prefs.jsonl');
    const w = await writeNativeJsonl(r.records, out, { inputs: [conv, survey] });
    assert.equal(w.records, 6);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 6);
    const back = lines.map((l) => JSON.parse(l) as NativeRecord);
    assert.deepEqual(back, r.records);
    assert.deepEqual(Object.keys(back[0]!), [
      'user_id',
      'pair_id',
      'context',
      'chosen',
      'rejected',
      'demographics',
      'meta',
    ]);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['prism.prefs.jsonl']); // no temp file left

    const before = readFileSync(conv, 'utf8');
    await assert.rejects(writeNativeJsonl(r.records, conv, { inputs: [conv, survey] }), ImportError);
    await assert.rejects(
      writeNativeJsonl(r.records, join(dir, '.', 'survey.jsonl'), { inputs: [conv, survey] }),
      /refusing to overwrite/,
    );
    assert.equal(readFileSync(conv, 'utf8'), before);

    const arenaPath = join(dir, 'arena.json');
    writeFileSync(arenaPath, JSON.stringify(arenaRows, null, 2));
    const a = await importFile('arena', [arenaPath, arenaPath]);
    assert.deepEqual(
      a.records.map((x) => x.pair_id),
      ['q1', 'q4', 'q1#2', 'q4#2'],
    );
    assert.equal(a.skipped.find((s) => s.reason === 'tie')!.count, 2);

    await assert.rejects(importFile('prb', [join(dir, 'nope.jsonl')]), /cannot read .*no such file/);
    writeFileSync(join(dir, 'bin.jsonl'), Buffer.from([0x7b, 0, 0, 1]));
    const b = await importFile('prb', [join(dir, 'bin.jsonl')]);
    assert.equal(b.records.length, 0);
    assert.match(b.problems[0]!.message, /binary/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
