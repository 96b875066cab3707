// The static report's page (bundled into the HTML by the engine's report job, src/core/report): the summary
// and the grid first, then the rest on demand. Everything from the data is rendered as text nodes
// (shared/dom.ts el): a pair holding `<img src=x onerror=...>` shows as those characters.
//
// First paint: the head and the rows are parsed and drawn at once; the detail (the biggest block: reasoning,
// pair texts, personas) is parsed when the page is idle or when a pair, a search or the users ask for it.
// The time from navigation to the first painted frame is left in body[data-first-paint-ms] for the e2e check.

import { clear, el } from '../shared/dom';
import { readDetail, readHead, readRows } from './data';
import { gridSection } from './grid';
import { pairPanel } from './pair';
import { provenanceSection } from './provenance';
import { summarySection } from './summary';
import { usersSection } from './users';

function tabs(panes: [string, string, () => HTMLElement][]): HTMLElement[] {
  const body = el('div', { attrs: { 'data-testid': 'report-pane' } });
  const built = new Map<string, HTMLElement>();
  const buttons = panes.map(([id, label, build]) => {
    const b = el('button', { attrs: { role: 'tab', 'data-testid': `tab-${id}`, 'aria-selected': 'false' } }, label);
    b.addEventListener('click', () => {
      for (const other of buttons) other.setAttribute('aria-selected', String(other === b));
      if (!built.has(id)) built.set(id, build());
      clear(body);
      body.append(built.get(id)!);
      body.dispatchEvent(new CustomEvent('shown', { detail: id }));
    });
    return b;
  });
  return [el('nav', { class: 'tabs', attrs: { role: 'tablist' } }, ...buttons), body];
}

function boot(): void {
  const app = document.getElementById('app')!;
  const head = readHead();
  const rows = readRows(head);
  document.title = `SynthesizeMe report${head.workspace ? `: ${head.workspace}` : ''}`;
  const panel = pairPanel(head, rows);
  const grid = gridSection(head, rows, (row, list) => panel.open(row, list));
  const [nav, body] = tabs([
    ['pairs', 'Pairs', () => grid.node],
    ['users', 'Users and personas', () => usersSection(head)],
    ['provenance', 'Provenance', () => provenanceSection(head)],
  ]);
  body!.addEventListener('shown', (e) => (e as CustomEvent).detail === 'pairs' && grid.paint());
  app.append(summarySection(head), nav!, body!, panel.node);
  nav!.querySelector<HTMLElement>('button')!.click();
  requestAnimationFrame(() => {
    document.body.dataset['firstPaintMs'] = performance.now().toFixed(0);
    // The detail once the first frame is out, so that a search or a pair opens at once.
    setTimeout(() => readDetail(), 50);
  });
}

boot();
