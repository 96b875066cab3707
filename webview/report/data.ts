// The report's data as the page reads it: the head and the rows at once (the first paint needs them), the
// detail (reasoning, pair texts, personas) on first use. The blocks are JSON in script elements of type
// application/json, written inert by the engine (src/core/report/report-html.ts); they are parsed, never
// evaluated, and every string from them becomes a text node.

import {
  REPORT_BLOCKS,
  ROW_FLAGS,
  type ReportDetail,
  type ReportHead,
  type ReportRows,
} from '../../src/core/report/report-model';
import type { FilterableRow } from '../shared/grid-window';

export interface ViewOrder {
  order: string;
  preference: string;
  correct: boolean;
  failed: boolean;
}

export interface ViewCell {
  score: number | null;
  flipped: boolean;
  orders: ViewOrder[];
}

export interface ViewRow extends FilterableRow {
  pairId: string;
  cells: (ViewCell | null)[];
}

function readBlock<T>(id: string): T {
  const node = document.getElementById(id);
  if (!node?.textContent) throw new Error(`the report has no ${id} block`);
  return JSON.parse(node.textContent) as T;
}

export const readHead = () => readBlock<ReportHead>(REPORT_BLOCKS.head);

/** The compact rows, unpacked into the shape the grid's filters read. */
export function readRows(head: ReportHead): ViewRow[] {
  return readBlock<ReportRows>(REPORT_BLOCKS.rows).rows.map(([user, pairId, flags, cells]) => ({
    user: head.users[user] ?? '',
    pairId,
    flipped: (flags & ROW_FLAGS.flipped) !== 0,
    wrongEverywhere: (flags & ROW_FLAGS.wrongEverywhere) !== 0,
    inconsistent: (flags & ROW_FLAGS.inconsistent) !== 0,
    cells: cells.map((c) =>
      c === 0
        ? null
        : {
            score: c[0],
            flipped: c[1] === 1,
            orders: c[2].map(([order, preference, correct, failed]) => ({
              order,
              preference,
              correct: correct === 1,
              failed: failed === 1,
            })),
          },
    ),
  }));
}

let detail: ReportDetail | undefined;

/** The detail block, parsed on first use (a large report's biggest part, not needed for the first paint). */
export function readDetail(): ReportDetail {
  detail ??= readBlock<ReportDetail>(REPORT_BLOCKS.detail);
  return detail;
}

export const detailReady = () => detail !== undefined;
