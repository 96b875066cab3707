// The keyboard on a virtualized list (rows of a fixed height, only the visible ones in the DOM): one row
// is in the Tab order (a roving tabindex), the keys act as rowKeyAction says, and the focus survives a
// repaint (scrolling rebuilds the rows, which would drop it).

import { rowKeyAction } from './row-keys';

export interface FocusableRows {
  list: HTMLElement;
  rowHeight: number;
  /** Rows shown now. */
  count(): number;
  /** Opens the pair of the row at this position, as its click does. */
  open(pos: number): void;
  /** Rebuilds the visible rows (each calls `mark` on its node). */
  paint(): void;
}

export interface RowFocus {
  /** Gives a row node its position and its place in the Tab order. */
  mark(node: HTMLElement, pos: number): void;
  /** After a repaint: the focus goes back to its row if it was in the list. */
  restore(hadFocus: boolean): void;
  /** Back to the first row (the filters changed). */
  reset(): void;
}

export function focusableRows(r: FocusableRows): RowFocus {
  let current = 0;
  const rowAt = (pos: number) => r.list.querySelector<HTMLElement>(`[data-pos="${pos}"]`);
  const moveTo = (pos: number) => {
    current = pos;
    const top = pos * r.rowHeight;
    if (top < r.list.scrollTop) r.list.scrollTop = top;
    else if (top + r.rowHeight > r.list.scrollTop + r.list.clientHeight)
      r.list.scrollTop = top + r.rowHeight - r.list.clientHeight;
    const hadFocus = r.list.contains(document.activeElement);
    r.paint();
    restore(hadFocus);
  };
  const restore = (hadFocus: boolean) => {
    const node = rowAt(current);
    if (hadFocus && node) node.focus({ preventScroll: true });
  };
  r.list.addEventListener('focusin', (e) => {
    const pos = (e.target as HTMLElement).closest<HTMLElement>('[data-pos]')?.dataset['pos'];
    if (pos !== undefined && Number(pos) !== current) {
      rowAt(current)?.setAttribute('tabindex', '-1');
      current = Number(pos);
      rowAt(current)?.setAttribute('tabindex', '0');
    }
  });
  r.list.addEventListener('keydown', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-pos]');
    // Keys on a link inside a row (the transcript's) are the link's.
    if (!row || e.target !== row) return;
    const page = Math.max(1, Math.floor(r.list.clientHeight / r.rowHeight) - 1);
    const action = rowKeyAction(e.key, Number(row.dataset['pos']), r.count(), page);
    if (!action) return;
    e.preventDefault();
    if (action.type === 'open') r.open(Number(row.dataset['pos']));
    else moveTo(action.pos);
  });
  return {
    mark(node, pos) {
      node.dataset['pos'] = String(pos);
      node.setAttribute('tabindex', pos === Math.min(current, Math.max(0, r.count() - 1)) ? '0' : '-1');
    },
    restore,
    reset() {
      current = 0;
    },
  };
}
