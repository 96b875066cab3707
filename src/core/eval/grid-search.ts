// The comparison grid's search, pure (no Node import): the extension host answers the grid panel's searches
// with it, and the static report's page (webview/report) runs it in the browser on the report's own data.

/** What the search reads of a grid row: its ids, and each cell's orders' reasoning. */
export interface SearchableRow {
  user: string;
  pairId: string;
  cells: readonly ({ orders: readonly { reasoning: string }[] } | null)[];
}

/**
 * The rows whose pair text (from the caller's index) or any cell's reasoning contains the query,
 * case-insensitively, in row order; an empty query matches every row (a cleared filter).
 */
export function searchGrid(
  grid: { rows: readonly SearchableRow[] },
  query: string,
  pairText: (user: string, pairId: string) => string | undefined,
): number[] {
  const q = query.trim().toLowerCase();
  const out: number[] = [];
  grid.rows.forEach((row, i) => {
    if (!q) return void out.push(i);
    const hit =
      (pairText(row.user, row.pairId)?.toLowerCase().includes(q) ?? false) ||
      row.cells.some((c) => c?.orders.some((o) => o.reasoning.toLowerCase().includes(q)));
    if (hit) out.push(i);
  });
  return out;
}
