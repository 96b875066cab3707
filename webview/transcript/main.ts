// The transcript view (webview panel): what the judge was sent and answered for one verdict, order by order:
// the messages (system prompt with the persona and demonstrations, then the rendered pair), the thinking and
// the raw answer, the tokens with the share the server served from its prompt cache, the latency, the server
// and the model's digest. Every text from data or from the model becomes a text node, never HTML.

import {
  isHostToTranscript,
  type HostToTranscript,
  type TranscriptToHost,
  type TranscriptView,
} from '../../src/extension/protocol';
import { clear, el } from '../shared/dom';
import { connect } from '../shared/ipc';

type OrderView = TranscriptView['orders'][number];

const app = document.getElementById('app')!;

const ipc = connect<HostToTranscript, TranscriptToHost>(isHostToTranscript, (m) => {
  clear(app);
  if (m.type === 'notFound') {
    app.append(el('p', { class: 'warning', attrs: { 'data-testid': 'not-found' } }, m.message));
    return;
  }
  const t0 = performance.now();
  render(m.transcript);
  requestAnimationFrame(() => {
    const messages = m.transcript.orders.reduce((n, o) => n + (o.messages?.length ?? 0), 0);
    ipc.post({ type: 'painted', orders: m.transcript.orders.length, messages, ms: performance.now() - t0 });
  });
});

function render(t: TranscriptView): void {
  const open = el('a', { class: 'link', attrs: { role: 'button', tabindex: '0' } }, 'Open the pair');
  open.addEventListener('click', () => ipc.post({ type: 'openPair' }));
  const r = t.run;
  app.append(
    el('h2', {}, `Transcript · pair ${t.pairId} · user ${t.user}`),
    el(
      'div',
      { class: 'transcript-head' },
      r
        ? el(
            'span',
            { class: 'muted' },
            `${r.label ? `${r.label} · ` : ''}${r.method} on ${r.split} · ${r.provider} ${r.model}` +
              `${r.modelDigest ? ` (digest ${short(r.modelDigest)})` : ''}${t.runName ? ` · ${t.runName}` : ''}`,
          )
        : el('span', { class: 'muted' }, 'a verdict of "Judge this pair" (this session)'),
      el('span', { class: 'muted' }, `${t.file}:${t.line}`),
      open,
    ),
  );
  if (t.note) app.append(el('p', { class: 'warning', attrs: { 'data-testid': 'transcript-note' } }, t.note));
  for (const o of t.orders) app.append(orderNode(o));
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const which = (order: string) => (order === 'AB' ? 'A is the chosen reply' : 'A is the rejected reply');

function orderNode(o: OrderView): HTMLElement {
  const said = o.failed ? 'the call failed' : `answered ${o.preference ?? 'neither A nor B'}`;
  const node = el(
    'section',
    { class: 'judgement transcript-order', attrs: { 'data-testid': 'transcript-order', 'data-order': o.order } },
    el(
      'div',
      { class: 'head' },
      el('b', { class: o.correct ? 'ok' : 'bad' }, `${o.correct ? '✓' : '✗'} order (${o.order[0]},${o.order[1]})`),
      el('span', {}, `${said} (${which(o.order)})`),
    ),
  );
  if (o.promptTokens !== undefined) node.append(figures(o));
  if (o.missing) node.append(el('p', { class: 'note', attrs: { 'data-testid': 'transcript-missing' } }, o.missing));
  if (o.messages?.length) {
    node.append(el('h3', {}, `Sent (${o.messages.length} message${o.messages.length === 1 ? '' : 's'})`));
    for (const m of o.messages) node.append(block(m.role, m.content, 'transcript-message'));
  }
  if (o.thinking) node.append(block('thinking', o.thinking, 'transcript-thinking'));
  if (o.answer !== undefined) node.append(el('h3', {}, 'Answer'), block('raw answer', o.answer, 'transcript-answer'));
  else if (o.reasoning) node.append(block('reasoning (from the run file)', o.reasoning, 'transcript-reasoning'));
  return node;
}

/** Tokens, the server's cache share, latency, server, model and digest, as a list of terms. */
function figures(o: OrderView): HTMLElement {
  const cached =
    o.cachedPromptTokens === undefined
      ? 'the server did not say'
      : `${o.cachedPromptTokens} of ${o.promptTokens} (${o.promptTokens ? Math.round((100 * o.cachedPromptTokens) / o.promptTokens) : 0}%)`;
  const rows: [string, string, string?][] = [
    ['prompt tokens', String(o.promptTokens), 'transcript-tokens'],
    ['from the server’s cache', cached, 'transcript-cache'],
    ['completion tokens', String(o.completionTokens ?? '?')],
    ['latency', o.latencyMs !== undefined ? `${(o.latencyMs / 1000).toFixed(2)} s` : '?', 'transcript-latency'],
    ...(o.model ? ([['model', o.model]] as [string, string][]) : []),
    ...(o.digest ? ([['digest', o.digest]] as [string, string][]) : []),
    ...(o.server ? ([['server', o.server]] as [string, string][]) : []),
    ...(o.answeredAt ? ([['answered', new Date(o.answeredAt).toLocaleString()]] as [string, string][]) : []),
    ...(o.call ? ([['cache key', o.call.slice(0, 16)]] as [string, string][]) : []),
  ];
  return el(
    'dl',
    { class: 'kv' },
    ...rows.flatMap(([k, v, id]) => [el('dt', {}, k), el('dd', id ? { attrs: { 'data-testid': id } } : {}, v)]),
  );
}

function block(role: string, text: string, testid: string): HTMLElement {
  return el(
    'div',
    { class: `transcript-block role-${role.replace(/[^a-z]+/g, '-')}`, attrs: { 'data-testid': testid } },
    el('div', { class: 'role' }, role),
    el('div', { class: 'pre' }, text),
  );
}

ipc.post({ type: 'ready' });
