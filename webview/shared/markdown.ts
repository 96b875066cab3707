// Markdown to DOM for untrusted text (conversations, responses, model reasoning): the blocks and
// spans of markdown-parse.ts become elements whose every string is a text node. No HTML from the
// data is ever parsed; a link is its text with its address as a tooltip, never a navigation.

import { parseMarkdown, type Block, type CodeToken, type Span } from './markdown-parse';
import { el } from './dom';

export function renderMarkdown(text: string): HTMLElement {
  const root = el('div', { class: 'md' });
  for (const b of parseMarkdown(text)) root.append(block(b));
  return root;
}

function block(b: Block): HTMLElement {
  switch (b.kind) {
    case 'heading':
      return el(`h${Math.min(6, b.level + 2)}` as 'h3', { class: 'md-heading' }, ...b.spans.map(span));
    case 'paragraph':
      return el('p', {}, ...b.spans.map(span));
    case 'list':
      return el(b.ordered ? 'ol' : 'ul', {}, ...b.items.map((it) => el('li', {}, ...it.map(span))));
    case 'quote':
      return el('blockquote', {}, ...b.blocks.map(block));
    case 'code':
      return el(
        'pre',
        { class: 'md-code', ...(b.lang ? { attrs: { 'data-lang': b.lang } } : {}) },
        el('code', {}, ...b.tokens.map(token)),
      );
    case 'table':
      return el('pre', { class: 'md-table' }, b.text);
    case 'rule':
      return el('hr');
  }
}

function span(s: Span): Node {
  switch (s.kind) {
    case 'text':
      return document.createTextNode(s.text);
    case 'code':
      return el('code', {}, s.text);
    case 'strong':
      return el('strong', {}, ...s.children.map(span));
    case 'em':
      return el('em', {}, ...s.children.map(span));
    case 'link':
      return el('span', { class: 'md-link', title: s.href }, ...s.children.map(span));
  }
}

function token(t: CodeToken): Node {
  return t.kind === 'plain' ? document.createTextNode(t.text) : el('span', { class: `tok-${t.kind}` }, t.text);
}
