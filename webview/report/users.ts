// Each user's persona as the runs used it: every version a run judged with (and the current one), when and
// how it was made, which runs used it, its text and its demonstrations with their pairs.

import type { ReportDemo, ReportHead, ReportPersonaVersion } from '../../src/core/report/report-model';
import { el, pct } from '../shared/dom';
import { readDetail } from './data';
import { runName } from './view';

export function usersSection(head: ReportHead): HTMLElement {
  const personas = readDetail().personas;
  if (!personas.length)
    return el(
      'section',
      { attrs: { 'data-testid': 'report-users' } },
      el('p', { class: 'muted' }, 'No run of this report judged with a persona.'),
    );
  return el(
    'section',
    { attrs: { 'data-testid': 'report-users' } },
    ...personas.map((u) =>
      el(
        'details',
        { attrs: { 'data-testid': 'user-persona' } },
        el('summary', {}, el('b', {}, u.user), ` · ${u.versions.length} version(s)`),
        ...u.versions.map((v) => version(head, v)),
      ),
    ),
  );
}

function version(head: ReportHead, v: ReportPersonaVersion): HTMLElement {
  const made = [v.origin, v.created ? new Date(v.created).toLocaleString() : undefined].filter(Boolean).join(', ');
  const used = v.runs.length ? `used by ${v.runs.map((i) => runName(head.runs[i]!, i)).join('; ')}` : 'used by no run';
  return el(
    'div',
    { class: 'version' },
    el('div', {}, el('b', {}, v.name), v.current ? el('span', { class: 'badge' }, 'current') : null),
    el(
      'div',
      { class: 'muted' },
      [v.hash, made, v.validation !== undefined ? `validation ${pct(v.validation)}` : '', used]
        .filter(Boolean)
        .join(' · '),
    ),
    v.persona !== undefined
      ? el('div', { class: 'persona-text', attrs: { 'data-testid': 'persona-text' } }, v.persona)
      : el('p', { class: 'muted' }, 'This version is no longer in the workspace: only its hash is known.'),
    ...(v.demos.length ? [el('h3', {}, `Demonstrations (${v.demos.length})`), ...v.demos.map(demo)] : []),
  );
}

function demo(d: ReportDemo): HTMLElement {
  return el(
    'details',
    { attrs: { 'data-testid': 'persona-demo' } },
    el('summary', {}, `${d.pairId}: order ${d.order}, preferred ${d.preference}`),
    el('div', { class: 'reasoning' }, d.reasoning),
    ...(d.pair
      ? [
          ...d.pair.context.map((t) => el('div', { class: 'turn' }, el('div', { class: 'role' }, t.role), t.content)),
          el('div', { class: 'role' }, 'chosen'),
          el('div', { class: 'response' }, d.pair.chosen),
          el('div', { class: 'role' }, 'rejected'),
          el('div', { class: 'response' }, d.pair.rejected),
        ]
      : []),
  );
}
