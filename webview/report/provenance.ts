// Where the figures came from: each run's model (and the server's digest of it), provider, split, seed,
// temperature, dates, the hashes of the prompts and personas that shaped it, and its file.

import type { ReportHead, ReportRun } from '../../src/core/report/report-model';
import { el } from '../shared/dom';
import { runName, table } from './view';

export function provenanceSection(head: ReportHead): HTMLElement {
  return el(
    'section',
    { attrs: { 'data-testid': 'report-provenance' } },
    el('p', { class: 'muted' }, `Written ${head.generated} by ${head.tool}.`),
    ...head.runs.map((r, i) => el('div', { class: 'version' }, el('h3', {}, runName(r, i)), runTable(r))),
  );
}

function runTable(r: ReportRun): HTMLElement {
  const rows: [string, string][] = [
    ['run id', r.id],
    ['file', r.file],
    ['model', r.model],
    ['model digest', r.modelDigest ?? 'not named by the server'],
    ['provider', r.provider],
    ['method', r.method],
    ['split', `${r.split}${r.testSet ? ` (test set ${r.testSet})` : ''}`],
    ['seed · temperature', `${r.seed} · ${r.temperature}`],
    ['started', r.created],
    ['finished', r.completed ?? 'unfinished'],
    ['status', `${r.status}${r.failedCalls ? ` (${r.failedCalls} failed call(s))` : ''}${r.stale ? ', stale' : ''}`],
    ...r.prompts.map((p): [string, string] => [`prompt ${p.name}`, p.hash]),
    ...r.personas.map((p): [string, string] => [p.name, p.hash]),
  ];
  const t = table(['', ''], rows);
  t.classList.add('mono');
  return t;
}
