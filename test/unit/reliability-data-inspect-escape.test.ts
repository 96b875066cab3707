// Low case: ids from a data file may hold terminal control characters; `synthesizeme inspect`
// prints them escaped (JSON-style \u001b), so a hostile id cannot drive the terminal.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './revalidate-fixture';

// ESC ] 0 ; title BEL retitles the window, ESC [ 2 J clears the screen, U+009B is the one-byte CSI.
const EVIL_USER = 'eve\u001b]0;pwned\u0007\u001b[2J\u009b31m';
const EVIL_PAIR = 'p\u001b[8m\u007f';
/** Any control character other than the newlines that end lines. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('reliability: inspect escapes control characters in ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-esc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const row = (pairId: string) =>
    JSON.stringify({ user_id: EVIL_USER, pair_id: pairId, context: 'q', chosen: 'a', rejected: 'b' });
  // The same pair id twice: the duplicate's problem message quotes both ids.
  writeFileSync(join(dir, 'evil.prefs.jsonl'), [row(EVIL_PAIR), row(EVIL_PAIR), row('p2')].join('\n') + '\n');

  test('human output: user ids and problem messages carry \\u001b escapes, never the raw characters', async () => {
    const c = cli(dir, { tty: true });
    assert.equal(await c.call('inspect', dir), 0, c.err());
    const out = c.out();
    assert.doesNotMatch(out, RAW_CONTROL);
    assert.ok(out.includes('eve\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m'), out);
    assert.match(out, /duplicate pair_id "p\\u001b\[8m\\u007f" for user "eve\\u001b/);
  });

  test('--json: still valid JSON with the exact ids, and no raw DEL or C1 (JSON.stringify leaves those)', async () => {
    const c = cli(dir, { tty: true });
    assert.equal(await c.call('inspect', dir, '--json'), 0, c.err());
    assert.doesNotMatch(c.out().trimEnd(), RAW_CONTROL);
    const parsed = JSON.parse(c.out());
    assert.deepEqual(
      parsed.users.map((u: { id: string }) => u.id),
      [EVIL_USER],
    );
    assert.ok(parsed.problems.some((p: { message: string }) => p.message.includes(EVIL_PAIR)));
  });
});
