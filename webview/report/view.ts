// Small pieces every part of the report page uses: a run's name, a table, a section heading.

import type { ReportHead, ReportRun } from '../../src/core/report/report-model';
import { el } from '../shared/dom';

/** `2. persona+demos (label) · model`: which run a column or a line is. */
export function runName(r: ReportRun, i: number): string {
  return `${i + 1}. ${r.label ? `${r.label} · ` : ''}${r.method} · ${r.model}`;
}

export function runNames(head: ReportHead): string[] {
  return head.runs.map(runName);
}

export type Cell = string | Node;

/** A table of text cells; `numeric` columns are right-aligned. */
export function table(headers: string[], rows: Cell[][], numeric: number[] = [], testid?: string): HTMLTableElement {
  const cls = (k: number) => (numeric.includes(k) ? 'num' : '');
  return el(
    'table',
    testid ? { attrs: { 'data-testid': testid } } : {},
    el('thead', {}, el('tr', {}, ...headers.map((h, k) => el('th', { class: cls(k) }, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c, k) => el('td', { class: cls(k) }, c))))),
  );
}

/** A difference in points with its sign (the one formatter, src/core/percent.ts). */
export { signedPoints as points } from '../../src/core/percent';
