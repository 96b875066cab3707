// Persona Inspector (webview view): the selected user's persona, provenance, demonstrations,
// figures and history. Everything from files and models is rendered as text.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import {
  isHostToInspector,
  type HostToInspector,
  type InspectorAction,
  type DemoView,
  type InspectorToHost,
  type NearestUsersView,
  type PersonaView,
} from '../../src/extension/protocol';
import { clear, el, pct } from '../shared/dom';
import { connect } from '../shared/ipc';
import { accuracyHeadline } from '../../src/core/eval/sample-size';

const app = document.getElementById('app')!;
let busy = false;

const ipc = connect<HostToInspector, InspectorToHost>(isHostToInspector, (m) => {
  if (m.type === 'busy') {
    busy = m.busy;
    for (const b of document.querySelectorAll('vscode-button'))
      (b as HTMLElement & { disabled: boolean }).disabled = busy;
    return;
  }
  render(m);
});

function button(label: string, action: InspectorAction, userId: string, icon: string, secondary = false): HTMLElement {
  const b = el('vscode-button', { attrs: { icon, 'data-action': action } }, label) as HTMLElement & {
    disabled: boolean;
    secondary: boolean;
  };
  b.secondary = secondary;
  b.disabled = busy;
  b.addEventListener('click', () => ipc.post({ type: 'action', action, userId }));
  return b;
}

function render(m: Extract<HostToInspector, { type: 'show' }>): void {
  clear(app);
  if (!m.persona) {
    app.append(el('p', { class: 'muted', attrs: { 'data-testid': 'message' } }, m.message ?? ''));
    if (m.userId)
      app.append(
        el('div', { class: 'buttons' }, button('Fit', 'fit', m.userId, 'sparkle')),
        ...similar(m.userId, m.nearest),
      );
    return;
  }
  renderPersona(m.persona, m.nearest);
}

function renderPersona(p: PersonaView, nearest: NearestUsersView | undefined): void {
  app.append(
    el('h2', { attrs: { 'data-testid': 'user' } }, p.userId),
    el('div', { class: 'muted' }, p.path),
    el(
      'div',
      { class: 'buttons' },
      button('Fit', 'fit', p.userId, 'sparkle'),
      button('Re-validate', 'revalidate', p.userId, 'beaker', true),
      button('Edit', 'edit', p.userId, 'edit', true),
      button('Compare with previous', 'compare', p.userId, 'diff', true),
      button('History', 'history', p.userId, 'history', true),
    ),
    el('h3', {}, 'Persona'),
    ...personaText(p),
    ...copiesWarning(p),
    ...(p.tokens ? [tokensNote(p.tokens)] : []),
    ...figures(p),
    ...similar(p.userId, nearest),
    el('h3', {}, `Demonstrations (${p.demos.length})`),
    ...p.demos.map(demoNode),
    ...provenance(p),
    ...history(p),
  );
}

/** A long persona collapses (it crowds out everything else), with a toggle. */
function personaText(p: PersonaView): HTMLElement[] {
  const text = el('div', { class: 'persona-text', attrs: { 'data-testid': 'persona' } }, p.persona);
  const long = p.persona.length > 1200 || p.persona.split('\n').length > 14;
  if (!long) return [text];
  text.classList.add('collapsed');
  const toggle = el(
    'span',
    { class: 'link', attrs: { role: 'button', tabindex: '0', 'data-testid': 'persona-toggle' } },
    'Show all',
  );
  toggle.addEventListener('click', () => {
    const collapsed = text.classList.toggle('collapsed');
    toggle.textContent = collapsed ? 'Show all' : 'Collapse';
  });
  return [text, toggle];
}

/** A persona that copies the user's pairs word for word describes no one: said above its figures, with the runs. */
function copiesWarning(p: PersonaView): HTMLElement[] {
  if (!p.copies?.length) return [];
  return [
    el(
      'div',
      { class: 'warning', attrs: { 'data-testid': 'persona-copies' } },
      `Copied, not written: this persona ${p.copies.join('; it ')}. ` +
        'A persona that copies a response is no description of the user, whatever its accuracy: fit again or edit it.',
    ),
  ];
}

/** The persona's size against the model's context. */
function tokensNote(t: NonNullable<PersonaView['tokens']>): HTMLElement {
  const share =
    t.context && t.judgePrompt
      ? `, ${pct(t.judgePrompt / t.context)} of the ${t.context.toLocaleString()}-token context`
      : t.judgePrompt
        ? ' (the context is sized per run: synthesizeme.numCtx is auto)'
        : '';
  const judge = t.judgePrompt
    ? `; the judge prompt with it and the demonstrations ≈ ${t.judgePrompt.toLocaleString()}${share}`
    : '';
  return el(
    'div',
    {
      class: `muted${t.context && t.judgePrompt && t.judgePrompt > 0.6 * t.context ? ' warning' : ''}`,
      attrs: { 'data-testid': 'persona-tokens' },
    },
    `≈ ${t.persona.toLocaleString()} tokens${judge}`,
  );
}

function figures(p: PersonaView): HTMLElement[] {
  const out: HTMLElement[] = [el('h3', {}, 'Accuracy')];
  if (!p.figures.length)
    out.push(el('div', { class: 'muted' }, 'Not evaluated yet: Evaluate with persona+demos, or Re-validate.'));
  if (p.stale?.length)
    out.push(
      el(
        'div',
        { class: 'warning', attrs: { 'data-testid': 'stale' } },
        `Stale: fitted with a ${p.stale.join(', ')} prompt that has changed since. ` +
          'Fit again, or re-validate, to measure it with the current prompts.',
      ),
    );
  for (const f of p.figures) {
    const headline = accuracyHeadline(f.accuracy, f.ci95, f.pairs ?? Number.POSITIVE_INFINITY);
    const consistency = f.consistency !== undefined ? `, consistency ${pct(f.consistency)}` : '';
    const samples = f.samples !== undefined ? `, ${f.samples} samples` : '';
    out.push(el('div', { class: 'figure' }, el('b', {}, `${f.label}: `), `${headline}${consistency}${samples}`));
  }
  return out;
}

/**
 * The users nearest to this one by their embeddings (who `--similar-users` would give this user's prompt): asked for
 * with the button (embedding calls, cached after), listed by rank with their similarity and what was embedded.
 */
function similar(userId: string, n: NearestUsersView | undefined): HTMLElement[] {
  const find = el(
    'vscode-button',
    { attrs: { icon: 'search', 'data-testid': 'find-similar' } },
    n ? 'Find again' : 'Find similar users',
  ) as HTMLElement & { secondary: boolean };
  find.secondary = true;
  const out: HTMLElement[] = [el('h3', {}, 'Similar users'), el('div', { class: 'buttons' }, find)];
  const result = el('div', { attrs: { 'data-testid': 'similar-users' } });
  find.addEventListener('click', () => {
    clear(result);
    result.append(el('div', { class: 'muted' }, 'Finding the nearest users…'));
    ipc.post({ type: 'nearest', userId });
  });
  out.push(result);
  if (!n) return out;
  if (n.embedModel) {
    const of = n.embedded ? `${n.userId} embedded from their ${n.embedded}` : n.userId;
    result.append(el('div', { class: 'muted' }, `${of}, by ${n.embedModel} (cosine similarity).`));
  }
  if (n.message) result.append(el('div', { class: 'muted', attrs: { 'data-testid': 'similar-message' } }, n.message));
  if (n.users.length) {
    const rows = n.users.map((u) =>
      el(
        'tr',
        {},
        el('td', {}, String(u.rank)),
        el('td', {}, u.userId),
        el('td', {}, u.similarity.toFixed(3)),
        el('td', {}, u.embedded),
      ),
    );
    const head = el('tr', {}, ...['#', 'user', 'similarity', 'embedded from'].map((h) => el('th', {}, h)));
    result.append(el('table', { class: 'similar' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  }
  return out;
}

/** A demonstration, collapsed under its pair id: its line, the pair's text, the verified reasoning. */
function demoNode(d: DemoView): HTMLElement {
  const at = d.file && d.line ? { file: d.file, line: d.line } : undefined;
  const openPairView = at
    ? el(
        'span',
        { class: 'link open-pair', attrs: { role: 'button', tabindex: '0', 'data-testid': 'open-pair-view' } },
        ' · open in the pair view',
      )
    : null;
  const link = at ? el('a', { class: 'link', attrs: { href: '#' } }, `${at.file}:${at.line}`) : null;
  const labelled = (label: string, text: string) =>
    text ? [el('div', { class: 'label' }, label), el('div', { class: 'pre' }, text)] : [];
  const body = el(
    'div',
    { class: 'demo-body' },
    link,
    openPairView,
    ...labelled('Conversation', d.conversation),
    ...labelled('Chosen', d.chosen),
    ...labelled('Rejected', d.rejected),
    // A labelled demonstration (a raw pair topping a set up to the demo count) has no reasoning: say so, not an empty box.
    d.reasoning.trim()
      ? el('div', { class: 'label' }, `Verified reasoning (order ${d.order}, label ${d.preference})`)
      : el('div', { class: 'label' }, `Labelled example, no reasoning (order ${d.order}, label ${d.preference})`),
    d.reasoning.trim() ? el('div', { class: 'pre' }, d.reasoning) : null,
  );
  if (at && link && openPairView) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      ipc.post({ type: 'openPair', ...at });
    });
    openPairView.addEventListener('click', () => ipc.post({ type: 'openPairView', ...at }));
  }
  const c = el('vscode-collapsible', {}, body);
  c.setAttribute('title', d.pairId);
  return c;
}

function provenance(p: PersonaView): HTMLElement[] {
  const prov = el('dl', { class: 'kv' });
  for (const [k, v] of p.provenance) prov.append(el('dt', {}, k), el('dd', {}, v));
  return [el('h3', {}, 'Provenance'), prov];
}

function history(p: PersonaView): HTMLElement[] {
  const out: HTMLElement[] = [el('h3', {}, `History (${p.history.length})`)];
  if (!p.history.length) out.push(el('div', { class: 'muted' }, 'No earlier versions.'));
  const ul = el('ul', {});
  for (const h of p.history) {
    const a = el('a', { class: 'link', attrs: { href: '#' } }, h.name);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      ipc.post({ type: 'openPair', file: h.path, line: 1 });
    });
    ul.append(el('li', {}, a));
  }
  out.push(ul);
  return out;
}

ipc.post({ type: 'ready' });
