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

test("package.json's contributed settings and the engine's settings table agree (names, types, defaults, trust, scope)", async () => {
  const { SETTINGS } = await import('../../src/core/workspace/settings-table');
  const conf = Array.isArray(pkg.contributes.configuration)
    ? pkg.contributes.configuration
    : [pkg.contributes.configuration];
  const props: Record<string, { type: unknown; default: unknown; scope?: string }> = Object.assign(
    {},
    ...conf.map((c: { properties: object }) => c.properties),
  );
  assert.deepEqual(Object.keys(props).sort(), SETTINGS.map((s) => s.id).sort(), 'the same settings');
  const restricted = new Set<string>(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations);
  for (const s of SETTINGS) {
    const p = props[s.id]!;
    assert.deepEqual(p.type, s.type, `${s.id}: type`);
    assert.deepEqual(p.default, s.default, `${s.id}: default`);
    assert.equal(
      restricted.has(s.id),
      s.trust === 'trusted',
      `${s.id}: restricted in an untrusted workspace exactly when the table says so`,
    );
    if (s.trust === 'user')
      assert.ok(
        p.scope === 'machine' || p.scope === 'application',
        `${s.id}: VS Code must not take it from a workspace`,
      );
    // Multi-root: a folder's own value applies to that folder's files only when the scope is resource.
    else
      assert.equal(
        p.scope,
        'resource',
        `${s.id}: scope "resource", so each folder of a multi-root workspace can set its own`,
      );
    // The default the settings UI shows is one the table accepts (or unset).
    const empty =
      p.default === null ||
      p.default === '' ||
      (typeof p.default === 'object' && Object.keys(p.default as object).length === 0);
    if (!empty) assert.notEqual(s.parse(p.default), undefined, `${s.id}: default ${JSON.stringify(p.default)} parses`);
  }
});
