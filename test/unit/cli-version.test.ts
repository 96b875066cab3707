// `synthesizeme --version` prints package.json's version: one place to bump, never a second copy in the CLI.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from './revalidate-fixture';

const root = process.cwd();
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

test('--version and -V print the version of package.json', async () => {
  for (const flag of ['--version', '-V']) {
    const c = cli(root);
    assert.equal(await c.run(flag), 0);
    assert.equal(c.out(), `${version}\n`);
  }
});

test('no CLI source writes the version out again (it would go stale at the next bump)', () => {
  const literal = new RegExp(`['"\`]${version.replace(/\./g, '\\.')}['"\`]`);
  const files = readdirSync(join(root, 'src/cli'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  assert.ok(files.length > 10);
  const copies = files.filter((f) => literal.test(readFileSync(join(root, 'src/cli', f), 'utf8')));
  assert.deepEqual(copies, []);
});
