// The pair view's Markdown (webview/shared/markdown-parse.ts): blocks and spans, never HTML. Markup
// in data stays text; code is tokenized, not interpreted.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { highlight, inline, parseMarkdown, type Block, type Span } from '../../webview/shared/markdown-parse';

const textOf = (spans: Span[]): string =>
  spans.map((s) => (s.kind === 'text' || s.kind === 'code' ? s.text : textOf(s.children))).join('');

describe('markdown for the pair view', () => {
  test('blocks: headings, paragraphs, lists, quotes, code fences, tables and rules', () => {
    const b = parseMarkdown(
      '# Title\n\nSome *text* here.\nStill the paragraph.\n\n- one\n- two\n  continued\n\n1. first\n2) second\n\n> quoted\n> more\n\n```python\nx = 1  # note\n```\n\n| a | b |\n|---|---|\n\n---\n\n    indented code',
    );
    assert.deepEqual(
      b.map((x) => x.kind),
      ['heading', 'paragraph', 'list', 'list', 'quote', 'code', 'table', 'rule', 'code'],
    );
    assert.equal((b[0] as Extract<Block, { kind: 'heading' }>).level, 1);
    assert.equal(
      textOf((b[1] as Extract<Block, { kind: 'paragraph' }>).spans),
      'Some text here.\nStill the paragraph.',
    );
    const ul = b[2] as Extract<Block, { kind: 'list' }>;
    assert.equal(ul.ordered, false);
    assert.deepEqual(ul.items.map(textOf), ['one', 'two\ncontinued']);
    assert.equal((b[3] as Extract<Block, { kind: 'list' }>).ordered, true);
    const code = b[5] as Extract<Block, { kind: 'code' }>;
    assert.equal(code.lang, 'python');
    assert.equal(code.tokens.map((t) => t.text).join(''), 'x = 1  # note', 'the code is kept exactly');
    assert.deepEqual(
      code.tokens.filter((t) => t.kind !== 'plain').map((t) => [t.kind, t.text]),
      [
        ['number', '1'],
        ['comment', '# note'],
      ],
    );
  });

  test('markup in data is text: no span, block or token ever carries HTML', () => {
    const evil = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))';
    const b = parseMarkdown(evil);
    assert.equal(b.length, 1);
    const spans = (b[0] as Extract<Block, { kind: 'paragraph' }>).spans;
    assert.equal(textOf(spans), '<script>alert(1)</script> <img src=x onerror="alert(2)"> click');
    const link = spans.find((s) => s.kind === 'link') as Extract<Span, { kind: 'link' }>;
    assert.equal(link.href, 'javascript:alert(3)', 'kept as a tooltip text, never followed');
  });

  test('inline: code first (nothing inside is markup), bold, italics, escapes; an unclosed marker stays literal', () => {
    assert.deepEqual(inline('use `**not bold**` and **bold** and *it* and _it_ and \\*lit\\*'), [
      { kind: 'text', text: 'use ' },
      { kind: 'code', text: '**not bold**' },
      { kind: 'text', text: ' and ' },
      { kind: 'strong', children: [{ kind: 'text', text: 'bold' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'em', children: [{ kind: 'text', text: 'it' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'em', children: [{ kind: 'text', text: 'it' }] },
      { kind: 'text', text: ' and *lit*' },
    ]);
    assert.deepEqual(inline('2 * 3 * 4 and snake_case_name and **open'), [
      { kind: 'text', text: '2 * 3 * 4 and snake_case_name and **open' },
    ]);
  });

  test('an unclosed fence runs to the end; a huge text is one plain paragraph', () => {
    const b = parseMarkdown('text\n```js\nconst a = "x"; // c');
    assert.equal(b[1]!.kind, 'code');
    const tokens = (b[1] as Extract<Block, { kind: 'code' }>).tokens;
    assert.deepEqual(
      tokens.filter((t) => t.kind !== 'plain').map((t) => t.kind),
      ['keyword', 'string', 'comment'],
    );
    const big = 'x'.repeat(200_001);
    assert.deepEqual(parseMarkdown(big), [{ kind: 'paragraph', spans: [{ kind: 'text', text: big }] }]);
  });

  test('highlighting: comment styles by language, strings with escapes, SQL keywords in capitals', () => {
    assert.deepEqual(
      highlight('# not a comment in js', 'js').filter((t) => t.kind === 'comment'),
      [],
    );
    assert.deepEqual(highlight('"a \\" b" rest', 'js')[0], { kind: 'string', text: '"a \\" b"' });
    assert.deepEqual(
      highlight('SELECT x -- why', 'sql')
        .filter((t) => t.kind !== 'plain')
        .map((t) => t.kind),
      ['keyword', 'comment'],
    );
    assert.equal(
      highlight('value1 = 2', '').find((t) => t.text === '1'),
      undefined,
      'a digit inside a name is not a number',
    );
  });
});
