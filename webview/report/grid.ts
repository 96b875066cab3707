// The report's comparison grid: one row per pair, one column per run, each cell the letter each order chose
// and whether it was right; filters (flipped, wrong everywhere, inconsistent), a user, and a search over the
// pair texts and the reasoning (the grid's own search, eval/grid-search.ts, run here on the report's data).
// Virtualized as the grid panel is (shared/grid-window.ts): only the rows in view are in the document.

import type { ReportHead } from '../../src/core/report/report-model';
import { cellHover, orderLetter } from '../../src/core/eval/grid-cell-text';
import { searchGrid } from '../../src/core/eval/grid-search';
import { REPORT_ROW_HEIGHT as ROW } from '../../src/core/report/report-style';
import { clear, el } from '../shared/dom';
import { keepRow, type RowFilter, type RowFilters, visibleWindow } from '../shared/grid-window';
import { focusableRows, type RowFocus } from '../shared/row-focus';
import { detailReady, readDetail, type ViewCell, type ViewRow } from './data';
import { runName } from './view';

export interface GridView {
  node: HTMLElement;
  /** Paints the rows in view (after the grid is in the document). */
  paint(): void;
}

interface GridState {
  shown: number[];
  filters: RowFilters;
  list: HTMLElement;
  spacer: HTMLElement;
  count: HTMLElement;
  focus: RowFocus;
}

export function gridSection(head: ReportHead, rows: ViewRow[], open: (row: number, list: number[]) => void): GridView {
  const s = { shown: [], filters: { filter: 'all', user: '', matches: undefined } } as unknown as GridState;
  s.count = el('span', { class: 'muted', attrs: { 'data-testid': 'grid-count' } });
  s.spacer = el('div', { class: 'spacer' });
  s.list = el('div', { class: 'grid-list', attrs: { 'data-testid': 'grid-list', role: 'grid' } }, s.spacer);
  const paint = () => paintRows(s, rows, (at) => open(s.shown[at]!, s.shown));
  s.focus = focusableRows({
    list: s.list,
    rowHeight: ROW,
    count: () => s.shown.length,
    open: (at) => open(s.shown[at]!, s.shown),
    paint,
  });
  s.list.addEventListener('scroll', () => requestAnimationFrame(paint));
  const apply = () => {
    s.shown = [];
    rows.forEach((r, i) => keepRow(r, i, s.filters) && s.shown.push(i));
    s.count.textContent = `${s.shown.length.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} pairs`;
    s.spacer.style.height = `${s.shown.length * ROW}px`;
    s.list.scrollTop = 0;
    s.focus.reset();
    paint();
  };
  document.documentElement.style.setProperty(
    '--grid-columns',
    `minmax(200px, 1.4fr) repeat(${head.runs.length}, minmax(96px, 1fr))`,
  );
  const node = el('section', { attrs: { 'data-testid': 'report-grid' } }, toolbar(head, rows, s, apply), headRow(head));
  node.append(s.list);
  s.shown = rows.map((_, i) => i);
  s.count.textContent = `${rows.length.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} pairs`;
  s.spacer.style.height = `${rows.length * ROW}px`;
  return { node, paint };
}

function headRow(head: ReportHead): HTMLElement {
  return el(
    'div',
    { class: 'grid-row grid-head', attrs: { role: 'row' } },
    el('div', { class: 'cell' }, 'pair · user'),
    ...head.runs.map((r, i) => el('div', { class: 'cell', title: `${r.id} · ${r.model} · ${r.split}` }, runName(r, i))),
  );
}

function paintRows(s: GridState, rows: ViewRow[], open: (at: number) => void): void {
  const { top, bottom } = visibleWindow(s.list.scrollTop, s.list.clientHeight, ROW, s.shown.length);
  const hadFocus = s.list.contains(document.activeElement);
  clear(s.spacer);
  for (let at = top; at < bottom; at++) {
    const i = s.shown[at]!;
    const r = rows[i]!;
    const node = el(
      'div',
      { class: `grid-row${r.flipped ? ' is-flipped' : ''}`, attrs: { role: 'row', 'data-testid': 'grid-row' } },
      el('div', { class: 'cell', title: `${r.pairId} · ${r.user}` }, el('b', {}, r.pairId), ` ${r.user}`),
      ...r.cells.map((c, k) => cell(c, k, i)),
    );
    node.style.top = `${at * ROW}px`;
    s.focus.mark(node, at);
    node.addEventListener('click', () => open(at));
    s.spacer.append(node);
  }
  s.focus.restore(hadFocus);
}

function cell(c: ViewCell | null, column: number, row: number): HTMLElement {
  if (!c) return el('div', { class: 'cell muted', title: 'not judged by this run' }, '—');
  const node = el(
    'div',
    { class: `cell${c.flipped && column > 0 ? ' flipped' : ''}` },
    ...c.orders.map((o) =>
      el('span', { class: o.correct ? 'ok' : 'bad' }, `${o.failed ? '!' : o.correct ? '✓' : '✗'}${orderLetter(o)}`),
    ),
  );
  // The reasoning on hover, once the detail is read (it is read after the first paint).
  node.addEventListener('mouseenter', () => {
    if (!detailReady() || node.title) return;
    const reasons = readDetail().reasoning[row]?.[column];
    node.title = cellHover(c.orders.map((o, k) => ({ ...o, reasoning: reasons ? (reasons[k] ?? '') : '' })));
  });
  return node;
}

function toolbar(head: ReportHead, rows: ViewRow[], s: GridState, apply: () => void): HTMLElement {
  const filter = select(
    'grid-filter',
    [
      ['all', 'All pairs'],
      ['flipped', 'Flipped'],
      ['wrong', 'Wrong everywhere'],
      ['inconsistent', 'Inconsistent (position bias)'],
    ],
    (v) => {
      s.filters.filter = v as RowFilter;
      apply();
    },
  );
  const user = select('grid-user', [['', 'All users'], ...head.users.map((u): [string, string] => [u, u])], (v) => {
    s.filters.user = v;
    apply();
  });
  const search = el('input', {
    attrs: { type: 'search', placeholder: 'Search pair text and reasoning', 'data-testid': 'grid-search' },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      s.filters.matches = search.value.trim() ? new Set(searchRows(rows, search.value)) : undefined;
      apply();
    }, 200);
  });
  return el('div', { class: 'toolbar' }, filter, user, search, s.count);
}

function select(testid: string, options: [string, string][], onChange: (v: string) => void): HTMLSelectElement {
  const s = el(
    'select',
    { attrs: { 'data-testid': testid } },
    ...options.map(([v, label]) => el('option', { attrs: { value: v } }, label)),
  );
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

/** The grid's search over the report's rows: each pair's text and each order's reasoning, from the detail. */
function searchRows(rows: ViewRow[], query: string): number[] {
  const d = readDetail();
  const searchable = rows.map((r, i) => ({
    user: r.user,
    pairId: r.pairId,
    cells: r.cells.map((_, k) => {
      const reasons = d.reasoning[i]?.[k];
      return reasons ? { orders: reasons.map((reasoning) => ({ reasoning })) } : null;
    }),
  }));
  const texts = new Map<string, string>();
  rows.forEach((r, i) => {
    const p = d.pairs[i];
    if (p)
      texts.set(`${r.user}\u0000${r.pairId}`, [...p.context.map((t) => t.content), p.chosen, p.rejected].join('\n'));
  });
  return searchGrid({ rows: searchable }, query, (user, pairId) => texts.get(`${user}\u0000${pairId}`));
}
