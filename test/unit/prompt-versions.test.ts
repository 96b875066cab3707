// Prompt files get a history like persona files; the shipped default counts as the first version, and
// nothing is compared with itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROMPTS } from '../../src/core/method/default-prompts';
import {
  previousPromptVersion,
  promptHistoryDir,
  recordPromptVersion,
  savePrompt,
} from '../../src/core/method/prompt-store';

test('an unedited prompt has no previous version; a first edit is compared with the shipped default; later ones with the last kept version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-prompt-versions-'));
  const history = join(dir, 'history');
  assert.equal(
    await previousPromptVersion(history, 'judge', DEFAULT_PROMPTS.judge),
    undefined,
    'nothing is compared with itself',
  );
  const first = DEFAULT_PROMPTS.judge + '\nBe brief.';
  const prev = await previousPromptVersion(history, 'judge', first);
  assert.equal(prev?.source, 'default');
  assert.equal(prev?.text, DEFAULT_PROMPTS.judge);
  await recordPromptVersion(history, 'judge', first);
  const second = first + '\nThink twice.';
  const again = await previousPromptVersion(history, 'judge', second);
  assert.equal(again?.source, 'history');
  assert.equal(again?.text, first);
  assert.equal(await recordPromptVersion(history, 'judge', first), again?.path, 'one version per distinct text');
});

test('savePrompt keeps the text it replaces and the new one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-prompt-save-'));
  const prompts = join(dir, 'prompts');
  const history = join(dir, 'history');
  await savePrompt(prompts, history, 'persona-synthesis', 'Theta one.');
  const r = await savePrompt(prompts, history, 'persona-synthesis', 'Theta two.');
  assert.equal(readFileSync(r.path, 'utf8'), 'Theta two.');
  const kept = readdirSync(promptHistoryDir(history, 'persona-synthesis')).map((n) =>
    readFileSync(join(promptHistoryDir(history, 'persona-synthesis'), n), 'utf8'),
  );
  assert.deepEqual(kept.sort(), ['Theta one.', 'Theta two.']);
  await assert.rejects(savePrompt(prompts, history, 'persona-synthesis', '  '), /empty/);
});
