// Collect Preferences (webview panel): the conversation and two responses side by side, rendered
// safely (text nodes only), numbered in the order shown. One key answers: 1 or 2 (the preferred
// response), t (a tie), s (skip); then an optional one-line reason, Enter to send (Escape sends
// none). The host records the order, appends the pair and sends the next one.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  isHostToCollect,
  type CollectCountsView,
  type CollectToHost,
  type HostToCollect,
} from '../../src/extension/protocol';
import { clear, el, pct } from '../shared/dom';
import { connect } from '../shared/ipc';
import { renderMarkdown } from '../shared/markdown';

const app = document.getElementById('app')!;
let current: Extract<HostToCollect, { type: 'show' }> | undefined;
/** The pick waiting for its reason (the reason box is open). */
let pending: '1' | '2' | 't' | 's' | undefined;

const ipc = connect<HostToCollect, CollectToHost>(isHostToCollect, (m) => {
  if (m.type === 'note') {
    app.prepend(el('div', { class: 'warning', attrs: { 'data-testid': 'collect-note' } }, m.message));
    return;
  }
  if (m.type === 'generating') {
    generating(m.message);
    return;
  }
  if (m.type === 'show') {
    current = m;
    pending = undefined;
    render(m);
    return;
  }
  current = undefined;
  clear(app);
  app.append(
    el(
      'p',
      {
        class: m.type === 'done' ? '' : 'muted',
        attrs: { 'data-testid': m.type === 'done' ? 'collect-done' : 'collect-busy' },
      },
      m.message,
    ),
    counts(m.counts),
  );
});

/** How far the next pair's generation has come, under "Generating the first pair..." or "Saved. Next pair...". */
function generating(message: string): void {
  if (current) return; // a pair waits for its answer: nothing is being generated for it
  let line = app.querySelector<HTMLElement>('[data-testid="collect-generating"]');
  if (!line) {
    line = el('span', { class: 'muted', attrs: { 'data-testid': 'collect-generating' } });
    const busy = app.querySelector('[data-testid="collect-busy"]');
    if (busy) busy.append(' ', line);
    else (app.querySelector('.collect-actions') ?? app).append(' ', line);
  }
  line.textContent = message;
}

function counts(c: CollectCountsView): HTMLElement {
  const retest =
    c.retest && c.retest.asked
      ? ` · your consistency (retests): ${pct(c.retest.agreed / c.retest.asked)} of ${c.retest.asked}`
      : '';
  return el(
    'div',
    { class: 'muted', attrs: { 'data-testid': 'collect-counts' } },
    `${c.picked} picked · ${c.ties} tie(s) · ${c.skipped} skipped · ${c.failed} failed generation(s)${retest}`,
  );
}

const LABEL: Record<string, string> = { '1': 'response 1', '2': 'response 2', t: 'a tie', s: 'skip' };

function choose(pick: '1' | '2' | 't' | 's'): void {
  if (!current || pending) return;
  pending = pick;
  const box = el('input', {
    attrs: {
      type: 'text',
      placeholder: 'Why? (optional, one line; Enter to send, Escape for none)',
      'data-testid': 'collect-reason',
      maxlength: '500',
    },
  }) as HTMLInputElement;
  const send = (reason?: string) => {
    if (!current) return;
    ipc.post({
      type: 'answer',
      index: current.shown.index,
      pick,
      ...(reason?.trim() ? { reason: reason.trim() } : {}),
    });
    current = undefined;
    app.querySelector('.collect-actions')?.replaceChildren(el('span', { class: 'muted' }, 'Saved. Next pair...'));
  };
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') send(box.value);
    else if (e.key === 'Escape') send();
    e.stopPropagation();
  });
  app.querySelector('.collect-actions')?.replaceChildren(el('span', {}, `You chose ${LABEL[pick]}. `), box);
  box.focus();
}

window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === '1' || e.key === '2' || e.key === 't' || e.key === 's') {
    choose(e.key);
    e.preventDefault();
  }
});

/** Ends the session (closing the panel does too): what was answered is already saved. */
function stopButton(): HTMLElement {
  const b = el(
    'vscode-button',
    { attrs: { 'data-testid': 'collect-stop', secondary: '', icon: 'debug-stop' } },
    'Stop',
  );
  b.addEventListener('click', () => ipc.post({ type: 'stop' }));
  return b;
}

function render(m: Extract<HostToCollect, { type: 'show' }>): void {
  clear(app);
  const s = m.shown;
  const button = (label: string, pick: '1' | '2' | 't' | 's', secondary = true) => {
    const b = el(
      'vscode-button',
      { attrs: { 'data-testid': `collect-${pick}`, ...(secondary ? { secondary: '' } : {}) } },
      label,
    );
    b.addEventListener('click', () => choose(pick));
    return b;
  };
  app.append(
    el('h2', { attrs: { 'data-testid': 'collect-title' } }, `${m.user}: pair ${s.index}`),
    el('div', { class: 'muted' }, `appended to ${m.file}`),
    ...(s.why
      ? [el('div', { class: 'comparison', attrs: { 'data-testid': 'collect-why' } }, `Asked next because ${s.why}.`)]
      : []),
    el('h3', {}, 'Conversation'),
    el(
      'div',
      { class: 'turns' },
      ...s.context.map((t) =>
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
        { class: 'response', attrs: { 'data-testid': 'collect-first' } },
        el('div', { class: 'label' }, '1'),
        renderMarkdown(s.first),
      ),
      el(
        'div',
        { class: 'response', attrs: { 'data-testid': 'collect-second' } },
        el('div', { class: 'label' }, '2'),
        renderMarkdown(s.second),
      ),
    ),
    el(
      'div',
      { class: 'buttons collect-actions' },
      button('1 is better', '1', false),
      button('2 is better', '2', false),
      button('Tie (t)', 't'),
      button('Skip (s)', 's'),
      stopButton(),
    ),
    el(
      'div',
      { class: 'muted' },
      'Keys: 1 or 2 for the response you prefer, t for a tie, s to skip; then an optional reason.',
    ),
    counts(m.counts),
  );
}

ipc.post({ type: 'ready' });
