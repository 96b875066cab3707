// The pair view (webview panel): one preference pair as a researcher reads it. The conversation
// and both responses rendered as Markdown (safely: text nodes only, see shared/markdown.ts), the two
// responses side by side with the user's choice marked, every run's verdict in both orders with its
// reasoning and the persona version it used, and keyboard navigation through the file, the list it
// was opened from, or the user's pairs.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  isHostToPair,
  type HostToPair,
  type PairJudgementView,
  type PairScope,
  type PairToHost,
  type PairViewData,
  type RubricView,
} from '../../src/extension/protocol';
import { clear, el, pct } from '../shared/dom';
import { connect } from '../shared/ipc';
import { renderMarkdown } from '../shared/markdown';

const app = document.getElementById('app')!;
let current: PairViewData | undefined;
let scope: PairScope = 'file';

const ipc = connect<HostToPair, PairToHost>(isHostToPair, (m: HostToPair) => {
  if (m.type === 'notFound') {
    clear(app);
    app.append(el('p', { class: 'warning', attrs: { 'data-testid': 'not-found' } }, m.message));
    return;
  }
  const t0 = performance.now();
  current = m.pair;
  scope = m.pair.scope;
  render(m.pair);
  requestAnimationFrame(() => {
    const ms = performance.now() - t0;
    document.body.dataset['paintMs'] = ms.toFixed(1);
    ipc.post({ type: 'painted', ms });
  });
});

const SCOPE_NAMES: Record<PairScope, string> = { file: 'file', list: 'list', user: 'user' };
const SCOPE_KEYS: Record<string, PairScope> = { f: 'file', l: 'list', u: 'user' };

function navigate(delta: 1 | -1): void {
  if (!current) return;
  const pos = current.positions.find((p) => p.scope === scope);
  if (!pos || pos.total < 2) return;
  ipc.post({ type: 'navigate', delta, scope });
}

window.addEventListener('keydown', (e) => {
  if (
    e.target instanceof HTMLInputElement ||
    e.target instanceof HTMLTextAreaElement ||
    e.altKey ||
    e.ctrlKey ||
    e.metaKey
  )
    return;
  if (e.key === 'j' || e.key === 'ArrowDown' || e.key === 'n') navigate(1);
  else if (e.key === 'k' || e.key === 'ArrowUp' || e.key === 'p') navigate(-1);
  else if (SCOPE_KEYS[e.key] && current?.positions.some((p) => p.scope === SCOPE_KEYS[e.key])) {
    scope = SCOPE_KEYS[e.key]!;
    render(current);
  } else if (e.key === 'o') ipc.post({ type: 'openLine' });
  else return;
  e.preventDefault();
});

function render(p: PairViewData): void {
  clear(app);
  app.append(
    navBar(p),
    el('h2', { attrs: { 'data-testid': 'pair-id' } }, `${p.pairId}`),
    el('div', { class: 'muted pair-meta' }, `user ${p.user} · split ${p.split} · `, lineLink(p)),
    ...pairText(p),
    el('h3', {}, `Verdicts (${p.judgements.length} run${p.judgements.length === 1 ? '' : 's'})`),
  );
  if (!p.judgements.length)
    app.append(
      el('p', { class: 'muted', attrs: { 'data-testid': 'no-verdicts' } }, 'No run has judged this pair yet.'),
    );
  for (const j of p.judgements) app.append(judgementNode(j));
}

/** Previous / next, and the scopes to move through (the active one marked). */
function navBar(p: PairViewData): HTMLElement {
  const pos = p.positions.find((x) => x.scope === scope) ?? p.positions[0];
  const nav = el(
    'div',
    { class: 'toolbar pair-nav', attrs: { 'data-testid': 'pair-nav' } },
    button('Previous', 'arrow-up', () => navigate(-1), !pos || pos.total < 2),
    button('Next', 'arrow-down', () => navigate(1), !pos || pos.total < 2),
    ...p.positions.map((x) =>
      el(
        'span',
        {
          class: `scope${x.scope === scope ? ' active' : ''}`,
          attrs: {
            'data-testid': `scope-${x.scope}`,
            role: 'button',
            tabindex: '0',
            title: `Press ${x.scope[0]} to move through the ${SCOPE_NAMES[x.scope]}`,
          },
        },
        `${x.name}: ${x.index + 1} of ${x.total}`,
      ),
    ),
    el('span', { class: 'muted' }, 'j/k or ↓/↑: next/previous · f/l/u: file, list, user · o: open the line'),
  );
  for (const s of nav.querySelectorAll<HTMLElement>('.scope')) {
    s.addEventListener('click', () => {
      scope = s.dataset['testid']!.slice('scope-'.length) as PairScope;
      render(p);
    });
  }
  return nav;
}

function lineLink(p: PairViewData): HTMLElement {
  const link = el(
    'span',
    { class: 'link', attrs: { 'data-testid': 'pair-line', role: 'link', tabindex: '0' } },
    `${p.file}:${p.line}`,
  );
  link.addEventListener('click', () => ipc.post({ type: 'openLine' }));
  return link;
}

/** The conversation, then the two responses side by side, the user's choice marked. */
function pairText(p: PairViewData): HTMLElement[] {
  return [
    el('h3', {}, 'Conversation'),
    el(
      'div',
      { class: 'turns', attrs: { 'data-testid': 'conversation' } },
      ...p.context.map((t) =>
        el(
          'div',
          { class: `turn turn-${t.role === 'user' ? 'user' : 'other'}` },
          el('div', { class: 'role' }, t.role),
          renderMarkdown(t.content),
        ),
      ),
    ),
    el(
      'div',
      { class: 'responses' },
      el(
        'div',
        { class: 'response chosen', attrs: { 'data-testid': 'chosen' } },
        el('div', { class: 'label' }, '✓ Chosen by the user'),
        renderMarkdown(p.chosen),
      ),
      el(
        'div',
        { class: 'response rejected', attrs: { 'data-testid': 'rejected' } },
        el('div', { class: 'label' }, 'Rejected'),
        renderMarkdown(p.rejected),
      ),
    ),
  ];
}

/** One run's verdict: both orders, each with its reasoning. */
function judgementNode(j: PairJudgementView): HTMLElement {
  const which = (order: string) => (order === 'AB' ? 'A is the chosen reply' : 'A is the rejected reply');
  return el(
    'div',
    { class: 'judgement', attrs: { 'data-testid': 'judgement' } },
    el(
      'div',
      { class: 'head' },
      el('b', {}, `${j.label ? `${j.label} · ` : ''}${j.method} on ${j.split}`),
      el('span', { class: 'muted' }, `${j.model} · ${new Date(j.created).toLocaleString()} · ${j.runId}`),
      j.personaVersion ? el('span', { class: 'muted' }, `persona ${j.personaVersion}`) : null,
      el('span', {}, j.score === null ? 'no answer' : `pair score ${pct(j.score)}`),
      transcriptLink(j.runId),
    ),
    ...j.orders.map((o) =>
      el(
        'div',
        { class: 'order' },
        el(
          'div',
          { class: o.correct ? 'ok' : 'bad' },
          `${o.correct ? '✓' : '✗'} order (${o.order[0]},${o.order[1]}): ${answerText(o)} (${which(o.order)})`,
        ),
        o.rubric && o.reasoning.trim() ? el('div', { class: 'muted' }, 'The persona the judge wrote:') : null,
        renderMarkdown(o.reasoning),
        o.rubric ? rubricTable(o.rubric) : null,
      ),
    ),
  );
}

/** What an order answered: a letter, a rubric's tie or unreadable scores, or nothing. */
function answerText(o: PairJudgementView['orders'][number]): string {
  if (o.preference) return o.preference;
  if (o.noDecision === 'tie') return 'a tie (equal weighted sums)';
  if (o.noDecision === 'unreadable') return 'unreadable scores';
  return 'no answer';
}

/**
 * A rubric verdict's reasons: each criterion with its weight and both replies' scores, then the weighted sums that
 * decided. The criteria are the model's text: text nodes only, like everything else here.
 */
function rubricTable(r: RubricView): HTMLElement {
  const num = (x: number) => el('td', { class: 'num' }, String(x));
  const rows = r.criteria.map((c, i) =>
    el('tr', {}, el('td', {}, c.name), num(c.weight), num(r.scores.A[i] ?? NaN), num(r.scores.B[i] ?? NaN)),
  );
  const [a, b] = r.sums;
  const sum = (x: number, win: boolean) => el('td', { class: `num${win ? ' ok' : ''}` }, x.toFixed(2));
  return el(
    'table',
    { class: 'rubric', attrs: { 'data-testid': 'rubric' } },
    el(
      'thead',
      {},
      el('tr', {}, el('th', {}, 'criterion'), el('th', {}, 'weight'), el('th', {}, 'A'), el('th', {}, 'B')),
    ),
    el('tbody', {}, ...rows),
    el('tfoot', {}, el('tr', {}, el('th', { attrs: { colspan: '2' } }, 'weighted sum'), sum(a, a > b), sum(b, b > a))),
  );
}

/** Opens what the model was sent and answered for this run's verdict (the transcript view). */
function transcriptLink(runId: string): HTMLElement {
  const a = el(
    'a',
    { class: 'link', attrs: { role: 'button', tabindex: '0', 'data-testid': 'open-transcript' } },
    'Transcript',
  );
  const open = () => ipc.post({ type: 'transcript', runId });
  a.addEventListener('click', open);
  a.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') open();
  });
  return a;
}

function button(label: string, icon: string, onClick: () => void, disabled: boolean): HTMLElement {
  const b = el('vscode-button', { attrs: { icon, secondary: '' } }, label) as HTMLElement & { disabled: boolean };
  b.disabled = disabled;
  b.addEventListener('click', onClick);
  return b;
}

ipc.post({ type: 'ready' });
