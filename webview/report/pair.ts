// The pair view of the report: the conversation, the response the user chose and the one they rejected,
// and every run's verdict in both orders with its full reasoning. Opened from a grid row; the arrows move
// through the rows as filtered when it was opened; Escape closes it.

import type { ReportHead, ReportPair } from '../../src/core/report/report-model';
import { clear, el } from '../shared/dom';
import { readDetail, type ViewRow } from './data';
import { runName, table } from './view';

export interface PairPanel {
  node: HTMLElement;
  open(row: number, list: number[]): void;
}

export function pairPanel(head: ReportHead, rows: ViewRow[]): PairPanel {
  const node = el('aside', {
    class: 'pair-panel',
    attrs: { 'data-testid': 'pair-panel', role: 'dialog', 'aria-label': 'Pair', hidden: '' },
  });
  let list: number[] = [];
  let at = 0;
  const close = () => node.setAttribute('hidden', '');
  const show = () => {
    clear(node);
    const i = list[at]!;
    node.append(
      nav(at, list.length, (d) => ((at += d), show()), close),
      ...pairBody(head, rows[i]!, i),
    );
    node.removeAttribute('hidden');
    node.querySelector<HTMLElement>('button')?.focus();
  };
  document.addEventListener('keydown', (e) => {
    if (node.hasAttribute('hidden')) return;
    if (e.key === 'Escape') return close();
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step && at + step >= 0 && at + step < list.length) {
      at += step;
      show();
    }
  });
  return {
    node,
    open(row, shown) {
      list = shown.length ? shown : [row];
      at = Math.max(0, list.indexOf(row));
      show();
    },
  };
}

function nav(at: number, total: number, move: (d: number) => void, close: () => void): HTMLElement {
  const button = (label: string, testid: string, enabled: boolean, act: () => void) => {
    const b = el('button', { attrs: { 'data-testid': testid, ...(enabled ? {} : { disabled: '' }) } }, label);
    b.addEventListener('click', act);
    return b;
  };
  return el(
    'div',
    { class: 'toolbar' },
    button('Close', 'pair-close', true, close),
    button('← Previous', 'pair-previous', at > 0, () => move(-1)),
    button('Next →', 'pair-next', at < total - 1, () => move(1)),
    el('span', { class: 'muted' }, `${at + 1} of ${total}`),
  );
}

function pairBody(head: ReportHead, row: ViewRow, i: number): HTMLElement[] {
  const d = readDetail();
  const pair = d.pairs[i] || undefined;
  return [
    el('h2', { attrs: { 'data-testid': 'pair-title' } }, `${row.pairId} · ${row.user}`),
    el('div', { class: 'muted' }, pair ? `${pair.file}:${pair.line}` : 'the pair’s text is not in this report'),
    ...(pair ? conversation(pair) : []),
    el('h3', {}, 'Verdicts'),
    verdicts(head, row, d.reasoning[i] ?? []),
  ];
}

function conversation(pair: ReportPair): HTMLElement[] {
  return [
    ...pair.context.map((t) =>
      el(
        'div',
        { class: 'turn', attrs: { 'data-testid': 'pair-turn' } },
        el('div', { class: 'role' }, t.role),
        t.content,
      ),
    ),
    el('h3', {}, 'Chosen by the user'),
    el('div', { class: 'response', attrs: { 'data-testid': 'pair-chosen' } }, pair.chosen),
    el('h3', {}, 'Rejected'),
    el('div', { class: 'response', attrs: { 'data-testid': 'pair-rejected' } }, pair.rejected),
  ];
}

/** Each run's two orders: which position the chosen response had, the letter named, right or not, and why. */
function verdicts(head: ReportHead, row: ViewRow, reasoning: (string[] | 0)[]): HTMLElement {
  const lines = head.runs.flatMap((r, k) => {
    const c = row.cells[k];
    if (!c) return [[runName(r, k), 'not judged by this run', '', '']];
    const reasons = reasoning[k] || [];
    return c.orders.map((o, n) => [
      n === 0 ? runName(r, k) : '',
      `${o.order === 'AB' ? 'chosen shown as A' : 'chosen shown as B'} (${o.order})`,
      o.failed
        ? 'the call failed'
        : o.preference
          ? `chose ${o.preference}: ${o.correct ? 'right' : 'wrong'}`
          : 'no answer',
      el('div', { class: 'reasoning' }, reasons[n] ?? ''),
    ]);
  });
  const t = table(['run', 'order', 'verdict', 'reasoning'], lines, [], 'pair-verdicts');
  t.classList.add('verdicts');
  return t;
}
