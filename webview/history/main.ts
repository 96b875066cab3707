// History (webview panel): every version of a persona or a prompt, oldest first, with its date,
// who made it (fit, hand edit, optimization, ...), its validation score and the runs made with it;
// a chart of the scores over versions; "Compare with current" opens the diff and the grid of the
// pairs that flipped between the two versions' runs.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isHostToHistory, type HistoryToHost, type HostToHistory } from '../../src/extension/protocol';
import { lineChart } from '../verdicts/line-chart';
import { clear, el, pct } from '../shared/dom';
import { connect } from '../shared/ipc';

const app = document.getElementById('app')!;

const ipc = connect<HostToHistory, HistoryToHost>(isHostToHistory, (m) => render(m));

function render(m: HostToHistory): void {
  const h = m.history;
  clear(app);
  app.append(
    el(
      'h2',
      { attrs: { 'data-testid': 'history-title' } },
      `${h.kind === 'persona' ? 'Persona of' : 'Prompt'} ${h.name}: ${h.versions.length} version${h.versions.length === 1 ? '' : 's'}`,
    ),
  );
  for (const w of h.warnings ?? [])
    app.append(el('p', { class: 'warning', attrs: { 'data-testid': 'history-warning' } }, w));
  if (h.chart.series.some((s) => s.points.length)) app.append(lineChart(h.chart, 640, 260).node);
  else
    app.append(el('p', { class: 'muted' }, 'No scores yet: evaluate or re-validate to see how the versions compare.'));
  const rows = [...h.versions.entries()].reverse(); // newest first to read
  for (const [i, v] of rows) {
    const compare = v.current
      ? null
      : (() => {
          const b = el(
            'vscode-button',
            { attrs: { icon: 'diff', secondary: '', 'data-testid': 'compare-version' } },
            'Compare with current',
          );
          b.addEventListener('click', () => ipc.post({ type: 'compare', version: i }));
          return b;
        })();
    const runs = v.runs.map((r, k) => {
      const link = el(
        'span',
        { class: 'link', attrs: { role: 'link', tabindex: '0' } },
        `${r.method} on ${r.split}: ${r.accuracy === null ? 'no figures' : pct(r.accuracy)}` +
          (r.ci95 ? ` [${pct(r.ci95[0])}, ${pct(r.ci95[1])}]` : ''),
      );
      link.addEventListener('click', () => ipc.post({ type: 'openRun', version: i, run: k }));
      return el(
        'li',
        {},
        link,
        el('span', { class: 'muted' }, ` · ${r.model} · ${new Date(r.created).toLocaleString()}`),
      );
    });
    app.append(
      el(
        'div',
        { class: `version${v.current ? ' current' : ''}`, attrs: { 'data-testid': 'version' } },
        el(
          'div',
          { class: 'head' },
          el('b', {}, `#${i + 1}${v.current ? ' (current)' : ''}`),
          el('span', {}, v.origin),
          el('span', { class: 'muted' }, v.created ? new Date(v.created).toLocaleString() : 'date unknown'),
          v.validation !== undefined ? el('span', {}, `validation ${pct(v.validation)}`) : null,
          v.current ? null : el('span', { class: 'muted' }, v.id),
          compare,
        ),
        runs.length ? el('ul', { class: 'runs' }, ...runs) : el('div', { class: 'muted' }, 'no runs with this version'),
      ),
    );
  }
}

ipc.post({ type: 'ready' });
