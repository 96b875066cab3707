import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CommandIds } from '../../src/extension/command-ids';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('package.json commands and the command table agree', () => {
  const declared = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const table = new Set<string>(Object.values(CommandIds));
  assert.deepEqual([...declared].sort(), [...table].sort());
});

test('the manifest is a real extension with a CLI', () => {
  assert.ok(pkg.engines.vscode);
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.bin.synthesizeme, './dist/cli.js');
  assert.ok(pkg.activationEvents.length <= 3, 'activation events stay minimal');
  assert.ok(!pkg.activationEvents.includes('*'));
});
