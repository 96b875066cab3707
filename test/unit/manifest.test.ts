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

test('Restricted Mode says in one line which workspace settings it ignores, each of them by name', () => {
  const { description, restrictedConfigurations } = pkg.capabilities.untrustedWorkspaces as {
    description: string;
    restrictedConfigurations: string[];
  };
  assert.doesNotMatch(description, /\n/);
  assert.ok(description.length <= 200, `one line: ${description.length} characters`);
  for (const id of [...restrictedConfigurations, 'synthesizeme.apiKeyEnv'])
    assert.ok(description.includes(id.replace('synthesizeme.', '')), `names ${id}`);
});

test('the walkthrough ticks each step on the commands and views that do it, all of them contributed', () => {
  const [walkthrough] = pkg.contributes.walkthroughs as Array<{
    id: string;
    steps: Array<{ id: string; completionEvents: string[] }>;
  }>;
  assert.equal(walkthrough!.id, 'synthesizeme.gettingStarted', 'the id src/extension/walkthrough.ts opens');
  const commands = new Set((pkg.contributes.commands as Array<{ command: string }>).map((c) => c.command));
  const views = new Set(
    Object.values(pkg.contributes.views as Record<string, Array<{ id: string }>>)
      .flat()
      .map((v) => v.id),
  );
  const byStep = Object.fromEntries(walkthrough!.steps.map((s) => [s.id, s.completionEvents]));
  assert.ok(byStep['fit']!.includes('onCommand:synthesizeme.fitAll'), 'Fit All Users ticks the fit step too');
  assert.ok(byStep['open']!.includes('onView:synthesizeme.users'), 'opening the Users view ticks the first step');
  for (const s of walkthrough!.steps)
    for (const e of s.completionEvents) {
      const [kind, id] = e.split(':') as [string, string];
      if (kind === 'onCommand') assert.ok(commands.has(id), `${s.id}: ${id} is a command`);
      else if (kind === 'onView') assert.ok(views.has(id), `${s.id}: ${id} is a view`);
    }
});

test('package.json language-model tools and the registered tools agree, each described with an input schema', async () => {
  const { ToolNames } = await import('../../src/extension/tools/tool-names');
  const { METHODS } = await import('../../src/core/method');
  const { REVALIDATE_PROMPTS } = await import('../../src/core/eval');
  type Tool = {
    name: string;
    displayName: string;
    modelDescription: string;
    userDescription: string;
    inputSchema: { type: string; properties: Record<string, { enum?: string[] }>; required?: string[] };
  };
  const tools = pkg.contributes.languageModelTools as Tool[];
  assert.deepEqual(tools.map((t) => t.name).sort(), Object.values(ToolNames).sort());
  for (const t of tools) {
    assert.ok(t.displayName && t.userDescription, `${t.name}: a name and a description for the user`);
    assert.ok(t.modelDescription.length >= 200, `${t.name}: the model is told what it does, returns and costs`);
    assert.equal(t.inputSchema.type, 'object', `${t.name}: an object input`);
    for (const r of t.inputSchema.required ?? []) assert.ok(t.inputSchema.properties[r], `${t.name}: ${r} is declared`);
  }
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.deepEqual(byName[ToolNames.evaluateUser]!.inputSchema.properties['method']!.enum, [...METHODS]);
  assert.deepEqual(byName[ToolNames.revalidate]!.inputSchema.properties['prompt']!.enum, [...REVALIDATE_PROMPTS]);
  // vscode.lm.registerTool and the contribution point were finalized in VS Code 1.95; vsce refuses a package whose
  // @types/vscode is newer than engines.vscode.
  const [major, minor] = (pkg.engines.vscode as string).replace(/^\^/, '').split('.').map(Number) as [number, number];
  assert.ok(major > 1 || minor >= 95, `engines.vscode ${pkg.engines.vscode} has the language-model tools API`);
  assert.ok(
    pkg.devDependencies['@types/vscode'].split('.').map(Number)[1] <= minor,
    '@types/vscode is not newer than engines.vscode',
  );
});
