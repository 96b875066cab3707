// What the comparison grid shows, shared by the grid panel (webview/compare-grid) and the static report
// (webview/report): which rows the filters keep, and which of them are in view. Rows have a fixed height
// and only the ones in view (plus an overscan) are in the document, so 10,000 x 6 paints as fast as 100 x 2.
// Pure (no DOM).

/** The grid's filters (protocol.ts GridFilter). */
export type RowFilter = 'all' | 'flipped' | 'wrong' | 'inconsistent';

export interface FilterableRow {
  user: string;
  flipped: boolean;
  wrongEverywhere: boolean;
  inconsistent: boolean;
}

export interface RowFilters {
  filter: RowFilter;
  /** One user's rows only; '' for all. */
  user: string;
  /** The rows a search matched; undefined when there is no search. */
  matches: ReadonlySet<number> | undefined;
}

/** Whether the row at index `i` passes the filter, the user and the search. */
export function keepRow(r: FilterableRow, i: number, f: RowFilters): boolean {
  if (f.filter === 'flipped' && !r.flipped) return false;
  if (f.filter === 'wrong' && !r.wrongEverywhere) return false;
  if (f.filter === 'inconsistent' && !r.inconsistent) return false;
  if (f.user && r.user !== f.user) return false;
  return !f.matches || f.matches.has(i);
}

/** The positions [top, bottom) of the shown rows to put in the document: those in view, and `overscan` more each side. */
export function visibleWindow(
  scrollTop: number,
  height: number,
  rowHeight: number,
  count: number,
  overscan = 10,
): { top: number; bottom: number } {
  const top = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const bottom = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { top, bottom };
}
