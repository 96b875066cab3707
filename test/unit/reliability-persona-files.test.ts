// Reliability (safety issue, high 4 and 6): no persona and no version is ever lost. Each test's name
// is the reproduction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findPersonaFile,
  legacyPersonaFileName,
  parsePersona,
  personaFileName,
  readUserPersonaFile,
  savePersona,
  serializePersona,
  type PersonaModel,
} from '../../src/core/method/persona-file';
import { UserError } from '../../src/core/user-error';

const model = (userId: string, persona = `Persona of ${userId}.`): PersonaModel => ({
  userId,
  persona,
  demos: [],
  provenance: {
    provider: 'ollama',
    model: 'm',
    seed: 0,
    temperature: 0,
    k: 10,
    stopScore: 0.8,
    prompts: {},
    created: '2026-12-01T00:00:00.000Z',
  },
});

const HOSTILE = [
  'a/b',
  'a_b',
  'a\\b',
  '..',
  '.',
  '*',
  '~',
  ' ',
  '张三',
  '李四',
  'Ada',
  'ada',
  'con',
  'x'.repeat(250),
  '\u001b[2J',
  'a b',
  'a~b',
];

test('ids a/b, a_b, a\\b, .., ., *, ~, " ", 张三 and 李四, Ada and ada, a 250-character id: every one gets its own file name, within 255 bytes', () => {
  const names = HOSTILE.map(personaFileName);
  assert.equal(
    new Set(names.map((n) => n.toLowerCase())).size,
    HOSTILE.length,
    `distinct even ignoring case: ${names.join(' ')}`,
  );
  for (const n of names) {
    assert.ok(Buffer.byteLength(n) <= 255, `${n.length} bytes`);
    assert.doesNotMatch(n, /[\\/\u0000-\u001f]/, n);
    assert.doesNotMatch(n, /^\./, `${n} is not hidden and not . or ..`);
  }
  assert.equal(personaFileName('ada'), 'ada.persona.yaml', 'a plain id keeps its readable name');
  // Before: one name for 张三 and 李四 (and for a/b, a_b, a\b).
  assert.equal(legacyPersonaFileName('张三'), legacyPersonaFileName('李四'));
});

test('fit of 张三 and 李四 into one folder: both personas are kept and each reads back as its own user', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-names-'));
  const personas = join(dir, 'personas');
  for (const id of HOSTILE)
    await savePersona(join(personas, personaFileName(id)), model(id), join(dir, 'history', personaFileName(id)));
  assert.equal(readdirSync(personas).filter((n) => n.endsWith('.persona.yaml')).length, HOSTILE.length);
  for (const id of HOSTILE) {
    const p = await readUserPersonaFile(personas, id);
    assert.ok(p, id);
    assert.equal(p.model.userId, id);
    assert.equal(p.model.persona.trim(), `Persona of ${id}.`);
  }
});

test('eval --user with a planted persona file whose user_id is another user: refused with a clear error, never used', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-planted-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, personaFileName('..')), serializePersona(model('~')));
  await assert.rejects(
    readUserPersonaFile(dir, '..'),
    (e: unknown) => e instanceof UserError && /holds the persona of user_id "~", not of "\.\."/.test(e.message),
  );
  // And the writer does not overwrite the other user's file.
  await assert.rejects(
    savePersona(join(dir, personaFileName('..')), model('..'), join(dir, 'h')),
    /refusing to overwrite/,
  );
  assert.equal(parsePersona(readFileSync(join(dir, personaFileName('..')), 'utf8'), 'x').userId, '~');
});

test('a persona file written under the earlier (lossy) name keeps loading when its user_id matches, and moves to the new name on the next write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-legacy-'));
  const legacy = join(dir, legacyPersonaFileName('Ada'));
  writeFileSync(legacy, serializePersona(model('Ada', 'The old persona.')));
  assert.equal(await findPersonaFile(dir, 'Ada'), legacy);
  // a/b, a\b and a_b shared one old name: the file is given only to the user it names.
  writeFileSync(join(dir, legacyPersonaFileName('a/b')), serializePersona(model('a/b')));
  assert.equal(await findPersonaFile(dir, 'a/b'), join(dir, legacyPersonaFileName('a/b')));
  assert.equal(await findPersonaFile(dir, 'a\\b'), undefined);
  await assert.rejects(readUserPersonaFile(dir, 'a_b'), /holds the persona of user_id "a\/b"/);
  const history = join(dir, 'history');
  const { previous } = await savePersona(join(dir, personaFileName('Ada')), model('Ada', 'The new persona.'), history);
  assert.ok(
    previous && readFileSync(previous, 'utf8').includes('The old persona.'),
    'the old file is the previous version',
  );
  assert.equal(existsSync(legacy), false);
  assert.equal((await readUserPersonaFile(dir, 'Ada'))?.model.persona.trim(), 'The new persona.');
});

test('a fitted persona edited and saved in the editor, then re-validated: the fitted version is still in history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-edit-'));
  const path = join(dir, 'personas', 'ada.persona.yaml');
  const history = join(dir, 'history', 'ada');
  await savePersona(path, model('ada', 'Fitted persona.'), history);
  // The editor saves over the file: no tool wrote this version.
  writeFileSync(path, serializePersona(model('ada', 'Edited by hand.')));
  await savePersona(
    path,
    { ...model('ada', 'Edited by hand.'), provenance: { ...model('ada').provenance, edited: true } },
    history,
  );
  const texts = readdirSync(history).map((n) => readFileSync(join(history, n), 'utf8'));
  assert.ok(
    texts.some((t) => t.includes('Fitted persona.')),
    'the fitted version is kept',
  );
  assert.ok(
    texts.some((t) => t.includes('Edited by hand.')),
    'the edited version is kept',
  );
});

test('four concurrent fits of the same 30 users: all 90 replaced versions are kept (no two writers share a history name)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-concurrent-'));
  const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
  await Promise.all(
    [0, 1, 2, 3].map(async (w) => {
      for (const u of users)
        await savePersona(
          join(dir, 'personas', personaFileName(u)),
          model(u, `Persona ${w} of ${u}.`),
          join(dir, 'history', u),
        );
    }),
  );
  let kept = 0;
  for (const u of users) {
    const texts = readdirSync(join(dir, 'history', u)).map((n) => readFileSync(join(dir, 'history', u, n), 'utf8'));
    for (const w of [0, 1, 2, 3]) if (texts.some((t) => t.includes(`Persona ${w} of ${u}.`))) kept++;
  }
  assert.equal(kept, 120, 'every version of every writer is in history (90 replaced + the 30 current)');
});

test('a *.persona.yaml.PID.tmp left by a killed writer is removed by the next write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-tmp-'));
  mkdirSync(join(dir, 'personas'));
  const stale = join(dir, 'personas', 'ada.persona.yaml.4194999.tmp');
  writeFileSync(stale, 'half written');
  await savePersona(join(dir, 'personas', 'ada.persona.yaml'), model('ada'), join(dir, 'history'));
  assert.equal(existsSync(stale), false);
  assert.deepEqual(readdirSync(join(dir, 'personas')), ['ada.persona.yaml']);
});

test('persona: "" is refused at its line; a 1 MB persona loads with a note of its token count', async () => {
  const empty = serializePersona(model('ada')).replace(/persona: \|[^\n]*\n(\s+.*\n)+?(?=demos:)/, 'persona: ""\n');
  assert.match(empty, /persona: ""/);
  assert.throws(() => parsePersona(empty, 'ada.persona.yaml'), /ada\.persona\.yaml:\d+:\d+: "persona" is empty/);
  const { longPersonaNote } = await import('../../src/core/method/persona-file');
  const big = model('ada', 'word '.repeat(200_000));
  assert.match(longPersonaNote(big, 'ada.persona.yaml') ?? '', /about 250,000 tokens long/);
  assert.equal(longPersonaNote(model('ada'), 'ada.persona.yaml'), undefined, 'an ordinary persona says nothing');
});
