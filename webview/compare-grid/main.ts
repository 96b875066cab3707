// The comparison grid (webview panel): one row per pair, one column per run, both orders' verdicts
// in each cell, flipped pairs highlighted, a summary row with each run's accuracy and its paired
// difference from the first column; filters, search (answered by the extension host, which has the
// pair text), a click that opens the pair view, and export. Rows are virtualized (fixed height,
// only the visible ones in the DOM), so 10,000 x 6 paints as fast as 100 x 2.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  isHostToGrid,
  type GridCellView,
  type GridFilter,
  type GridRowView,
  type GridToHost,
  type HostToGrid,
} from '../../src/extension/protocol';
import { clear, el } from '../shared/dom';
import { connect } from '../shared/ipc';
import { focusableRows, type RowFocus } from '../shared/row-focus';
import { keepRow, visibleWindow } from '../shared/grid-window';
import { accuracyHeadline } from '../../src/core/eval/sample-size';
import { orderLetter } from '../../src/core/eval/grid-cell-text';

const ROW = 34;
const OVERSCAN = 10;
const app = document.getElementById('app')!;

type GridMessage = Extract<HostToGrid, { type: 'grid' }>;
let grid: GridMessage | undefined;
/** Indices into grid.rows of the rows shown, in order. */
let shown: number[] = [];
let filter: GridFilter = 'all';
let user = '';
let query = '';
/** Rows matching the search, from the host; undefined when there is no search. */
let matches: Set<number> | undefined;
let list: HTMLElement;
let spacer: HTMLElement;
let count: HTMLElement;
/** The keyboard on the rows (Enter or Space opens the pair; the arrows move). */
let rows: RowFocus;
let firstPaint = true;
/** Each hovered cell's text from the host (`row:column`), so a cell painted again has it at once. */
let hovers = new Map<string, string>();

const ipc = connect<HostToGrid, GridToHost>(isHostToGrid, (m) => {
  if (m.type === 'hover') {
    const key = `${m.row}:${m.column}`;
    hovers.set(key, m.text);
    const node = list?.querySelector<HTMLElement>(`[data-cell="${key}"]`);
    if (node) node.title = m.text;
    return;
  }
  if (m.type === 'searchResult') {
    if (m.query !== query) return; // an answer to an older query
    matches = new Set(m.rows);
    apply();
    return;
  }
  const t0 = performance.now();
  grid = m;
  hovers = new Map();
  filter = m.filter ?? 'all';
  matches = undefined;
  query = '';
  render();
  if (firstPaint) {
    firstPaint = false;
    requestAnimationFrame(() => {
      const ms = performance.now() - t0;
      // For the browser test, which prints it (issue: 10,000 rows x 6 columns, first paint under 200 ms).
      document.body.dataset['firstPaintMs'] = ms.toFixed(1);
      ipc.post({ type: 'painted', rows: m.rows.length, columns: m.runs.length, ms });
    });
  }
});

const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

function keep(r: GridRowView, i: number): boolean {
  return keepRow(r, i, { filter, user, matches });
}

function apply(): void {
  if (!grid) return;
  shown = [];
  grid.rows.forEach((r, i) => {
    if (keep(r, i)) shown.push(i);
  });
  count.textContent = `${shown.length} of ${grid.rows.length} pairs`;
  spacer.style.height = `${shown.length * ROW}px`;
  list.scrollTop = 0;
  rows.reset();
  paint();
}

/** A cell: the letter each order chose (`✓AB:A ✗BA:A`); its reasoning on hover, asked of the host when first hovered. */
function cell(c: GridCellView | null, first: boolean, row: number, column: number): HTMLElement {
  if (!c) return el('div', { class: 'cell missing', title: 'not judged by this run' }, '—');
  const glyphs = c.orders.map((o) =>
    el(
      'span',
      { class: o.correct ? 'ok' : 'bad', attrs: { 'aria-label': `order ${o.order}: ${o.preference || 'no answer'}` } },
      `${o.correct ? '✓' : '✗'}${orderLetter(o)}`,
    ),
  );
  const key = `${row}:${column}`;
  const flipped = c.flipped && !first;
  const node = el(
    'div',
    {
      class: `cell${flipped ? ' flipped' : ''}`,
      attrs: { 'data-cell': key, ...(flipped ? { 'data-flipped': '' } : {}) },
      ...(hovers.has(key) ? { title: hovers.get(key)! } : {}),
    },
    ...glyphs,
  );
  node.addEventListener('mouseenter', () => {
    if (!hovers.has(key)) ipc.post({ type: 'hover', row, column });
  });
  return node;
}

/** A judged cell gets a link to its verdict's transcript (what the model was sent and answered); the row's click stays the pair's. */
function withTranscript(node: HTMLElement, c: GridCellView | null, row: number, column: number): HTMLElement {
  if (!c) return node;
  const a = el('a', {
    class: 'link transcript-link codicon codicon-comment-discussion',
    title: 'Transcript: what the model was sent and answered',
    attrs: { role: 'button', 'aria-label': 'Transcript', 'data-testid': 'cell-transcript' },
  });
  a.addEventListener('click', (e) => {
    e.stopPropagation();
    ipc.post({ type: 'transcript', row, column });
  });
  node.append(a);
  return node;
}

function rowNode(i: number, at: number): HTMLElement {
  const r = grid!.rows[i]!;
  const node = el(
    'div',
    {
      class: `grid-row${r.flipped ? ' is-flipped' : ''}`,
      attrs: { 'data-testid': 'grid-row', role: 'row' },
    },
    el(
      'div',
      { class: 'cell pair', title: `${r.user} · ${r.pairId}` },
      el('b', {}, r.pairId),
      el('span', { class: 'muted' }, ` ${r.user}`),
    ),
    ...r.cells.map((c, k) => withTranscript(cell(c, k === 0, i, k), c, i, k)),
  );
  node.style.top = `${at * ROW}px`;
  rows.mark(node, at);
  node.addEventListener('click', () => openPair(at));
  return node;
}

/** The pair view on the row at this position, with the rows as filtered now as the list to move through. */
function openPair(at: number): void {
  ipc.post({ type: 'openPair', row: shown[at]!, list: shown });
}

function paint(): void {
  const { top, bottom } = visibleWindow(list.scrollTop, list.clientHeight, ROW, shown.length, OVERSCAN);
  // Rebuilding the rows drops the focus: it goes back to its row.
  const hadFocus = list.contains(document.activeElement);
  clear(spacer);
  for (let k = top; k < bottom; k++) spacer.append(rowNode(shown[k]!, k));
  rows.restore(hadFocus);
}

function select<T extends string>(
  testid: string,
  options: [T, string][],
  value: T,
  onChange: (v: T) => void,
): HTMLSelectElement {
  const s = el(
    'select',
    { attrs: { 'data-testid': testid } },
    ...options.map(([v, label]) => el('option', { attrs: { value: v } }, label)),
  ) as HTMLSelectElement;
  s.value = value;
  s.addEventListener('change', () => onChange(s.value as T));
  return s;
}

function render(): void {
  const g = grid!;
  clear(app);
  const columns = `minmax(180px, 1.4fr) repeat(${g.runs.length}, minmax(90px, 1fr))`;
  document.documentElement.style.setProperty('--grid-columns', columns);
  count = el('span', { class: 'muted', attrs: { 'data-testid': 'grid-count' } });
  app.append(toolbar(g));
  for (const w of g.warnings) app.append(el('div', { class: 'warning' }, w));
  spacer = el('div', { class: 'spacer' });
  list = el('div', { class: 'list grid-list', attrs: { 'data-testid': 'grid-list', role: 'grid' } }, spacer);
  list.addEventListener('scroll', () => requestAnimationFrame(paint));
  rows = focusableRows({ list, rowHeight: ROW, count: () => shown.length, open: openPair, paint });
  app.append(...headRows(g), list);
  apply();
}

/** The filters, the user, the search (answered by the host), the count and the exports. */
function toolbar(g: GridMessage): HTMLElement {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const search = el('input', {
    attrs: { type: 'search', placeholder: 'Search pair text and reasoning', 'data-testid': 'grid-search' },
  }) as HTMLInputElement;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = search.value.trim();
      if (!query) {
        matches = undefined;
        apply();
      } else ipc.post({ type: 'search', query });
    }, 200);
  });
  const exportButton = (format: 'csv' | 'md', label: string) => {
    const b = el(
      'vscode-button',
      { attrs: { icon: 'export', secondary: '', 'data-testid': `export-${format}` } },
      label,
    );
    b.addEventListener('click', () => ipc.post({ type: 'export', format }));
    return b;
  };
  return el(
    'div',
    { class: 'toolbar' },
    select<GridFilter>(
      'grid-filter',
      [
        ['all', 'All pairs'],
        ['flipped', 'Flipped'],
        ['wrong', 'Wrong everywhere'],
        ['inconsistent', 'Inconsistent (position bias)'],
      ],
      filter,
      (v) => {
        filter = v;
        apply();
      },
    ),
    select('grid-user', [['', 'All users'], ...g.users.map((u): [string, string] => [u, u])], user, (v) => {
      user = v;
      apply();
    }),
    search,
    count,
    exportButton('csv', 'CSV'),
    exportButton('md', 'Markdown'),
  );
}

/** The head row (a column per run) and the summary row (each run's accuracy, and its difference from the first). */
function headRows(g: GridMessage): [HTMLElement, HTMLElement] {
  const head = el(
    'div',
    { class: 'grid-row grid-head', attrs: { role: 'row' } },
    el('div', { class: 'cell pair' }, 'pair'),
  );
  const summary = el(
    'div',
    { class: 'grid-row grid-summary', attrs: { role: 'row', 'data-testid': 'grid-summary' } },
    el('div', { class: 'cell pair' }, 'accuracy'),
  );
  g.runs.forEach((r, k) => {
    head.append(
      el(
        'div',
        {
          class: 'cell',
          title:
            `${r.id}\n${r.model} · ${r.split} · ${new Date(r.created).toLocaleString()}` +
            (r.personaVersion
              ? `\n${r.personaVersion === 'no persona' ? 'no persona' : `persona ${r.personaVersion}`}`
              : '') +
            (r.stale ? '\nstale: made with a prompt or persona that has changed since' : ''),
        },
        el('b', {}, r.label ?? r.method),
        el('div', { class: 'muted' }, `${r.model}${r.stale ? ' · stale' : ''}`),
      ),
    );
    const s = g.summary[k]!;
    const acc = s.accuracy === null ? 'no figures' : accuracyHeadline(s.accuracy, s.ci95, s.pairs);
    const v = s.versusFirst;
    const vs = v
      ? `${points(v.difference)} pts [${points(v.ci95[0])}, ${points(v.ci95[1])}], ` +
        `p = ${v.p.toPrecision(2)}, ${v.pairs} pairs`
      : k === 0
        ? 'the baseline'
        : '';
    summary.append(
      el('div', { class: 'cell', title: `${s.pairs} pairs` }, el('div', {}, acc), el('div', { class: 'muted' }, vs)),
    );
  });
  return [head, summary];
}

ipc.post({ type: 'ready' });
